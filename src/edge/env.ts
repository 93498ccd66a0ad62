// The bindings wrangler.toml declares, and the RPC surface of each object
// as other objects and the Worker call it (Durable Object RPC: stubs expose
// public methods; arguments are structured-cloned).
import type { Uid } from "./app.js";

/** A frame for every socket of an object: text, or binary bytes. */
export type Frame = string | Uint8Array;

export interface UserRpc {
  /** Sockets bound to uid. */
  count(uid: Uid): Promise<number>;
  /** A `session` event on every bound socket. */
  sessionEmit(message: unknown, uid: Uid): Promise<void>;
  /** `session.clear` on every bound socket, `session.end` on one; with `close`, the sockets are closed (kick). */
  clear(uid: Uid, close?: { code: number; reason: string }): Promise<void>;
  /** Sends a frame to every open socket the object holds. */
  deliver(frame: Frame): Promise<void>;
}

export interface LobbyRpc {
  deliver(frame: Frame): Promise<void>;
}

export interface RegistryRpc {
  /** Records what a user object holds; resolves to `size`. */
  setUser(uid: Uid, state: { session: boolean; online: boolean }): Promise<number>;
  /** Records whether a lobby shard holds sockets. */
  setLobby(shard: number, online: boolean): Promise<void>;
  size(): Promise<number>;
  /** Sends a frame to every object that holds a socket. */
  broadcast(frame: Frame): Promise<void>;
  /** A `session` event on every socket of every uid. */
  sessionEmitAll(message: unknown): Promise<void>;
}

export interface Env {
  USERS: DurableObjectNamespace;
  LOBBIES: DurableObjectNamespace;
  REGISTRY: DurableObjectNamespace;
  /** Turns the admin API on (`wrangler secret put ADMIN_SECRET`). */
  ADMIN_SECRET?: string;
  /** Turns session resume on: the HMAC key of resume tickets (`wrangler secret put TICKET_SECRET`). */
  TICKET_SECRET?: string;
  /** Sign-in rate limits' counters (LimiterObject shards, README "Security"); without it sign-ins are not limited. */
  LIMITER?: DurableObjectNamespace;
  /** Comma-separated origins allowed to open a WebSocket (README "Security"); replaces the app's list. */
  ALLOWED_ORIGINS?: string;
}

/** The object of one uid. Uids are named by their string form, so 13 and "13" are the same user. */
export function userStub(env: Env, uid: Uid): UserRpc {
  return env.USERS.get(env.USERS.idFromName(String(uid))) as unknown as UserRpc;
}

export function lobbyStub(env: Env, shard: number): LobbyRpc {
  return env.LOBBIES.get(env.LOBBIES.idFromName(`lobby-${shard}`)) as unknown as LobbyRpc;
}

export function registryStub(env: Env): RegistryRpc {
  return env.REGISTRY.get(env.REGISTRY.idFromName("global")) as unknown as RegistryRpc;
}
