// The RPC surface of each Durable Object as other objects and the Worker
// call it (Durable Object RPC: stubs expose public methods; arguments and
// results are structured-cloned, so everything here is plain data).
// https://developers.cloudflare.com/durable-objects/best-practices/create-durable-object-stubs-and-send-requests/

import type { Counters, GroupStats, LobbyStats, MetricsSnapshot, ShardStats } from "../admin/metrics.js";
import type { AdminStats } from "../admin/stats.js";
import type { SignInOutcome, Uid } from "../app/define-app.js";
import type { SessionInfo } from "../sockets/socket.js";

/** A frame for every socket of an object: text, or binary bytes. */
export type Frame = string | Uint8Array;

/** An object holding a socket bound by relay (docs/sign-in.md#sign-in-by-relay): its binding and name. */
export interface HolderRef {
  kind: "lobby" | "user";
  name: string;
}

/** A socket held by another object and bound to this uid by relay (kept in the user object's SQLite). */
export interface RelayMember {
  holder: HolderRef;
  /** The socket's id in its holder. */
  id: string;
  uid: Uid;
  /** Accept order in the holder (cap policy "replace-oldest"). */
  at: number;
  /** When the uid's object bound it (ms): set there, not by the holder. */
  since?: number;
}

/** What the user object of a relayed member calls on the holder. */
export interface RelayHolderRpc {
  /** A frame to the socket (also after the relay ended: a handler may still hold it). */
  relaySend(id: string, frame: Frame): Promise<void>;
  /** The member was unbound (sign-out, clear): its frames are handled here again; with `close`, it is closed (kick, replace). Ignored unless relayed to uid. */
  relayEnd(id: string, uid: Uid, close?: { code: number; reason: string }): Promise<void>;
  /** `socket.disconnect()`: closed, then unbound by its close as a local socket. */
  relayClose(id: string, code: number, reason: string): Promise<void>;
  /** Which of these sockets are open here and relayed to uid (the user object's audit). */
  relayCheck(uid: Uid, ids: string[]): Promise<string[]>;
  /** When each of these sockets, open here and relayed to uid, was last heard (ms; `io.session.list`). */
  relayHeard(uid: Uid, ids: string[]): Promise<Record<string, number>>;
}

export interface UserRpc extends RelayHolderRpc {
  /** Sockets bound to uid. */
  count(uid: Uid): Promise<number>;
  /** A `session` event on every bound socket. */
  sessionEmit(message: unknown, uid: Uid): Promise<void>;
  /** `session.clear` on every bound socket, `session.end` on one; with `close`, the sockets are closed (kick). */
  clear(uid: Uid, close?: { code: number; reason: string }): Promise<void>;
  /** The uid's bound sockets, local and relayed, oldest first (docs/operations.md#sessions-of-a-user). */
  sessions(uid: Uid): Promise<SessionInfo[]>;
  /** Kicks one bound socket (4003), leaving the others; false if uid has no bound socket with that id. */
  kick(uid: Uid, socket: string): Promise<boolean>;
  /** Sends a frame to every open socket the object holds. */
  sendAll(frame: Frame): Promise<void>;
  /** Binds a socket held elsewhere, cap checked with the local sockets; null when bound, else the refusal for the holder to reply. */
  relayAdmit(member: RelayMember): Promise<SignInOutcome | null>;
  /**
   * A frame of a relayed member (`size` bytes), for this object's handlers; false if it is not a member
   * (any more); "flood" when it was dropped for the user's frame limit (docs/floods.md): the holder closes the socket.
   */
  relayFrame(holder: HolderRef, id: string, event: string, data: unknown, size: number): Promise<boolean | "flood">;
  /** A relayed member's socket closed: unbound as a local socket's close; false if it was not a member. */
  relayClosed(holder: HolderRef, id: string, code: number): Promise<boolean>;
  /** Which of these sockets of the holder are members still (the holder's audit). */
  relayMembers(holder: HolderRef, ids: string[]): Promise<string[]>;
}

export interface LobbyRpc extends RelayHolderRpc {
  sendAll(frame: Frame): Promise<void>;
  /** Sockets held and counters, for a scrape. */
  stats(): Promise<LobbyStats>;
}

/** What a user object holds, as it tells its registry shard. */
export interface UserState {
  /** Any socket bound to the uid. */
  session: boolean;
  /** Any open socket at all. */
  online: boolean;
  /** Sockets bound, and all open sockets (for metrics). */
  bound: number;
  sockets: number;
}

/** What a node of the size tree (a registry shard, a size group) pushes to its parent. */
export interface ShardCounts {
  users: number;
  online: number;
}

/** A node of the size tree below the global object: level 0 is registry shard `index`, above are size groups. */
export interface NodeRef {
  level: number;
  index: number;
}

/** A parent's answer to a push (docs/scale.md#the-promise). */
export interface PushAnswer {
  /** Users outside the child that pushed: the whole tree's, less the child's own. */
  others: number;
  /** How long the child waits before its next push, in ms: 0 while the parent is below its budget. */
  waitMs: number;
}

/**
 * An object a fan-out calls: a user object (by the uid's string form), a registry shard, a size
 * group (`group` is its index at `level`), a lobby.
 */
export type Target = { user: string } | { shard: number } | { group: number; level: number } | { lobby: number };

/** What a fan-out asks of every target: a frame for its sockets, a `session` event, or its figures (a scrape). */
export type Ask = { frame: Frame } | { session: unknown } | { stats: true };

/**
 * What a fan-out's tree answers (docs/scale.md#fan-out-bounded-per-invocation): deliveries, and
 * what its invocations did, so the root can report them (docs/operations.md#metrics).
 */
export interface TreeResult {
  /** Object deliveries that were answered in time. */
  ok: number;
  /** Object deliveries that failed or timed out (a shard or a slice that failed as a whole: its targets). */
  failed: number;
  /** Invocations that made calls in this tree: the root's, each shard's, each slice object's. */
  invocations: number;
  /** Of those, the slice objects'. */
  slices: number;
  /** The most calls one invocation of the tree made. */
  batchMax: number;
  /** Tiers of invocations, the root's included: 2 is root -> shards -> user objects. */
  tiers: number;
  /** With `{ stats: true }`: the figures of the shards, size groups and lobbies reached. */
  shards: ShardStats[];
  groups: GroupStats[];
  lobbies: LobbyStats[];
}

/**
 * A slice object (REGISTRY object "fanout:<path>"): takes a slice of a fan-out from an invocation
 * that had more targets than `fanOutBatch`, and calls them (or hands on slices of them) in turn.
 */
export interface SliceRpc {
  fanOutSlice(path: string, targets: Target[], ask: Ask): Promise<TreeResult>;
}

/**
 * A registry shard (REGISTRY object "shard-N"): the uids of its users and
 * their counts, pushed to the global object coalesced (docs/scale.md#size-from-the-shards).
 */
export interface ShardRpc {
  /** Records what uid's object holds, with the object's counters since its last report; resolves to `size` as this shard knows it. */
  setUser(shard: number, uid: Uid, state: UserState, counters?: Counters): Promise<number>;
  /** A user object's outbox after a delivery pass: its counters, and its oldest failing event's `at` or null (docs/events.md#metrics). */
  eventReport(shard: number, uid: Uid, counters: Counters, failingSince: number | null): Promise<void>;
  /** `size` as this shard knows it: its own users exactly, the other shards' as last heard. */
  shardSize(shard: number): Promise<number>;
  /** Sends a frame to every online user object of this shard. */
  shardBroadcast(shard: number, frame: Frame): Promise<TreeResult>;
  /** A `session` event on every socket of every uid of this shard. */
  shardSessionEmit(shard: number, message: unknown): Promise<TreeResult>;
  shardStats(shard: number): Promise<ShardStats>;
  /** Pushes this shard's counts to its parent now (the tree's shape changed: docs/scale.md#the-size-tree). */
  shardResync(shard: number): Promise<void>;
}

/**
 * A size group (REGISTRY object "group-<level>-<index>", docs/scale.md#the-size-tree): sums the
 * counts of at most SIZE_FAN_IN children (shards, or groups one level down) for its parent, and
 * carries broadcasts and scrapes down to them.
 */
export interface GroupRpc {
  /** A child's counts (null: it now pushes elsewhere and is forgotten here). */
  groupPush(group: NodeRef, child: NodeRef, counts: ShardCounts | null): Promise<PushAnswer>;
  groupBroadcast(group: NodeRef, frame: Frame): Promise<TreeResult>;
  groupSessionEmit(group: NodeRef, message: unknown): Promise<TreeResult>;
  groupStats(group: NodeRef): Promise<TreeResult>;
  /** Pushes this group's counts to its parent now, after its children that no longer belong to it moved. */
  groupResync(group: NodeRef): Promise<void>;
}

/** The global object (REGISTRY object "global"): `size` from the shards, and the root of broadcasts. */
export interface GlobalRpc {
  /** A child's counts (null: it now pushes elsewhere and is forgotten here). */
  push(child: NodeRef, counts: ShardCounts | null): Promise<PushAnswer>;
  /** Records whether a lobby shard holds sockets. */
  setLobby(shard: number, online: boolean): Promise<void>;
  size(): Promise<number>;
  /** Sends a frame to every object that holds a socket, through the shards. */
  broadcast(frame: Frame): Promise<TreeResult>;
  /** A `session` event on every socket of every uid. */
  sessionEmitAll(message: unknown): Promise<TreeResult>;
  metrics(): Promise<MetricsSnapshot>;
  /** The dashboard's figures: `size` and each shard's counts, and a scrape at most STATS_SCRAPE_MS old. */
  stats(): Promise<AdminStats>;
}

// ---------------------------------------------------------------- the sign-in limiter (limits/)

/** A counter and its limit, as the caller states them on every call (they come from the app's options). */
export interface Counter {
  /** A hash of what is counted (never a login or an IP in clear). */
  readonly name: string;
  readonly attempts: number;
  readonly windowMs: number;
}

export type Taken =
  /** One attempt is in flight on every counter; settle it. */
  | { ok: true }
  /** A counter is at its limit of failures: nothing was taken. */
  | { ok: false; retryAfterMs: number }
  /** Failures and attempts in flight fill a counter: nothing was taken; try again shortly. */
  | { ok: false; busy: true };

/** How an attempt ended: a wrong password counts, anything else is given back. */
export type Settled = "failed" | "ok" | "dropped";

export interface LimiterRpc {
  take(counters: readonly Counter[]): Promise<Taken>;
  /** Ends an attempt `take` let through; "ok" also clears the counters named in `reset`. */
  settle(counters: readonly Counter[], result: Settled, reset?: readonly string[]): Promise<void>;
}
