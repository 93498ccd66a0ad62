// The Durable Object of one uid: that user's sockets, the connection cap,
// and the session events of spec section 5. The Worker forwards a signed-in
// upgrade here; sockets that sign out stay here, unbound.
import { CLOSE, encodeControl } from "../protocol/control.js";
import type { App, SignInOutcome, Uid } from "./app.js";
import type { Env, UserRpc, UserState } from "./env.js";
import { shardOf } from "./shards.js";
import type { EdgeSocket } from "./socket.js";
import { SocketHost } from "./socket-host.js";
import { issueTicket } from "./ticket.js";

export function userObjectClass(app: App) {
  return class UserObject extends SocketHost implements UserRpc {
    protected readonly objectClass = "UserObject";
    /** This object's uid, from storage: the Worker names the object after it. */
    private uid: Uid | null = null;

    constructor(ctx: DurableObjectState, env: Env) {
      super(ctx, env, app);
      ctx.blockConcurrencyWhile(async () => {
        this.uid = (await ctx.storage.get<Uid>("uid")) ?? null;
      });
    }

    /**
     * A signed-in upgrade from the Worker: `/connect?uid=<json>&ctl=0|1`,
     * plus `&epoch=N` for a resume ticket (built by the Worker, never by a
     * client: the Worker has checked the credentials or the ticket).
     */
    override async fetch(request: Request): Promise<Response> {
      this.countRequest();
      const url = new URL(request.url);
      const uid = JSON.parse(url.searchParams.get("uid") ?? "null") as Uid;
      if (this.uid === null) {
        this.uid = uid;
        await this.ctx.storage.put("uid", uid);
      }
      const epoch = url.searchParams.get("epoch");
      const { socket, response } = this.open(url.searchParams.get("ctl") === "1");
      await this.fire("connection", socket, undefined);
      if (epoch !== null && Number(epoch) !== (await this.epoch())) {
        // A ticket from before a clear (a kick) or the last sign-out: refused, the socket stays here unbound.
        socket.send(encodeControl({ t: "resume", ok: false }));
      } else {
        await this.signInHere(socket, uid);
      }
      // A socket left unbound here (refused by the cap, or a stale ticket) still counts in the metrics.
      await this.syncRegistry();
      return response;
    }

    /** Bumped by every clear and by signing out of the last socket, so tickets issued before no longer resume. */
    private async epoch(): Promise<number> {
      return (await this.ctx.storage.get<number>("epoch")) ?? 0;
    }

    /** Gives a sockizy-edge client a resume ticket, when resume is on (TICKET_SECRET set). */
    private async sendTicket(socket: EdgeSocket): Promise<void> {
      const secret = this.env.TICKET_SECRET;
      if (!secret || !socket.attachment.ctl || socket.attachment.uid === null) return;
      const { ticket, exp } = await issueTicket(secret, socket.attachment.uid, await this.epoch(), app.ticketTtlMs);
      socket.attachment.tk = Date.now();
      socket.save();
      socket.send(encodeControl({ t: "ticket", ticket, exp }));
    }

    /**
     * Whether uid is this object's. The object is named String(uid), so its
     * id's name says it; a fresh object reached by name is that uid's too.
     */
    private isMine(uid: Uid): boolean {
      return String(uid) === String(this.ctx.id.name ?? this.uid ?? uid);
    }

    /** Open sockets bound to this uid: what the cap and `count` see. */
    private bound(): EdgeSocket[] {
      return this.live().filter((s) => s.attachment.uid !== null);
    }

    /**
     * Sockets still holding the uid, closing ones included until their close
     * is handled: what decides "the last socket", so `session.end` fires once.
     */
    private holders(): EdgeSocket[] {
      return this.ctx
        .getWebSockets()
        .map((ws) => this.view(ws))
        .filter((s) => s.attachment.uid !== null && !s.attachment.gone);
    }

    /** The registry shard of this uid (README "Scale"). */
    protected registryTarget(): number {
      return shardOf(this.uid as Uid, app.registryShards);
    }

    protected reported(state: UserState): UserState {
      return state;
    }

    /**
     * Tells this uid's shard. If the uid was last told to another shard
     * (`registryShards` changed), that one forgets it first: the uid is
     * re-homed, never counted twice or stranded. "home" is kept until the
     * old shard has heard, so a failed call is retried by the audit.
     */
    protected async report(where: number, state: UserState): Promise<number> {
      const uid = this.uid as Uid;
      const home = await this.ctx.storage.get<number>("home");
      if (home !== undefined && home !== where) {
        await this.registry.setUser(home, uid, { session: false, online: false, bound: 0, sockets: 0 });
      }
      if (home !== where) await this.ctx.storage.put("home", where);
      const { counters, restore } = await this.takeCounters();
      try {
        return await this.registry.setUser(where, uid, state, counters);
      } catch (e) {
        await restore();
        throw e;
      }
    }

    protected sizeHere(): Promise<number> {
      return this.registry.shardSize(this.registryTarget());
    }

    /** Size after a bind: the shard's answer if it was told, else asked. */
    private async sizeNow(): Promise<number> {
      return (await this.syncRegistry()) ?? (await this.sizeHere());
    }

    protected async signInHere(socket: EdgeSocket, uid: Uid, frame?: Uint8Array): Promise<void> {
      if (!this.isMine(uid)) {
        await this.redirect(socket, uid, frame as Uint8Array);
        return;
      }
      // The cap: count and bind in this one synchronous stretch, so two
      // sign-ins racing in this object cannot both pass.
      const { cap, policy } = app.signIn;
      const others = this.bound().filter((s) => s.id !== socket.id);
      let replaced: EdgeSocket | undefined;
      if (others.length >= cap) {
        if (policy !== "replace-oldest") {
          await this.reply(socket, { kind: "cap", uid, cap, count: others.length });
          return;
        }
        replaced = others.reduce((a, b) => (b.attachment.at < a.attachment.at ? b : a));
        this.setUid(replaced, null);
      }
      this.setUid(socket, uid);
      // Across objects from here on.
      if (replaced) {
        await this.fire("session.clear", replaced, uid);
        this.close(replaced.ws, CLOSE.replaced, "replaced by a newer sign-in");
      }
      await this.countOutcome("ok");
      const outcome: SignInOutcome = { kind: "ok", uid, size: await this.sizeNow() };
      await this.sendTicket(this.view(socket.ws));
      await this.reply(this.view(socket.ws), outcome);
    }

    private setUid(socket: EdgeSocket, uid: Uid | null): void {
      socket.attachment.uid = uid;
      socket.save();
    }

    override async bind(ws: WebSocket, uid: Uid): Promise<number> {
      const socket = this.view(ws);
      if (socket.attachment.uid !== null)
        throw new Error(`session.set: socket is already bound to ${socket.attachment.uid}`);
      if (!this.isMine(uid)) return super.bind(ws, uid);
      this.setUid(socket, uid);
      return this.sizeNow();
    }

    /** `socket.session.delete()`: a sign-out. */
    override async unbind(ws: WebSocket): Promise<void> {
      await this.release(this.view(ws), { signedOut: true });
    }

    private async release(socket: EdgeSocket, { signedOut }: { signedOut: boolean }): Promise<void> {
      const uid = socket.attachment.uid;
      if (uid === null) return;
      // Unbind first, in this turn, so a concurrent sign-in sees the freed slot.
      this.setUid(socket, null);
      if (signedOut) this.tellUnbound(socket);
      if (this.holders().length === 0) {
        // Signing out the uid's last socket voids its resume tickets (one may
        // still be in flight to the page); a close does not, so a dropped
        // client can come back.
        if (signedOut) await this.bumpEpoch();
        await this.fire("session.end", socket, uid);
      }
      await this.syncRegistry();
    }

    /** A sockizy client drops its resume ticket on this (the app's sign-out packet may have any name). */
    private tellUnbound(socket: EdgeSocket): void {
      if (socket.attachment.ctl) socket.send(encodeControl({ t: "unbound" }));
    }

    private async bumpEpoch(): Promise<void> {
      await this.ctx.storage.put("epoch", (await this.epoch()) + 1);
    }

    override async clear(uid: Uid, close?: { code: number; reason: string }): Promise<void> {
      this.countRequest();
      if (!this.isMine(uid)) return super.clear(uid);
      const sockets = this.holders();
      for (const s of sockets) {
        this.setUid(s, null);
        this.tellUnbound(s);
      }
      await this.bumpEpoch();
      for (const s of sockets) await this.fire("session.clear", s, this.uid);
      const last = sockets.at(-1);
      if (last) await this.fire("session.end", last, this.uid);
      if (close) for (const s of sockets) this.close(s.ws, close.code, close.reason);
      await this.syncRegistry();
    }

    override async count(uid: Uid): Promise<number> {
      this.countRequest();
      if (!this.isMine(uid)) return super.count(uid);
      return this.bound().length;
    }

    override async sessionEmit(message: unknown, uid: Uid): Promise<void> {
      this.countRequest();
      if (!this.isMine(uid)) return super.sessionEmit(message, uid);
      for (const s of this.bound()) await this.fire("session", s, message);
    }

    protected async gone(socket: EdgeSocket, code: number): Promise<void> {
      await this.release(socket, { signedOut: false });
      await this.fire("close", socket, code);
      await this.syncRegistry();
    }

    override async alarm(): Promise<void> {
      this.countRequest();
      if (this.uid === null) return;
      await this.audit();
      // Renew tickets past half their life, so a long-lived socket can still resume.
      for (const s of this.bound()) {
        if (s.attachment.tk !== undefined && Date.now() - s.attachment.tk > app.ticketTtlMs / 2)
          await this.sendTicket(s);
      }
    }
  };
}
