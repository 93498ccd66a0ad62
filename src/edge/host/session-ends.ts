// How a user object's sockets leave the uid's session (spec section 5): a
// sign-out or a close of one socket, a clear of them all (with a kick, they
// are closed too), and the kick of one socket by its id
// (docs/operations.md#sessions-of-a-user). `session.end` fires when the
// uid's last socket, local or relayed, goes.
import { CLOSE } from "../../protocol/control.js";
import type { Uid } from "../app/define-app.js";
import type { OfflineReason } from "../events/event.js";
import type { RelayedMembers } from "../relay/members.js";
import type { SessionTickets } from "../resume/session-tickets.js";
import type { RelayMember } from "../rpc/contracts.js";
import type { EdgeSocket, ServerSocket } from "../sockets/socket.js";

/** What the ends of sessions need from the user object. */
export interface SessionHost {
  /** The object's uid (loaded before any call here). */
  uid(): Uid;
  /** Sockets holding the uid, closing ones until their close is handled. */
  holders(): EdgeSocket[];
  readonly members: RelayedMembers;
  readonly tickets: SessionTickets;
  fire(event: string, socket: ServerSocket, data: unknown): Promise<void>;
  close(ws: WebSocket, code: number, reason: string): void;
  sync(): Promise<unknown>;
  /** Right after each unbind, in the same stretch: the uid's `offline` event if it was the last (docs/events.md). */
  note(reason: OfflineReason): void;
}

const KICKED = { code: CLOSE.kicked, reason: "kicked" };

export class SessionEnds {
  constructor(private readonly host: SessionHost) {}

  /** No local socket nor relayed member holds the uid: an unbind now ends its session. */
  private noneLeft(): boolean {
    return this.host.holders().length === 0 && this.host.members.count() === 0;
  }

  /** A local socket signs out (`session.delete()`) or closed. */
  async release(socket: EdgeSocket, { signedOut }: { signedOut: boolean }): Promise<void> {
    const uid = socket.attachment.uid;
    if (uid === null) return;
    // Unbind first, in this turn, so a concurrent sign-in sees the freed slot.
    socket.setUid(null);
    this.host.note(signedOut ? "signout" : socket.reaped ? "reaped" : "close");
    if (signedOut) socket.tellUnbound();
    if (this.noneLeft()) {
      // Signing out the uid's last socket voids its resume tickets (one may
      // still be in flight to the page); a close does not, so a dropped
      // client can come back.
      if (signedOut) await this.host.tickets.bumpEpoch();
      await this.host.fire("session.end", socket, uid);
    }
    await this.host.sync();
  }

  /** A member signs out (its holder handles its frames again) or its socket closed (or was lost: `reaped`). */
  async releaseMember(
    member: RelayMember,
    { signedOut, reaped }: { signedOut: boolean; reaped?: boolean },
  ): Promise<void> {
    const { members } = this.host;
    const view = members.view(member);
    if (!members.remove(member)) return;
    this.host.note(signedOut ? "signout" : reaped ? "reaped" : "close");
    if (this.noneLeft()) {
      if (signedOut) await this.host.tickets.bumpEpoch();
      await this.host.fire("session.end", view, member.uid);
    }
    if (signedOut) await members.end(member);
    await this.host.sync();
  }

  /** Every socket of the uid unbound (`session.clear` on each, `session.end` on one); with `close`, closed (a kick). */
  async clear(close?: { code: number; reason: string }): Promise<void> {
    const { members } = this.host;
    const uid = this.host.uid();
    const sockets = this.host.holders();
    const all = members.all();
    const views = all.map((m) => members.view(m));
    for (const s of sockets) {
      s.setUid(null);
      s.tellUnbound();
    }
    for (const m of all) members.remove(m);
    this.host.note(close ? "kick" : "clear");
    await this.host.tickets.bumpEpoch();
    for (const s of [...sockets, ...views]) await this.host.fire("session.clear", s, uid);
    const last = sockets.at(-1) ?? views.at(-1);
    if (last) await this.host.fire("session.end", last, uid);
    // A relayed member's holder handles its frames again (and closes it for a kick).
    for (const m of all) await members.end(m, close);
    if (close) for (const s of sockets) this.host.close(s.ws, close.code, close.reason);
    await this.host.sync();
  }

  /**
   * Kicks one socket by its id (`POST /admin/kick` with `socket`): it gets
   * `session.clear`, is unbound and closed with 4003, and `session.end` if
   * it was the uid's last. Its resume ticket is voided (the epoch moves), and
   * the uid's other sockets get fresh tickets, so they stay resumable. False,
   * changing nothing, if no socket of the uid has that id.
   */
  async kick(id: string): Promise<boolean> {
    const { members, tickets } = this.host;
    const uid = this.host.uid();
    const socket = this.host.holders().find((s) => s.id === id);
    const member = socket ? undefined : members.all().find((m) => m.id === id);
    let view: ServerSocket;
    if (socket) {
      socket.setUid(null);
      socket.tellUnbound();
      view = socket;
    } else if (member) {
      view = members.view(member);
      members.remove(member);
    } else {
      return false;
    }
    this.host.note("kick");
    const last = this.noneLeft();
    await tickets.bumpEpoch();
    await this.host.fire("session.clear", view, uid);
    if (last) await this.host.fire("session.end", view, uid);
    if (socket) this.host.close(socket.ws, KICKED.code, KICKED.reason);
    if (member) await members.end(member, KICKED);
    for (const other of this.host.holders()) await tickets.send(other);
    await this.host.sync();
    return true;
  }
}
