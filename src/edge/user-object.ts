// The Durable Object of one uid: that user's sockets, the connection cap,
// and the session events of spec section 5. The Worker forwards a signed-in
// upgrade here; sockets that sign out stay here, unbound.
import { CLOSE } from "../protocol/control.js";
import type { App, SignInOutcome, Uid } from "./app.js";
import type { Env, UserRpc } from "./env.js";
import type { EdgeSocket } from "./socket.js";
import { type RegistryState, SocketHost } from "./socket-host.js";

export function userObjectClass(app: App) {
  return class UserObject extends SocketHost implements UserRpc {
    /** This object's uid, from storage: the Worker names the object after it. */
    private uid: Uid | null = null;

    constructor(ctx: DurableObjectState, env: Env) {
      super(ctx, env, app);
      ctx.blockConcurrencyWhile(async () => {
        this.uid = (await ctx.storage.get<Uid>("uid")) ?? null;
      });
    }

    /** A signed-in upgrade from the Worker: `/connect?uid=<json>&ctl=0|1` (built by the Worker, never by a client). */
    override async fetch(request: Request): Promise<Response> {
      const url = new URL(request.url);
      const uid = JSON.parse(url.searchParams.get("uid") ?? "null") as Uid;
      if (this.uid === null) {
        this.uid = uid;
        await this.ctx.storage.put("uid", uid);
      }
      const { socket, response } = this.open(url.searchParams.get("ctl") === "1");
      await this.signInHere(socket, uid);
      await this.fire("connection", this.view(socket.ws), undefined);
      return response;
    }

    private isMine(uid: Uid): boolean {
      return this.uid !== null && String(uid) === String(this.uid);
    }

    /** Open sockets bound to this uid. */
    private bound(): EdgeSocket[] {
      return this.live().filter((s) => s.attachment.uid !== null);
    }

    private report = (state: RegistryState) => this.registry.setUser(this.uid as Uid, state);

    /** Size after a bind: the registry's answer if it was told, else asked. */
    private async sizeNow(): Promise<number> {
      return (await this.syncRegistry(this.report)) ?? (await this.registry.size());
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
      const outcome: SignInOutcome = { kind: "ok", uid, size: await this.sizeNow() };
      await this.reply(this.view(socket.ws), outcome);
    }

    private setUid(socket: EdgeSocket, uid: Uid | null): void {
      socket.attachment.uid = uid;
      socket.save();
    }

    override async bind(ws: WebSocket, uid: Uid): Promise<number> {
      const socket = this.view(ws);
      if (socket.attachment.uid !== null) throw new Error(`session.set: socket is already bound to ${socket.attachment.uid}`);
      if (!this.isMine(uid)) return super.bind(ws, uid);
      this.setUid(socket, uid);
      return this.sizeNow();
    }

    override async unbind(ws: WebSocket): Promise<void> {
      const socket = this.view(ws);
      const uid = socket.attachment.uid;
      if (uid === null) return;
      // Unbind first, in this turn, so a concurrent sign-in sees the freed slot.
      this.setUid(socket, null);
      if (this.bound().length === 0) await this.fire("session.end", socket, uid);
      await this.syncRegistry(this.report);
    }

    override async clear(uid: Uid, close?: { code: number; reason: string }): Promise<void> {
      if (!this.isMine(uid)) return super.clear(uid);
      const sockets = this.bound();
      for (const s of sockets) this.setUid(s, null);
      for (const s of sockets) await this.fire("session.clear", s, this.uid);
      const last = sockets.at(-1);
      if (last) await this.fire("session.end", last, this.uid);
      if (close) for (const s of sockets) this.close(s.ws, close.code, close.reason);
      await this.syncRegistry(this.report);
    }

    override async count(uid: Uid): Promise<number> {
      if (!this.isMine(uid)) return super.count(uid);
      return this.bound().length;
    }

    override async sessionEmit(message: unknown, uid: Uid): Promise<void> {
      if (!this.isMine(uid)) return super.sessionEmit(message, uid);
      for (const s of this.bound()) await this.fire("session", s, message);
    }

    protected async gone(socket: EdgeSocket, code: number): Promise<void> {
      await this.unbind(socket.ws);
      await this.fire("close", socket, code);
      await this.syncRegistry(this.report);
    }

    override async alarm(): Promise<void> {
      if (this.uid !== null) await this.audit(this.report);
    }
  };
}
