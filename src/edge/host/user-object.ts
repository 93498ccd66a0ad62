// The Durable Object of one uid: its sockets, the connection cap and the session events of
// spec section 5. Sockets that sign out stay here, unbound. Sockets held elsewhere may be bound
// here by relay (relay/members.ts): the cap, `count`, `session.emit` and clears see them too.
import { CLOSE, encodeControl } from "../../protocol/control.js";
import type { App, SignInOutcome, Uid } from "../app/define-app.js";
import { UserEvents } from "../events/user-events.js";
import { shardOf } from "../registry/shards.js";
import { RelayedMembers } from "../relay/members.js";
import { SessionTickets } from "../resume/session-tickets.js";
import type { HolderRef, RelayMember, UserRpc, UserState } from "../rpc/contracts.js";
import type { Env } from "../rpc/env.js";
import type { EdgeSocket, SessionInfo } from "../sockets/socket.js";
import { Liveness } from "./liveness.js";
import { type Told, UserReports } from "./registry-sync.js";
import { type Seat, type Taken, takeSeat } from "./seats.js";
import { SessionEnds } from "./session-ends.js";
import { listSessions } from "./session-list.js";
import { SocketHost } from "./socket-host.js";
import { UserFacts } from "./user-facts.js";

export function userObjectClass(app: App) {
  return class UserObject extends SocketHost implements UserRpc {
    /** Its uid, loaded from storage at the first event that needs it. */
    private readonly facts: UserFacts;
    /** Sockets held by other objects and bound here by relay (docs/sign-in.md#sign-in-by-relay). */
    private readonly members: RelayedMembers;
    /** Resume tickets and the epoch that voids them (docs/sign-in.md#session-resume). */
    private readonly tickets: SessionTickets;
    private readonly reports: UserReports;
    /** Sign-outs, closes, clears and kicks: how sockets leave the session. */
    private readonly ends: SessionEnds;
    /** Before a sign-in the cap would refuse, dead holders go (docs/architecture.md#dead-holders, docs/sign-in.md#liveness-probe). */
    private readonly liveness: Liveness;
    /** Online/offline events for a backend (docs/events.md): `note` after every change of the bound sockets. */
    private readonly events: UserEvents;

    constructor(ctx: DurableObjectState, env: Env) {
      super(ctx, env, app, "UserObject");
      this.facts = new UserFacts(ctx);
      this.liveness = new Liveness(ctx, app, {
        bound: () => this.bound(),
        members: () => this.members.count(),
        reapDead: () => this.auditor.reapDead(),
      });
      this.tickets = new SessionTickets(ctx.storage, env, app.ticketTtlMs);
      this.reports = new UserReports(ctx.storage, () => this.registry, this.counters);
      this.members = new RelayedMembers(ctx, env, {
        io: this.io,
        encode: (name, data) => this.encode(name, data),
        clear: (uid) => this.clear(uid),
        count: (uid) => this.count(uid),
        sessionEmit: (message, uid) => this.sessionEmit(message, uid),
        signOut: (member) => this.ends.releaseMember(member, { signedOut: true }),
      });
      this.ends = new SessionEnds({
        uid: () => this.facts.uid as Uid,
        holders: () => this.holders(),
        members: this.members,
        tickets: this.tickets,
        fire: (event, socket, data) => this.fire(event, socket, data),
        close: (ws, code, reason) => this.close(ws, code, reason),
        sync: () => this.syncRegistry(),
        note: (reason) => this.events.note(reason),
      });
      this.events = new UserEvents(ctx, env, app.events, {
        uid: () => this.facts.uid as Uid,
        held: () => this.holders().length + this.members.count(),
        count: (name, by) => this.counters.count(name, by),
        report: (since) => this.reports.events(this.facts.uid as Uid, this.registryTarget(), since),
        auditTime: () => (this.holding().online || this.registrySync.mayBeCounted() ? Date.now() + app.auditMs : null),
      });
    }

    protected override loadFacts(): Promise<void> {
      return this.facts.load(["reg", "home", "metrics"], (stored) => {
        this.registrySync.seed(stored.get("reg") as Told | undefined);
        this.reports.seed(stored.get("home") as number | undefined);
        this.counters.seed(stored.has("metrics"));
      });
    }

    /** Every call and event from outside: the object's facts loaded, the request counted. */
    private async enter(): Promise<void> {
      await this.loadFacts();
      this.counters.request();
    }

    /** A signed-in upgrade from the Worker (worker/worker.ts `toUser`: it checked the credentials or ticket). */
    override async fetch(request: Request): Promise<Response> {
      await this.enter();
      const url = new URL(request.url);
      const uid = JSON.parse(url.searchParams.get("uid") ?? "null") as Uid;
      await this.facts.adopt(uid);
      const epoch = url.searchParams.get("epoch");
      const { socket, response } = this.open(url.searchParams);
      await this.fire("connection", socket, undefined);
      // A socket left unbound here by a stale ticket still counts in the metrics.
      let rest: () => Promise<unknown> = () => this.syncRegistry();
      if (epoch !== null && Number(epoch) !== (await this.tickets.epoch())) {
        // A ticket from before a clear (a kick) or the last sign-out: refused, the socket stays here unbound.
        socket.send(encodeControl({ t: "resume", ok: false }));
      } else {
        rest = await this.seat(socket, uid);
      }
      // The 101 leaves now, with the ticket: what follows the cap decision crosses objects (the
      // shard's `size`, the app's reply), and awaiting it would hold the 101, so every frame,
      // behind those calls (docs/sign-in.md#sign-in-hops). Later frames still arrive in order.
      const failed = (e: unknown) => console.error("sockizy-edge: finishing a sign-in failed:", e);
      this.ctx.waitUntil(rest().catch(failed));
      return response;
    }

    /** Open sockets bound to this uid: what the cap and `count` see. */
    private bound(): EdgeSocket[] {
      return this.live().filter((s) => s.attachment.uid !== null);
    }

    /** Sockets holding the uid, closing ones until their close is handled: "the last socket" for `session.end`. */
    private holders(): EdgeSocket[] {
      return this.ctx
        .getWebSockets()
        .map((ws) => this.view(ws))
        .filter((s) => s.attachment.uid !== null && !s.attachment.gone);
    }

    /** Relayed members count as bound sockets; only local sockets make it online (its holder delivers broadcasts). */
    protected override holding(): UserState {
      const here = super.holding();
      const bound = here.bound + this.members.count();
      return { ...here, bound, session: bound > 0 };
    }

    protected relayHolder(): HolderRef {
      return { kind: "user", name: this.facts.name };
    }

    /** The registry shard of this uid (docs/scale.md#registry-shards). */
    protected registryTarget(): number {
      return shardOf(this.facts.uid as Uid, app.registryShards);
    }

    protected reported(state: UserState): UserState {
      return state;
    }

    protected report(where: number, state: UserState): Promise<number> {
      return this.reports.report(this.facts.uid as Uid, where, state);
    }

    protected sizeHere(): Promise<number> {
      return this.registry.shardSize(this.registryTarget());
    }

    /** Size after a bind: the shard's answer if it was told, else asked. */
    private async sizeNow(): Promise<number> {
      return (await this.syncRegistry()) ?? (await this.sizeHere());
    }

    protected async signInHere(socket: EdgeSocket, uid: Uid, frame?: Uint8Array): Promise<void> {
      if (!this.facts.isMine(uid)) {
        await this.inBand.bindElsewhere(socket, uid, frame as Uint8Array);
        return;
      }
      await (await this.seat(socket, uid, true))();
    }

    /**
     * The way cleared (at the cap: a probe awaited, docs/sign-in.md#liveness-probe), the cap decided,
     * the seat taken, and a sockizy client's resume ticket sent: a resuming client holds its queue until
     * the ticket, and takes a `#pong` before it for a refusal (docs/client.md#offline-queue), so it goes
     * before the 101. Resolves to the rest, which crosses objects.
     */
    private async seat(socket: EdgeSocket, uid: Uid, inBand = false): Promise<() => Promise<void>> {
      await this.liveness.clearWay(socket.id);
      if (socket.attachment.gone) return async () => {}; // closed while a probe was awaited: stays unbound
      const taken = this.takeSeat(uid, socket.id, () => socket.setUid(uid));
      if ("refused" in taken) {
        // Left unbound here, it counts in the metrics (an in-band refusal changed nothing reported); as the
        // object's first local socket it makes it a broadcast target: reported before the reply, then.
        const report = inBand ? async () => {} : () => this.syncRegistry();
        const first = this.live().length === 1;
        return async () => {
          await this.counters.outcome(taken.refused.kind); // handed on with the report
          if (first) await report();
          await this.reply(socket, taken.refused, true);
          if (!first) await report();
        };
      }
      await this.tickets.send(this.view(socket.ws));
      return async () => this.reply(this.view(socket.ws), await this.seated(taken.replaced, uid));
    }

    /**
     * The cap: local sockets and relayed members counted and the seat taken (`bind`) in one
     * synchronous stretch, so racing sign-ins cannot both pass. A replaced seat is unbound here.
     */
    private takeSeat(uid: Uid, except: string | undefined, bind: () => void): Taken {
      this.events.note("reaped"); // sockets a reset dropped unseen (docs/events.md#the-event)
      const { cap, policy } = app.signIn;
      const locals = this.bound().filter((s) => s.id !== except);
      const taken = takeSeat(uid, cap, policy, locals, this.members.all());
      if ("refused" in taken) return taken;
      const seat = taken.replaced;
      if (seat && "ws" in seat) seat.setUid(null);
      else if (seat) this.members.remove(seat);
      bind();
      this.events.note();
      return taken;
    }

    /** A seat is taken; across objects from here on: the seat it replaced let go, `size` for the reply. */
    private async seated(replaced: Seat | undefined, uid: Uid): Promise<SignInOutcome> {
      await this.replaced(replaced, uid);
      await this.counters.outcome("ok");
      return { kind: "ok", uid, size: await this.sizeNow() };
    }

    /** The seat a "replace-oldest" sign-in took: `session.clear` on it, then it is closed (4001). */
    private async replaced(seat: Seat | undefined, uid: Uid): Promise<void> {
      if (seat === undefined) return;
      const close = { code: CLOSE.replaced, reason: "replaced by a newer sign-in" };
      if ("ws" in seat) {
        await this.fire("session.clear", seat, uid);
        this.close(seat.ws, close.code, close.reason);
      } else {
        await this.fire("session.clear", this.members.view(seat), uid);
        await this.members.end(seat, close);
      }
    }

    // ---------------------------------------------------------------- relayed members (docs/sign-in.md#sign-in-by-relay)
    /** A holder asks to bind a socket it holds (its credentials checked there, limits included). */
    async relayAdmit(member: RelayMember): Promise<SignInOutcome | null> {
      await this.enter();
      const { uid } = member;
      if (!this.facts.isMine(uid)) return { kind: "error", uid };
      await this.facts.adopt(uid);
      if (this.members.get(member.holder, member.id)) return null;
      await this.liveness.clearWay(undefined);
      if (this.members.get(member.holder, member.id)) return null;
      const taken = this.takeSeat(uid, undefined, () => this.members.add(member));
      // Refused: the socket is not bound, so its holder replies, as to any unbound socket there.
      if ("refused" in taken) return taken.refused;
      try {
        await this.reply(this.members.view(member), await this.seated(taken.replaced, uid));
      } catch (e) {
        // Bound all the same: the holder must not reply a refusal.
        console.error("sockizy-edge: finishing a relayed sign-in failed:", e);
      }
      return null;
    }

    async relayFrame(holder: HolderRef, id: string, event: string, data: unknown, size: number) {
      await this.enter();
      const member = this.members.get(holder, id);
      if (member === undefined) return false;
      if (!this.floods.passUser(size)) return "flood"; // docs/floods.md: its holder closes it
      await this.fire(event, this.members.view(member), data);
      return true;
    }

    async relayClosed(holder: HolderRef, id: string, code: number): Promise<boolean> {
      await this.enter();
      const member = this.members.get(holder, id);
      if (member === undefined) return false;
      const view = this.members.view(member);
      await this.ends.releaseMember(member, { signedOut: false });
      await this.fire("close", view, code);
      return true;
    }

    async relayMembers(holder: HolderRef, ids: string[]): Promise<string[]> {
      await this.enter();
      return ids.filter((id) => this.members.get(holder, id) !== undefined);
    }

    /** The audit, for members: one whose holder no longer holds it open is let go, as by a close. */
    protected override async auditRelays(): Promise<void> {
      await super.auditRelays();
      for (const member of await this.members.lost()) {
        const view = this.members.view(member);
        await this.ends.releaseMember(member, { signedOut: false, reaped: true });
        await this.fire("close", view, 1006);
      }
    }

    override async bind(ws: WebSocket, uid: Uid): Promise<number> {
      const socket = this.view(ws);
      if (socket.attachment.uid !== null)
        throw new Error(`session.set: socket is already bound to ${socket.attachment.uid}`);
      if (!this.facts.isMine(uid)) return super.bind(ws, uid);
      this.events.note("reaped");
      socket.setUid(uid);
      this.events.note();
      return this.sizeNow();
    }

    /** `socket.session.delete()`: a sign-out. */
    override async unbind(ws: WebSocket): Promise<void> {
      await this.ends.release(this.view(ws), { signedOut: true });
    }

    override async clear(uid: Uid, close?: { code: number; reason: string }): Promise<void> {
      await this.enter();
      if (!this.facts.isMine(uid)) return super.clear(uid);
      await this.ends.clear(close);
    }

    /** `io.session.list(uid)`, `GET /admin/sessions` (docs/operations.md#sessions-of-a-user). */
    async sessions(uid: Uid): Promise<SessionInfo[]> {
      await this.enter();
      if (!this.facts.isMine(uid)) return [];
      return listSessions(this.ctx, this.bound(), this.members);
    }

    /** `POST /admin/kick` with a socket id: that socket only (docs/operations.md#admin-api). */
    async kick(uid: Uid, socket: string): Promise<boolean> {
      await this.enter();
      return this.facts.isMine(uid) && this.facts.uid !== null && this.ends.kick(socket);
    }

    override async count(uid: Uid): Promise<number> {
      await this.enter();
      if (!this.facts.isMine(uid)) return super.count(uid);
      return this.bound().length + this.members.count();
    }

    override async sessionEmit(message: unknown, uid: Uid): Promise<void> {
      await this.enter();
      if (!this.facts.isMine(uid)) return super.sessionEmit(message, uid);
      for (const s of this.bound()) await this.fire("session", s, message);
      for (const m of this.members.all()) await this.fire("session", this.members.view(m), message);
    }

    protected async onClosed(socket: EdgeSocket, code: number): Promise<void> {
      await this.ends.release(socket, { signedOut: false });
      await this.fire("close", socket, code);
      await this.syncRegistry();
    }

    override async alarm(): Promise<void> {
      await this.enter();
      if (this.facts.uid === null) return;
      await this.events.alarm(async () => {
        await this.auditor.run();
        await this.tickets.renew(this.bound());
      });
    }
  };
}
