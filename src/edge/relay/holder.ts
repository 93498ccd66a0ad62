// The holder's side of a relay (docs/sign-in.md#sign-in-by-relay). A socket lives in
// the object that accepted it and cannot move. When one signs in in-band
// where it cannot be bound (a lobby, or another uid's object) and its client
// cannot follow the reconnect instruction (it did not offer the `sockizy`
// subprotocol), it stays here and is bound to its uid's object by relay:
// that object admits it (the cap checked with its own sockets), its frames
// go there one RPC each, and that object's sends come back one RPC each.
// Broadcasts reach it from here only (the holder delivers to every socket it
// holds; the user object delivers to its own sockets only), so exactly once.
//
// Hibernation: the relay is the attachment's `relay` (the uid); the other
// side keeps the member in SQLite (relay/members.ts). Only a sign-in in
// flight is in memory (an object does not hibernate mid-await); the audit
// repairs what an eviction or a failed call left behind.
import type { SignInOutcome, Uid } from "../app/define-app.js";
import type { Frame, HolderRef, UserRpc } from "../rpc/contracts.js";
import type { Env } from "../rpc/env.js";
import { stubCache, userStub } from "../rpc/names.js";
import type { EdgeSocket } from "../sockets/socket.js";

/** What the relay needs from the object holding the sockets. */
export interface RelayHost {
  readonly ctx: DurableObjectState;
  readonly env: Env;
  /** This object, as a user object calls it back. */
  holder(): HolderRef;
  view(ws: WebSocket): EdgeSocket;
  close(ws: WebSocket, code: number, reason: string): void;
  /** The uid's object found its user over its frame limit: the socket is closed (1008), its next frames dropped here. */
  flooded(ws: WebSocket): void;
}

export class Relay {
  /** One stub per uid for the instance's life, so calls to one object arrive in the order they were made. */
  private readonly user: (uid: Uid) => UserRpc;
  /**
   * Admissions in flight, by socket id. The client may get USER.OK (the
   * reply, or the session broadcast) before the admission call returns
   * here, and answer at once: its frames wait for the admission, then go
   * where the socket belongs (its uid's object if admitted, here if not).
   */
  private readonly admitting = new Map<string, Promise<SignInOutcome | null>>();

  constructor(private readonly host: RelayHost) {
    this.user = stubCache((uid: Uid) => userStub(host.env, uid));
  }

  /** The socket open or closing here with this id (sockets are tagged with their id when accepted). */
  private socket(id: string): EdgeSocket | undefined {
    const ws = this.host.ctx.getWebSockets(id)[0];
    return ws === undefined ? undefined : this.host.view(ws);
  }

  private unmark(socket: EdgeSocket, uid: Uid): void {
    if (socket.attachment.relay === undefined || String(socket.attachment.relay) !== String(uid)) return;
    delete socket.attachment.relay;
    socket.save();
  }

  /**
   * Asks uid's object to admit the socket (credentials already checked
   * here, limits included). Resolves to null when it is bound (that object
   * has replied through us), else to the refusal to reply here.
   */
  admit(socket: EdgeSocket, uid: Uid): Promise<SignInOutcome | null> {
    // Marked first: the object's reply comes back through relaySend before the call resolves.
    socket.attachment.relay = uid;
    socket.save();
    const admission = this.ask(socket, uid).finally(() => this.admitting.delete(socket.id));
    this.admitting.set(socket.id, admission);
    return admission;
  }

  private async ask(socket: EdgeSocket, uid: Uid): Promise<SignInOutcome | null> {
    let refused: SignInOutcome | null;
    try {
      const member = { holder: this.host.holder(), id: socket.id, uid, at: socket.attachment.at };
      refused = await this.user(uid).relayAdmit(member);
    } catch (e) {
      console.error("sockizy-edge: relaying a sign-in failed:", e);
      refused = { kind: "error", uid };
    }
    if (refused !== null) this.unmark(socket, uid);
    return refused;
  }

  /** Bound by relay, or being admitted: a sign-in on it is ignored. */
  isRelayed(socket: EdgeSocket): boolean {
    return socket.attachment.relay !== undefined;
  }

  /**
   * Sends a frame's event to the socket's object (one RPC). False when the
   * socket is not relayed, or that object no longer has it: it is handled
   * here then (and from then on).
   */
  async forward(socket: EdgeSocket, event: string, data: unknown, size: number): Promise<boolean> {
    // Per frame: only a socket being admitted waits (no extra await for the others).
    const admission = this.admitting.get(socket.id);
    if (admission) await admission;
    const uid = socket.attachment.relay;
    if (uid === undefined) return false;
    try {
      const handled = await this.user(uid).relayFrame(this.host.holder(), socket.id, event, data, size);
      if (handled === "flood") this.host.flooded(socket.ws);
      if (handled) return true;
    } catch (e) {
      // Not handled here either: the frame belongs to the uid's handlers. Lost, as on a dropped link.
      console.error(`sockizy-edge: relaying a frame to ${uid} failed; it is dropped:`, e);
      return true;
    }
    this.unmark(socket, uid);
    return false;
  }

  /**
   * A relayed socket closed: its object unbinds it and runs its close
   * handler. True if that object handled it (then this object's own close
   * handling is skipped). A failed call is repaired by that object's audit.
   */
  async closed(socket: EdgeSocket, code: number): Promise<boolean> {
    // A close during the admission is told once the uid's object knows the member, so it unbinds it.
    await this.admitting.get(socket.id);
    const uid = socket.attachment.relay;
    if (uid === undefined) return false;
    try {
      return await this.user(uid).relayClosed(this.host.holder(), socket.id, code);
    } catch (e) {
      console.error(`sockizy-edge: telling ${uid} a relayed socket closed failed; its audit repairs it:`, e);
      return true;
    }
  }

  // ---------------------------------------------------------------- calls from the user objects

  // A send or close from a user object is carried out even once the relay
  // has ended: a handler still holding the socket (it sent after
  // `session.delete()`, say) reaches it, as it would a local socket.
  send(id: string, frame: Frame): void {
    this.socket(id)?.send(frame);
  }

  end(id: string, uid: Uid, close?: { code: number; reason: string }): void {
    const socket = this.socket(id);
    if (!socket || String(socket.attachment.relay) !== String(uid)) return;
    this.unmark(socket, uid);
    if (close) this.host.close(socket.ws, close.code, close.reason);
  }

  close(id: string, code: number, reason: string): void {
    const socket = this.socket(id);
    if (socket) this.host.close(socket.ws, code, reason);
  }

  check(uid: Uid, ids: string[]): string[] {
    return ids.filter((id) => this.relayedOpen(id, uid) !== undefined);
  }

  /** When each of these sockets, open here and relayed to uid, was last heard (docs/operations.md#sessions-of-a-user). */
  heard(uid: Uid, ids: string[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const id of ids) {
      const socket = this.relayedOpen(id, uid);
      if (socket)
        out[id] = socket.lastHeard(this.host.ctx.getWebSocketAutoResponseTimestamp(socket.ws)?.getTime() ?? 0);
    }
    return out;
  }

  private relayedOpen(id: string, uid: Uid): EdgeSocket | undefined {
    const socket = this.socket(id);
    const open =
      socket !== undefined &&
      socket.ws.readyState === WebSocket.READY_STATE_OPEN &&
      !socket.attachment.gone &&
      String(socket.attachment.relay) === String(uid);
    return open ? socket : undefined;
  }

  /**
   * The audit (docs/architecture.md#no-ghost-sessions): each relayed socket's object is
   * asked whether it still has it (one call per uid); one that does not (a
   * clear whose call here failed) is handled here again, unbound.
   */
  async audit(sockets: EdgeSocket[]): Promise<void> {
    const byUid = new Map<string, { uid: Uid; sockets: EdgeSocket[] }>();
    for (const s of sockets) {
      const uid = s.attachment.relay;
      if (uid === undefined || this.admitting.has(s.id)) continue;
      const entry = byUid.get(String(uid)) ?? { uid, sockets: [] };
      entry.sockets.push(s);
      byUid.set(String(uid), entry);
    }
    for (const { uid, sockets: held } of byUid.values()) {
      let members: string[];
      try {
        members = await this.user(uid).relayMembers(
          this.host.holder(),
          held.map((s) => s.id),
        );
      } catch (e) {
        console.error(`sockizy-edge: auditing relays to ${uid} failed; the next audit tries again:`, e);
        continue;
      }
      for (const s of held) if (!members.includes(s.id) && !this.admitting.has(s.id)) this.unmark(s, uid);
    }
  }
}
