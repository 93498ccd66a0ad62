// A user object's side of session resume (docs/sign-in.md#session-resume):
// its epoch, which voids every ticket issued before it moved, and the
// tickets it hands to the sockizy clients bound to it.
import { encodeControl } from "../../protocol/control.js";
import type { Env } from "../rpc/env.js";
import type { EdgeSocket } from "../sockets/socket.js";
import { issueTicket } from "./ticket.js";

export class SessionTickets {
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly env: Env,
    private readonly ttlMs: number,
  ) {}

  /** Bumped by every clear and by signing out of the last socket, so tickets issued before no longer resume. */
  async epoch(): Promise<number> {
    return (await this.storage.get<number>("epoch")) ?? 0;
  }

  async bumpEpoch(): Promise<void> {
    await this.storage.put("epoch", (await this.epoch()) + 1);
  }

  /** Gives a sockizy-edge client a resume ticket, when resume is on (TICKET_SECRET set). */
  async send(socket: EdgeSocket): Promise<void> {
    const secret = this.env.TICKET_SECRET;
    if (!secret || !socket.attachment.ctl || socket.attachment.uid === null) return;
    const { ticket, exp } = await issueTicket(secret, socket.attachment.uid, await this.epoch(), this.ttlMs);
    socket.attachment.tk = Date.now();
    socket.save();
    socket.send(encodeControl({ t: "ticket", ticket, exp }));
  }

  /** Renews tickets past half their life, so a long-lived socket can still resume. */
  async renew(sockets: readonly EdgeSocket[]): Promise<void> {
    for (const s of sockets) {
      if (s.attachment.tk !== undefined && Date.now() - s.attachment.tk > this.ttlMs / 2) await this.send(s);
    }
  }
}
