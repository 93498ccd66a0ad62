// The audit of a socket-holding object (docs/architecture.md#no-ghost-sessions
// and #dead-holders): an alarm every `auditMs` while the object holds
// anything, which lets go of sockets that are provably gone and says again
// what a failed registry call left unsaid.
import type { App } from "../app/define-app.js";
import type { UserState } from "../rpc/contracts.js";
import type { EdgeSocket } from "../sockets/socket.js";
import { lastPing, silentSinceProbe } from "./liveness.js";

/** What the audit needs from the object it runs in. */
export interface Audited {
  view(ws: WebSocket): EdgeSocket;
  /** A socket's close, handled once; a failure is logged, not thrown. */
  handleClose(ws: WebSocket, code: number): Promise<void>;
  /** Relays whose other end is gone, from this object's side(s). */
  auditRelays(): Promise<void>;
  sync(): Promise<unknown>;
  holding(): UserState;
}

export class Audit {
  constructor(
    private readonly ctx: DurableObjectState,
    private readonly app: Pick<App, "auditMs" | "heartbeatTimeoutMs" | "probeTimeoutMs">,
    private readonly host: Audited,
  ) {}

  /**
   * An object reset without close events still has its alarm, and here
   * finds no sockets and reports it. The next alarm is armed first, so a
   * failed report is retried; once the registry knows the object holds
   * nothing, the alarm stops. While it holds sockets it wakes once per
   * `auditMs`, and no more.
   */
  async run(): Promise<void> {
    await this.ctx.storage.setAlarm(Date.now() + this.app.auditMs);
    await this.reapDead();
    await this.host.auditRelays();
    await this.host.sync();
    const { online, session } = this.host.holding();
    if (!online && !session) await this.ctx.storage.deleteAlarm();
  }

  /**
   * Lets go of sockets that are provably gone: one that closed without its
   * close event ever running, and one of a client that heartbeats (the
   * `sockizy` subprotocol) whose last ping the runtime answered
   * (`getWebSocketAutoResponseTimestamp`, kept while the object hibernates)
   * more than `heartbeatTimeoutMs` ago, or that never pinged that long after
   * it was accepted (an upgrade the client never saw complete), or that did
   * not answer a liveness probe within `probeTimeoutMs` (liveness.ts). Each
   * is closed and unbound as by a close.
   */
  async reapDead(): Promise<void> {
    const now = Date.now();
    for (const ws of this.ctx.getWebSockets()) {
      if (ws.readyState === WebSocket.READY_STATE_CLOSED) {
        // Closed (by either end), its close event not run yet or lost: an offline event says `close`.
        // Logged, not thrown: this runs on a sign-in's path, which a registry failure must not break.
        await this.host.handleClose(ws, 1006);
        continue;
      }
      const socket = this.host.view(ws);
      const { attachment } = socket;
      // hb 0: a client that said it does not ping; its silence proves nothing.
      if (ws.readyState !== WebSocket.READY_STATE_OPEN || !attachment.ctl || attachment.hb === 0 || attachment.gone) {
        continue;
      }
      // A client that pings less often than the default is given two of its intervals.
      const limit = Math.max(this.app.heartbeatTimeoutMs, (attachment.hb ?? 0) * 2000);
      const unheard = now - Math.max(attachment.at, lastPing(this.ctx, socket)) > limit;
      const unanswered = silentSinceProbe(this.ctx, socket, now, this.app.probeTimeoutMs);
      if (!unheard && !unanswered) continue;
      try {
        ws.close(1001, unheard ? "no heartbeat" : "no answer to probe");
      } catch {
        // the runtime may already consider it closed
      }
      this.host.view(ws).reaped = true;
      await this.host.handleClose(ws, 1006);
    }
  }
}
