// The reference model of spec section 5 (../shared/spec/sockizy-protocol.md)
// plus the edge's sign-in rules (docs/sign-in.md#sign-in-paths): a map from uid to
// the sockets bound to it, a per-uid cap with its policy, and where each
// socket is held. Every call returns the spec-level events it causes, in
// order; an app's rules (seed-wire.ts, probe-wire.ts) turn them into the
// frames its handlers send. Written from the spec, not from src/.
//
// A socket's `Holder` is the object that accepted it, and it never moves.
// A socket bound to a uid whose object does not hold it is bound by relay
// (docs/sign-in.md#sign-in-by-relay): a client without the sockizy subprotocol that
// signed in in-band in a lobby or in another uid's object. It counts in its
// uid's cap, count and size like a local socket; only a reset tells the two
// apart (`reset`): the uid's object outlives the holder, and its audit
// unbinds the member as by a close.

export type Uid = string;

export type Holder = { kind: "lobby" } | { kind: "user"; uid: Uid };

export interface ModelSocket {
  readonly id: number;
  readonly holder: Holder;
  /** Offered the sockizy subprotocol: it gets control frames. */
  readonly ctl: boolean;
  /** Accept order: `replace-oldest` replaces the bound socket accepted first. */
  readonly order: number;
  uid: Uid | null;
  /** False once closed: a closed socket gets nothing (it stays in the model only while it still holds a uid). */
  open: boolean;
  /** In-band sign-in attempts made on it (the seed paces them per socket). */
  inBand: number;
}

export type Outcome =
  | { kind: "ok"; uid: Uid; size: number }
  | { kind: "cap"; uid: Uid; cap: number; count: number }
  | { kind: "bad" }
  | { kind: "error" };

export type Effect =
  | { kind: "reply"; to: number; outcome: Outcome }
  | { kind: "control"; to: number; t: "ticket" | "unbound" | "reconnect" | "probe" }
  | { kind: "session"; to: number; message: string }
  | { kind: "session.clear"; to: number; uid: Uid }
  /** Fires on one of `to` (spec: "one of them gets session.end"). */
  | { kind: "session.end"; to: number[]; uid: Uid }
  /** The server closes the socket (a kick, a replace, a reset: 1006). */
  | { kind: "close"; to: number; code: number };

/** A sign-in's credentials: a uid the app's authenticate accepts, or credentials it refuses. */
export type Credentials = { uid: Uid } | { bad: true };

export interface ModelRules {
  cap: number;
  policy: "reject" | "replace-oldest";
  /** Resume tickets are on (TICKET_SECRET): a newly bound sockizy socket gets one before its reply. */
  tickets: boolean;
}

export const CLOSE_REPLACED = 4001;
export const CLOSE_KICKED = 4003;
/** What a client sees when its object is reset with the socket (no close frame). */
export const CLOSE_ABNORMAL = 1006;

export class SessionModel {
  readonly sockets = new Map<number, ModelSocket>();
  /**
   * Relayed sign-ins tried, bound, and bound from another uid's object, and
   * members let go after their holder was reset (a run shows it made them).
   */
  readonly relays = { tries: 0, binds: 0, fromUserObject: 0, lost: 0 };
  private nextId = 1;

  constructor(readonly rules: ModelRules) {}

  // ------------------------------------------------------------ queries

  /** Open sockets, in accept order. */
  live(): ModelSocket[] {
    return [...this.sockets.values()].filter((s) => s.open);
  }

  /** Sockets bound to uid: `socket.session.count(uid)`. */
  boundTo(uid: Uid): ModelSocket[] {
    return [...this.sockets.values()].filter((s) => s.uid === uid);
  }

  count(uid: Uid): number {
    return this.boundTo(uid).length;
  }

  /** Bound by relay: to a uid whose object is not the one holding it. */
  relayed(s: ModelSocket): boolean {
    return s.uid !== null && !(s.holder.kind === "user" && s.holder.uid === s.uid);
  }

  /** Uids with relayed members held at `where`: their objects' audits notice when `where` is reset. */
  relayedFrom(where: Holder): Uid[] {
    const held = [...this.sockets.values()].filter((s) => this.isAt(s, where) && this.relayed(s));
    return [...new Set(held.map((s) => s.uid as Uid))];
  }

  /** Distinct uids holding sessions: `size`. */
  size(): number {
    return this.uidsHeld().length;
  }

  uidsHeld(): Uid[] {
    return [...new Set([...this.sockets.values()].flatMap((s) => (s.uid === null ? [] : [s.uid])))];
  }

  get(id: number): ModelSocket {
    const s = this.sockets.get(id);
    if (s === undefined || !s.open) throw new Error(`model: socket ${id} is not open`);
    return s;
  }

  // ------------------------------------------------------------ calls

  /** An upgrade: with credentials it is a sign-in in the upgrade (docs/sign-in.md#sign-in-paths 1, 2). */
  connect(ctl: boolean, credentials?: Credentials): { id: number; effects: Effect[] } {
    const id = this.nextId++;
    const holder: Holder =
      credentials && "uid" in credentials ? { kind: "user", uid: credentials.uid } : { kind: "lobby" };
    const socket: ModelSocket = { id, holder, ctl, order: id, uid: null, open: true, inBand: 0 };
    this.sockets.set(id, socket);
    if (credentials === undefined) return { id, effects: [] };
    if ("bad" in credentials) return { id, effects: [{ kind: "reply", to: id, outcome: { kind: "bad" } }] };
    return { id, effects: this.signInHere(socket, credentials.uid) };
  }

  /** The sign-in packet sent as a frame on an open socket (docs/sign-in.md#sign-in-paths 3). */
  signInFrame(id: number, credentials: Credentials): Effect[] {
    const s = this.get(id);
    // Ignored on a socket that is signed in.
    if (s.uid !== null) return [];
    s.inBand += 1;
    if ("bad" in credentials) return [{ kind: "reply", to: id, outcome: { kind: "bad" } }];
    if (s.holder.kind === "user" && s.holder.uid === credentials.uid) return this.signInHere(s, credentials.uid);
    // Held where it cannot be bound: a sockizy client is told to reconnect; any other is bound by relay,
    // with the same cap, replies and events as in place (docs/sign-in.md#sign-in-by-relay).
    if (s.ctl) return [{ kind: "control", to: id, t: "reconnect" }];
    const effects = this.signInHere(s, credentials.uid);
    this.relays.tries++;
    if (s.uid !== null) this.relays.binds++;
    if (s.uid !== null && s.holder.kind === "user") this.relays.fromUserObject++;
    return effects;
  }

  /** May a sign-in be admitted with `others` sockets already bound to the uid? */
  protected admits(others: number): boolean {
    return others < this.rules.cap;
  }

  /** The sockets a sign-in of `s` to uid meets in the cap: every other socket bound to uid, local or relayed. */
  protected seats(uid: Uid, s: ModelSocket): ModelSocket[] {
    return this.boundTo(uid).filter((o) => o.id !== s.id);
  }

  /** The cap and its policy, then the bind (spec: `session.set(uid)` returns size), in place or by relay. */
  protected signInHere(s: ModelSocket, uid: Uid): Effect[] {
    const effects: Effect[] = [];
    const others = this.seats(uid, s);
    if (!this.admits(others.length)) {
      if (this.rules.policy === "reject") {
        // The liveness probe (docs/sign-in.md#liveness-probe): each sockizy socket in the way that the uid's
        // object holds is asked whether it is alive. The test clients answer, so the sign-in is refused.
        const asked = others.filter((o) => o.ctl && o.holder.kind === "user" && o.holder.uid === uid);
        return [
          ...asked.map((o): Effect => ({ kind: "control", to: o.id, t: "probe" })),
          { kind: "reply", to: s.id, outcome: { kind: "cap", uid, cap: this.rules.cap, count: others.length } },
        ];
      }
      const oldest = others.reduce((a, b) => (b.order < a.order ? b : a));
      oldest.uid = null;
      oldest.open = false;
      effects.push(
        { kind: "session.clear", to: oldest.id, uid },
        { kind: "close", to: oldest.id, code: CLOSE_REPLACED },
      );
      this.drop(oldest);
    }
    s.uid = uid;
    if (this.rules.tickets && s.ctl) effects.push({ kind: "control", to: s.id, t: "ticket" });
    effects.push({ kind: "reply", to: s.id, outcome: { kind: "ok", uid, size: this.size() } });
    return effects;
  }

  /** `socket.session.delete()` (a sign-out). */
  signOut(id: number): Effect[] {
    const s = this.get(id);
    if (s.uid === null) return [];
    const effects: Effect[] = s.ctl ? [{ kind: "control", to: id, t: "unbound" }] : [];
    return [...effects, ...this.release(s)];
  }

  /** Unbinds; on the uid's last socket `session.end` fires on it. */
  protected release(s: ModelSocket): Effect[] {
    const uid = s.uid;
    if (uid === null) return [];
    s.uid = null;
    return this.count(uid) === 0 ? [{ kind: "session.end", to: [s.id], uid }] : [];
  }

  /** The client closes: unbound as by `delete()`. */
  close(id: number): Effect[] {
    const s = this.get(id);
    s.open = false;
    const effects = this.unbindOnClose(s);
    this.drop(s);
    return effects;
  }

  /** What a close does to the session: `delete()` (spec: "a socket that closes is unbound as by delete()"). */
  protected unbindOnClose(s: ModelSocket): Effect[] {
    return this.release(s);
  }

  /** The server closes a socket (an app's `disconnect(code)`): the same, and the client sees `code`. */
  serverClose(id: number, code: number): Effect[] {
    return [{ kind: "close", to: id, code }, ...this.close(id)];
  }

  /** `session.clear(uid)`: every socket of uid gets session.clear and is unbound, one gets session.end. */
  clear(uid: Uid): Effect[] {
    const held = this.boundTo(uid);
    const effects: Effect[] = [];
    for (const s of held) {
      s.uid = null;
      if (s.ctl && s.open) effects.push({ kind: "control", to: s.id, t: "unbound" });
    }
    for (const s of held) effects.push({ kind: "session.clear", to: s.id, uid });
    if (held.length > 0) effects.push({ kind: "session.end", to: held.map((s) => s.id), uid });
    return effects;
  }

  /** The admin API's clear with kick: a clear, then the uid's sockets are closed with 4003. */
  kick(uid: Uid): Effect[] {
    const held = this.boundTo(uid);
    const effects = this.clear(uid);
    for (const s of held) {
      effects.push({ kind: "close", to: s.id, code: CLOSE_KICKED });
      s.open = false;
      this.drop(s);
    }
    return effects;
  }

  /** `session.emit(msg, uid)`, or `io.session.emit(msg)` to every uid. */
  emit(message: string, uid?: Uid): Effect[] {
    const targets = [...this.sockets.values()].filter((s) => s.uid !== null && (uid === undefined || s.uid === uid));
    return targets.map((s) => ({ kind: "session", to: s.id, message }));
  }

  /** Whether the object `where` holds s (`lobby`: any lobby). */
  private isAt(s: ModelSocket, where: Holder): boolean {
    return where.kind === "lobby" ? s.holder.kind === "lobby" : s.holder.kind === "user" && s.holder.uid === where.uid;
  }

  /**
   * An object reset with its sockets (a deploy, an eviction): they are gone
   * without close events, so the object itself fires no session event; its
   * audit drops the uid from size. `lobby` resets every lobby. A relayed
   * socket among them is a member of another uid's object, which is still
   * there: its audit (run next) finds the member gone and unbinds it as by a
   * close, `session.end` included. That object's own relayed members,
   * held elsewhere, stay bound (they are in its storage).
   */
  reset(where: Holder): Effect[] {
    const effects: Effect[] = [];
    const members: ModelSocket[] = [];
    for (const s of [...this.sockets.values()]) {
      if (!this.isAt(s, where)) continue;
      if (s.open) effects.push({ kind: "close", to: s.id, code: CLOSE_ABNORMAL });
      s.open = false;
      if (this.relayed(s)) members.push(s);
      else s.uid = null;
      this.drop(s);
    }
    for (const s of members) effects.push(...this.lostMember(s));
    this.relays.lost += members.length;
    return effects;
  }

  /** A relayed member whose holder was reset, as its uid's audit lets it go. */
  protected lostMember(s: ModelSocket): Effect[] {
    const effects = this.unbindOnClose(s);
    this.drop(s);
    return effects;
  }

  /** A closed socket leaves the model once it holds nothing. */
  private drop(s: ModelSocket): void {
    if (!s.open && s.uid === null) this.sockets.delete(s.id);
  }
}
