// The liveness probe (docs/sign-in.md#liveness-probe): before a sign-in the
// cap would refuse, the sockets in its way are asked whether they are
// alive, and those silent for `probeTimeoutMs` are let go. A holder that
// vanished without a close (a phone that changed networks, a sign-in whose
// connection was reset before its 101) then locks its user out for
// seconds, not for `heartbeatTimeoutMs`.
//
// Hibernation: when a socket was probed is in its attachment (`pr`); its
// answer is a `#ping`, which the runtime answers and records
// (`getWebSocketAutoResponseTimestamp`) without waking the object, even
// while it hibernates. The sign-in waiting for answers only reads those,
// between timers, so other sign-ins and frames run meanwhile. After a wake
// nothing is lost: a probe still pending is waited for by the next sign-in
// the cap would refuse, and one that went unanswered is judged by it or by
// the audit (audit.ts).
import { encodeControl } from "../../protocol/control.js";
import type { App } from "../app/define-app.js";
import type { EdgeSocket } from "../sockets/socket.js";

/** How often a waiting sign-in looks for answers: an answer wakes nothing, so it is read, not heard. */
const POLL_MS = 50;

const PROBE = encodeControl({ t: "probe" });

/** A sockizy client (it reads control frames) whose heartbeat is on answers probes; `hb=0` says it never pings. */
export function answersProbes(socket: EdgeSocket): boolean {
  return socket.attachment.ctl && socket.attachment.hb !== 0;
}

/** The runtime's record of the socket's last `#ping` (ms), 0 if it never pinged. */
export function lastPing(ctx: DurableObjectState, socket: EdgeSocket): number {
  return ctx.getWebSocketAutoResponseTimestamp(socket.ws)?.getTime() ?? 0;
}

/** A probe was sent and no `#ping` came after it: the answer is still awaited, or never came. */
function unanswered(ctx: DurableObjectState, socket: EdgeSocket): boolean {
  const sent = socket.attachment.pr;
  return sent !== undefined && lastPing(ctx, socket) < sent;
}

/** Silent for `timeoutMs` since its last probe: provably gone (the audit and a sign-in let it go). */
export function silentSinceProbe(ctx: DurableObjectState, socket: EdgeSocket, now: number, timeoutMs: number): boolean {
  return unanswered(ctx, socket) && now - (socket.attachment.pr as number) >= timeoutMs;
}

/** What the probe needs from the user object. */
export interface LivenessHost {
  /** The uid's open bound sockets here. */
  bound(): EdgeSocket[];
  /** Relayed members bound to the uid (they hold seats too, and are never probed). */
  members(): number;
  /** Lets go of sockets provably gone (audit.ts): no heartbeat, no answer to a probe. */
  reapDead(): Promise<void>;
}

export class Liveness {
  constructor(
    private readonly ctx: DurableObjectState,
    private readonly app: Pick<App, "signIn" | "probeTimeoutMs">,
    private readonly host: LivenessHost,
  ) {}

  /**
   * Clears the way of a sign-in (but `except`, the socket signing in) the
   * cap would refuse: the provably gone are let go; if that frees no seat
   * and the policy refuses, the sockets in the way that can answer are
   * probed (once: a pending probe is not sent again), their answers awaited
   * for at most `probeTimeoutMs`, and the silent let go. Below the cap it
   * costs one count and nothing else. Relayed members and clients that
   * cannot answer are never probed: they keep the heartbeat's rule.
   */
  async clearWay(except: string | undefined): Promise<void> {
    if (!this.full(except)) return;
    await this.host.reapDead();
    if (this.app.signIn.policy !== "reject" || !this.full(except)) return;
    const asked = this.ask(this.locals(except));
    if (asked.length === 0) return;
    await this.answers(asked);
    await this.host.reapDead();
  }

  /** The seats in the way: the uid's bound sockets but the one signing in. */
  private locals(except: string | undefined): EdgeSocket[] {
    return this.host.bound().filter((s) => s.id !== except);
  }

  private full(except: string | undefined): boolean {
    return this.locals(except).length + this.host.members() >= this.app.signIn.cap;
  }

  /** Probes each socket that can answer and has no probe pending; resolves to those awaited. */
  private ask(locals: EdgeSocket[]): EdgeSocket[] {
    const now = Date.now();
    const asked = locals.filter(answersProbes);
    for (const socket of asked) {
      if (unanswered(this.ctx, socket)) continue; // pending: its answer (or silence) is awaited already
      socket.attachment.pr = now;
      socket.save();
      socket.send(PROBE);
    }
    return asked;
  }

  /** Waits until every asked socket answered (or closed), or until the last one's time is up. */
  private async answers(asked: EdgeSocket[]): Promise<void> {
    const until = Math.max(...asked.map((s) => s.attachment.pr as number)) + this.app.probeTimeoutMs;
    const waiting = () => asked.some((s) => s.ws.readyState === WebSocket.READY_STATE_OPEN && unanswered(this.ctx, s));
    while (waiting()) {
      const left = until - Date.now();
      if (left <= 0) return;
      await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, left)));
    }
  }
}
