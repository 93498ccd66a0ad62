// Every Durable Object's name and the stub to reach it, in one place: which
// object holds a uid, a lobby, a registry shard, the global object, a
// limiter counter or a relayed socket's holder is decided here and nowhere else.
import type { Uid } from "../app/packet-maps.js";
import type {
  GlobalRpc,
  GroupRpc,
  HolderRef,
  LimiterRpc,
  LobbyRpc,
  NodeRef,
  RelayHolderRpc,
  ShardRpc,
  SliceRpc,
  UserRpc,
} from "./contracts.js";
import type { Env } from "./env.js";

/** A uid's object is named by its string form, so 13 and "13" are the same user. */
export const userName = (uid: Uid): string => String(uid);
export const lobbyName = (shard: number): string => `lobby-${shard}`;
/** Object names under the REGISTRY binding: one class, four roles (docs/architecture.md#the-objects). */
export const GLOBAL_NAME = "global";
export const shardName = (shard: number): string => `shard-${shard}`;
/** A size group between the shards and the global object (docs/scale.md#the-size-tree). */
export const groupName = (group: NodeRef): string => `group-${group.level}-${group.index}`;
/**
 * A slice object of a fan-out, named by where its slice sits in the tree (`shard-3/0`: the first
 * slice of shard 3's users): the same slice goes to the same object broadcast after broadcast.
 */
export const sliceName = (path: string): string => `fanout:${path}`;
/** A limiter counter's object, named by the hash of what it counts (limits/attempts.ts). */
export const limiterName = (counter: string): string => `limiter-${counter}`;

function named(ns: DurableObjectNamespace, name: string): DurableObjectStub {
  return ns.get(ns.idFromName(name));
}

/** The object of one uid (RPC). */
export function userStub(env: Env, uid: Uid): UserRpc {
  return named(env.USERS, userName(uid)) as unknown as UserRpc;
}

/** The object of one uid, for the Worker's `fetch` of an upgrade. */
export function userFetcher(env: Env, uid: Uid): Fetcher {
  return named(env.USERS, userName(uid));
}

export function lobbyStub(env: Env, shard: number): LobbyRpc {
  return named(env.LOBBIES, lobbyName(shard)) as unknown as LobbyRpc;
}

/** A lobby, for the Worker's `fetch` of an upgrade. */
export function lobbyFetcher(env: Env, shard: number): Fetcher {
  return named(env.LOBBIES, lobbyName(shard));
}

/** The global object: `size` and the root of broadcasts. */
export function globalStub(env: Env): GlobalRpc {
  return named(env.REGISTRY, GLOBAL_NAME) as unknown as GlobalRpc;
}

/** Registry shard N: the same class as the global object, under another name. */
export function shardStub(env: Env, shard: number): ShardRpc {
  return named(env.REGISTRY, shardName(shard)) as unknown as ShardRpc;
}

/** A size group (docs/scale.md#the-size-tree): the REGISTRY class again. */
export function groupStub(env: Env, group: NodeRef): GroupRpc {
  return named(env.REGISTRY, groupName(group)) as unknown as GroupRpc;
}

/** A slice object of a fan-out: the REGISTRY class again, in a role that keeps nothing (docs/scale.md#fan-out-bounded-per-invocation). */
export function sliceStub(env: Env, path: string): SliceRpc {
  return named(env.REGISTRY, sliceName(path)) as unknown as SliceRpc;
}

/** The object holding a relayed socket (a lobby, or another uid's object). */
export function holderStub(env: Env, ref: HolderRef): RelayHolderRpc {
  return named(ref.kind === "lobby" ? env.LOBBIES : env.USERS, ref.name) as unknown as RelayHolderRpc;
}

export function limiterStub(ns: DurableObjectNamespace, counter: string): LimiterRpc {
  return named(ns, limiterName(counter)) as unknown as LimiterRpc;
}

/**
 * Stubs kept for an object's life, one per target: calls made through one
 * stub arrive in the order they were made, which relays and
 * registry reports rely on; a stub also costs an `idFromName` to make.
 */
export function stubCache<K, T>(make: (key: K) => T, keyOf: (key: K) => string = String): (key: K) => T {
  const stubs = new Map<string, T>();
  return (key) => {
    const k = keyOf(key);
    let stub = stubs.get(k);
    if (stub === undefined) {
      stub = make(key);
      stubs.set(k, stub);
    }
    return stub;
  };
}
