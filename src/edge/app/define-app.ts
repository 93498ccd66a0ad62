// What an application declares, once, at module scope. Hibernation throws
// away in-memory closures, so handlers cannot be registered per connection
// as the original `socket.on(...)` did: every object rebuilds its sockets
// from attachments and calls these same module-level functions.
import type { PacketData } from "../../protocol/index.js";
import { type EventOptions, type Events, resolveEvents } from "../events/options.js";
import { type FloodOptions, type Floods, resolveFloods } from "../floods/options.js";
import { type LimitOptions, type Limits, resolveLimits } from "../limits/options.js";
import type { Io, ServerSocket } from "../sockets/socket.js";
import { type OriginOptions, type Origins, resolveOrigins } from "../worker/origins.js";
import type { PacketMaps, ReceiveMap, Uid } from "./packet-maps.js";

export type { EventOptions, Events } from "../events/options.js";
export { EVENT_DEFAULTS } from "../events/options.js";
export type { FloodOptions, Floods, FrameLimit } from "../floods/options.js";
export { FLOOD_DEFAULTS } from "../floods/options.js";
export type { AttemptLimit, LimitOptions, Limits } from "../limits/options.js";
export { LIMIT_DEFAULTS } from "../limits/options.js";
export type { OriginOptions, Origins } from "../worker/origins.js";
export type { PacketMaps, ReceiveMap, SendMap, Uid } from "./packet-maps.js";

/** What the sign-in flow decided, handed to the application's `reply`. */
export type SignInOutcome<Data = unknown> =
  /** Bound: `size` is the number of users holding sessions after the bind. */
  | { kind: "ok"; uid: Uid; size: number }
  /** The cap was reached (policy "reject"); `count` is the uid's bound sockets. */
  | { kind: "cap"; uid: Uid; cap: number; count: number }
  /** Authentication failed; `data` is the sign-in packet as sent. */
  | { kind: "bad"; data: Data }
  /**
   * No session could be set: `authenticate` threw, or the socket's sign-in
   * had to be relayed to its uid's object and that call failed
   * (docs/sign-in.md#sign-in-by-relay).
   */
  | { kind: "error"; uid?: Uid }
  /**
   * Too many failed sign-ins (docs/security.md#sign-in-rate-limits): `authenticate` was not
   * called; `retryAfter` is in seconds.
   */
  | { kind: "limited"; retryAfter: number };

/** How the per-user connection cap is enforced. */
export type CapPolicy =
  /** Refuse the new sign-in (the seed's `USER.MAX.CONN`). */
  | "reject"
  /** Accept it; the oldest bound socket gets `session.clear` and is closed with 4001. */
  | "replace-oldest";

type Awaitable<T> = T | Promise<T>;

/** A handler runs with `this` bound to the socket, as in the original. */
type Handler<P extends PacketMaps, D> = (
  this: ServerSocket<P>,
  data: D,
  socket: ServerSocket<P>,
  io: Io<P>,
) => Awaitable<unknown>;

export type Handlers<P extends PacketMaps> = {
  [K in keyof ReceiveMap<P> & string]?: Handler<P, PacketData<ReceiveMap<P>[K]>>;
} & {
  /** A socket was accepted (after any sign-in in the upgrade). */
  connection?: Handler<P, undefined>;
  /** `session.emit(msg)` reached this socket. */
  session?: Handler<P, unknown>;
  /** The socket's session was cleared (the uid). */
  "session.clear"?: Handler<P, Uid>;
  /** The socket was the uid's last: its session ended (the uid). */
  "session.end"?: Handler<P, Uid>;
  /** A text frame from the client. */
  text?: Handler<P, string>;
  /** The socket closed (code). It is already unbound. */
  close?: Handler<P, number>;
};

export interface SignInOptions<P extends PacketMaps, K extends keyof ReceiveMap<P> & string> {
  /** The packet that carries credentials (one the server receives). Default `common.signIn`. */
  readonly packet?: K;
  /**
   * Checks credentials; the uid, or null when they are wrong. Runs in the Worker and in the objects.
   * `env` holds the deployment's bindings, variables and secrets (typed by `wrangler types`).
   */
  authenticate(data: PacketData<ReceiveMap<P>[K]>, env: Cloudflare.Env): Awaitable<Uid | null>;
  /** Most sockets one uid may hold bound at once. Default 1. */
  readonly cap?: number;
  /** Default "reject". */
  readonly policy?: CapPolicy;
  /** Answers the socket that signed in (the seed sends its `USER.*` texts). */
  reply(socket: ServerSocket<P>, outcome: SignInOutcome<PacketData<ReceiveMap<P>[K]>>, io: Io<P>): Awaitable<unknown>;
}

export interface AppOptions<P extends PacketMaps, K extends keyof ReceiveMap<P> & string> {
  readonly packets: P;
  /** `packet` may be left out when the server receives `common.signIn`. */
  readonly signIn: SignInOptions<P, K> &
    (typeof DEFAULT_SIGN_IN extends keyof ReceiveMap<P> ? unknown : { readonly packet: K });
  readonly on?: Handlers<P>;
  /** Largest frame accepted from a client, in bytes; larger ones close the socket with 1009. Default 32 KiB. */
  readonly maxPayload?: number;
  /** How many lobby objects share the anonymous sockets. Default 4. */
  readonly lobbyShards?: number;
  /**
   * How often a user object with bound sockets re-checks them, in ms, so a
   * reset that dropped its sockets without close events cannot leave the
   * uid counted in `size`. Default 60 s (at most one wake a minute).
   */
  readonly auditMs?: number;
  /** How long a resume ticket is valid, in ms; tickets are renewed while the socket stays. Default 10 min. */
  readonly ticketTtlMs?: number;
  /**
   * How many registry shards count the users (docs/scale.md#registry-shards). A uid's
   * shard is a stable hash of String(uid); changing this re-homes every
   * user within one auditMs. Default 64: up to ~10M users and 10k
   * sign-ins/s with no shard above half a Durable Object's soft limit
   * (docs/scale.md). Past 64, size groups sum the shards' counts for the
   * global object (docs/scale.md#the-size-tree).
   */
  readonly registryShards?: number;
  /**
   * Sets the push budget of the global object (and of each size group past
   * 64 shards): 64 x 1000 / sizeFlushMs pushes a second, 256 by default.
   * Below it every reply's `size` is exact; above it a change waits at most
   * this long, in ms, for its shard's slot, so `size` is at most twice this
   * (plus a call) old per level of the size tree (docs/scale.md#the-promise).
   * Default 250.
   */
  readonly sizeFlushMs?: number;
  /** How long a broadcast waits for one object before counting it failed, in ms. Default 5 s. */
  readonly broadcastTimeoutMs?: number;
  /**
   * The most calls one invocation of any object makes in one fan-out (a
   * broadcast, a scrape): a larger set is handed in slices to relay objects,
   * a tree of slices, so the CPU time and subrequests of one invocation stay
   * bounded at any number of users (docs/scale.md#fan-out-bounded-per-invocation).
   * At least 2 (one call cannot reach two objects). Default 1,000.
   */
  readonly fanOutBatch?: number;
  /**
   * A socket of a sockizy client (it heartbeats: `#ping` every 25 s,
   * docs/client.md#heartbeat) whose last ping the runtime answered longer ago than this,
   * in ms, is gone: the audit, or a sign-in the cap would refuse, closes and
   * unbinds it (docs/architecture.md#dead-holders). Default 45 s.
   */
  readonly heartbeatTimeoutMs?: number;
  /**
   * When the cap (policy "reject") would refuse a sign-in, the sockets in its
   * way that can answer (sockizy clients with their heartbeat on) are asked
   * whether they are alive; one silent this long, in ms, is gone: it is
   * closed and unbound, and the sign-in takes its seat
   * (docs/sign-in.md#liveness-probe). Default 3 s.
   */
  readonly probeTimeoutMs?: number;
  /**
   * Sockets one lobby accepts before the Worker tries another (a Durable
   * Object holds at most 32,768 hibernatable WebSockets). Default 30,000.
   */
  readonly lobbyCapacity?: number;
  /** Sign-in rate limits (docs/security.md#sign-in-rate-limits); `false` turns them off. */
  readonly limits?: LimitOptions<PacketData<ReceiveMap<P>[K]>> | false;
  /** Which browser origins may open a WebSocket (docs/security.md#origin-allowlist). */
  readonly origins?: OriginOptions;
  /**
   * Flood control (docs/floods.md): frames per socket and per user, anonymous
   * sockets per address; fields left out keep their defaults (`FLOOD_DEFAULTS`), `false` turns it all off.
   */
  readonly floods?: FloodOptions | false;
  /** Session events for a backend: the offline grace, the outbox's retries and bounds (docs/events.md#options). */
  readonly events?: EventOptions;
}

/** An application with its defaults filled in. */
export interface App<P extends PacketMaps = PacketMaps> {
  readonly packets: P;
  readonly signIn: Required<SignInOptions<P, keyof ReceiveMap<P> & string>>;
  readonly on: Handlers<P>;
  readonly maxPayload: number;
  readonly lobbyShards: number;
  readonly auditMs: number;
  readonly ticketTtlMs: number;
  readonly registryShards: number;
  readonly sizeFlushMs: number;
  readonly broadcastTimeoutMs: number;
  readonly fanOutBatch: number;
  readonly heartbeatTimeoutMs: number;
  readonly probeTimeoutMs: number;
  readonly lobbyCapacity: number;
  readonly limits: Limits;
  readonly origins: Origins;
  readonly floods: Floods;
  readonly events: Events;
}

export const DEFAULTS = {
  cap: 1,
  policy: "reject",
  maxPayload: 32 * 1024,
  lobbyShards: 4,
  auditMs: 60_000,
  ticketTtlMs: 10 * 60_000,
  registryShards: 64,
  sizeFlushMs: 250,
  broadcastTimeoutMs: 5_000,
  fanOutBatch: 1_000,
  heartbeatTimeoutMs: 45_000,
  probeTimeoutMs: 3_000,
  lobbyCapacity: 30_000,
} as const;

/** The sign-in packet when `signIn.packet` is left out. */
export const DEFAULT_SIGN_IN = "common.signIn";

/**
 * Declares an application, once, at module scope: its packets (spec
 * section 2), its sign-in (how a uid is found, the cap, the replies) and its
 * handlers, with defaults filled in (`DEFAULTS`, `LIMIT_DEFAULTS`, `FLOOD_DEFAULTS`). Bad
 * options throw here, at module load, not at the first connection.
 *
 * @example
 * ```ts
 * import { defineApp } from "sockizy-edge";
 *
 * export const app = defineApp({
 *   packets: {
 *     unpack: { "common.signIn": ["login:str24", "password:str24"], "chat.say": ["text:str256"] },
 *     pack: { "chat.line": ["from:str24", "text:str256"] },
 *   },
 *   signIn: {
 *     authenticate: async ({ login, password }) => (password === "secret" ? login : null),
 *     cap: 3,
 *     reply: (socket, outcome) => socket.json({ ok: outcome.kind === "ok" }),
 *   },
 *   on: {
 *     async "chat.say"({ text }, socket, io) {
 *       if (socket.session.uid !== null) await io.emit("chat.line", { from: String(socket.session.uid), text });
 *     },
 *   },
 * });
 * ```
 */
export function defineApp<
  const P extends PacketMaps,
  const K extends keyof ReceiveMap<P> & string = Extract<typeof DEFAULT_SIGN_IN, keyof ReceiveMap<P>>,
>(options: AppOptions<P, K>): App<P> {
  const { signIn } = options;
  const packet = signIn.packet ?? DEFAULT_SIGN_IN;
  if (!(Object.hasOwn(options.packets.unpack ?? {}, packet) || Object.hasOwn(options.packets.shared ?? {}, packet))) {
    throw new TypeError(`signIn.packet: "${packet}" is not a packet the server receives (packets.unpack or shared)`);
  }
  if (!(Number.isInteger(signIn.cap ?? DEFAULTS.cap) && (signIn.cap ?? DEFAULTS.cap) >= 1)) {
    throw new RangeError("signIn.cap must be a whole number of at least 1");
  }
  const maxPayload = options.maxPayload ?? DEFAULTS.maxPayload;
  return {
    packets: options.packets,
    signIn: { cap: DEFAULTS.cap, policy: DEFAULTS.policy, ...signIn, packet } as never,
    on: options.on ?? {},
    maxPayload,
    lobbyShards: options.lobbyShards ?? DEFAULTS.lobbyShards,
    auditMs: options.auditMs ?? DEFAULTS.auditMs,
    ticketTtlMs: options.ticketTtlMs ?? DEFAULTS.ticketTtlMs,
    registryShards: whole("registryShards", options.registryShards ?? DEFAULTS.registryShards),
    sizeFlushMs: whole("sizeFlushMs", options.sizeFlushMs ?? DEFAULTS.sizeFlushMs),
    broadcastTimeoutMs: whole("broadcastTimeoutMs", options.broadcastTimeoutMs ?? DEFAULTS.broadcastTimeoutMs),
    fanOutBatch: fanOutBatch(options.fanOutBatch ?? DEFAULTS.fanOutBatch),
    heartbeatTimeoutMs: whole("heartbeatTimeoutMs", options.heartbeatTimeoutMs ?? DEFAULTS.heartbeatTimeoutMs),
    probeTimeoutMs: whole("probeTimeoutMs", options.probeTimeoutMs ?? DEFAULTS.probeTimeoutMs),
    lobbyCapacity: whole("lobbyCapacity", Math.min(options.lobbyCapacity ?? DEFAULTS.lobbyCapacity, 32_768)),
    limits: resolveLimits(options.limits as LimitOptions<unknown> | false | undefined),
    origins: resolveOrigins(options.origins),
    floods: resolveFloods(options.floods, maxPayload),
    events: resolveEvents(options.events),
  };
}

/** A whole number of at least 1, or a RangeError naming the option. */
function whole(name: string, value: number): number {
  if (!(Number.isInteger(value) && value >= 1)) throw new RangeError(`${name} must be a whole number of at least 1`);
  return value;
}

/** A fan-out batch: whole, and at least 2, since a slice handed on must be smaller than the set it came from. */
function fanOutBatch(value: number): number {
  if (!(Number.isInteger(value) && value >= 2)) {
    throw new RangeError("fanOutBatch must be a whole number of at least 2 (one call cannot reach two objects)");
  }
  return value;
}
