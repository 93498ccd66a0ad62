// Draws the next operation from the PRNG and the model's state, so ops
// are valid and interesting: sign-ins race the cap, sign-outs and closes
// free slots, resets drop what the model holds. Some sockets offer no
// subprotocol (the original sockizy client): their in-band sign-ins in a
// lobby or in another uid's object are bound by relay, so relayed and
// direct sockets of one uid meet in its cap.
import type { Credentials, Holder, SessionModel, Uid } from "./model.js";
import type { Op } from "./ops.js";
import type { Prng } from "./prng.js";

export interface Profile {
  /** Uids the app's authenticate accepts. */
  uids: Uid[];
  /** Open sockets above which closes are favoured. */
  maxOpen: number;
  /** In-band sign-ins one socket may make (the seed's per-socket pace: 5 in 10 s), or null for no limit. */
  inBandLimit: number | null;
  /** Calls (clear, emit, count, size, broadcast) go through the admin API, or through a socket's handler. */
  calls: "admin" | "socket";
  /** The app can kick (admin API) and can close a socket from a handler. */
  kick: boolean;
  disconnect: boolean;
}

const CLOSE_CODES: (number | null)[] = [1000, null, 1001, 4000, 4321];

/** Share of upgrades that offer no subprotocol (anonymous or refused ones, and signed-in ones). */
const PLAIN_ANON = 0.5;
const PLAIN_SIGNED_IN = 0.3;

export class OpGenerator {
  private n = 0;

  constructor(
    private readonly rng: Prng,
    private readonly profile: Profile,
    /** Whether socket id may send refused credentials (the driver keeps each client IP below the sign-in limits). */
    private readonly mayFail: (id: number) => boolean = () => true,
  ) {}

  next(model: SessionModel): Op {
    const rng = this.rng;
    const live = model.live();
    const crowded = live.length >= this.profile.maxOpen;
    const canSignIn = live.filter((s) => s.uid === null && this.mayTryInBand(s.inBand));
    const bound = live.filter((s) => s.uid !== null);
    const viaSocket = this.profile.calls === "socket";
    const canCall = !viaSocket || live.length > 0;
    const kind = rng.weighted({
      openSignedIn: crowded ? 2 : 16,
      openAnon: crowded ? 0 : 5,
      openBad: crowded ? 0 : 2,
      signIn: canSignIn.length > 0 ? 14 : 0,
      signInBound: bound.length > 0 ? 1 : 0,
      signOut: live.length > 0 ? (bound.length > 0 ? 9 : 1) : 0,
      close: live.length > 0 ? (crowded ? 30 : 10) : 0,
      disconnect: this.profile.disconnect && live.length > 0 ? 3 : 0,
      clear: canCall ? 3 : 0,
      kick: this.profile.kick ? 2 : 0,
      emit: canCall ? 3 : 0,
      broadcast: canCall ? 2 : 0,
      count: canCall ? 4 : 0,
      size: canCall ? 2 : 0,
      hibernate: 2,
      evict: 2,
      reset: 2,
    });
    const uid = () => rng.pick(this.profile.uids);
    const via = () => (viaSocket ? { via: rng.pick(model.live()).id } : {});
    const plain = (p: number) => (rng.next() < p ? { plain: true as const } : {});
    // Often the holder of a relayed socket, so evictions and resets cut relays from either end.
    const relayed = live.filter((s) => model.relayed(s));
    const where = (): Holder => {
      const r = rng.next();
      if (relayed.length > 0 && r < 0.4) return rng.pick(relayed).holder;
      return r < 0.84 ? { kind: "user", uid: uid() } : { kind: "lobby" };
    };
    switch (kind) {
      case "openSignedIn":
        return { op: "open", credentials: { uid: uid() }, ...plain(PLAIN_SIGNED_IN) };
      case "openAnon":
        return { op: "open", ...plain(PLAIN_ANON) };
      case "openBad":
        return { op: "open", credentials: { bad: true }, ...plain(PLAIN_ANON) };
      case "signIn": {
        // Mostly sockets held by a uid's object (bound in place), sometimes elsewhere: the reconnect
        // instruction for a sockizy client, a relay for the others (from a lobby, or another uid's object).
        const held = canSignIn.filter((s) => s.holder.kind === "user");
        const plainInLobby = canSignIn.filter((s) => s.holder.kind === "lobby" && !s.ctl);
        const r = rng.next();
        const s =
          held.length > 0 && r < 0.5
            ? rng.pick(held)
            : plainInLobby.length > 0 && r < 0.85
              ? rng.pick(plainInLobby)
              : rng.pick(canSignIn);
        const own = s.holder.kind === "user" && rng.next() < (s.ctl ? 0.8 : 0.5) ? s.holder.uid : uid();
        const credentials: Credentials = rng.next() < 0.1 && this.mayFail(s.id) ? { bad: true } : { uid: own };
        return { op: "signIn", id: s.id, credentials };
      }
      case "signInBound":
        return { op: "signIn", id: rng.pick(bound).id, credentials: { uid: uid() } };
      case "signOut":
        return { op: "signOut", id: rng.pick(bound.length > 0 && rng.next() < 0.85 ? bound : live).id };
      case "close":
        return { op: "close", id: rng.pick(live).id, code: rng.pick(CLOSE_CODES) };
      case "disconnect":
        return { op: "disconnect", id: rng.pick(live).id };
      case "clear":
        return { op: "clear", uid: uid(), ...via() };
      case "kick":
        return { op: "kick", uid: uid() };
      case "emit":
        return { op: "emit", message: `m${++this.n}`, ...(rng.next() < 0.7 ? { uid: uid() } : {}), ...via() };
      case "broadcast":
        return { op: "broadcast", text: `b${++this.n}`, ...via() };
      case "count":
        return { op: "count", uid: uid(), ...via() };
      case "size":
        return { op: "size", ...via() };
      case "hibernate":
        return { op: "hibernate" };
      case "evict":
        return { op: "evict", where: where() };
      default:
        return { op: "reset", where: where() };
    }
  }

  private mayTryInBand(attempts: number): boolean {
    return this.profile.inBandLimit === null || attempts < this.profile.inBandLimit;
  }
}
