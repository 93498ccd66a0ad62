// The global object: which uids hold sessions (`size`) and which objects
// hold any socket (broadcast targets). Objects tell it only when that
// changes (first or last socket, first or last bound socket), and it is
// asked for broadcasts, `size` and admin calls: never per message.
import { DurableObject } from "cloudflare:workers";
import type { App, Uid } from "./app.js";
import { type Env, type Frame, lobbyStub, type RegistryRpc, userStub } from "./env.js";

export function registryObjectClass(_app: App) {
  return class RegistryObject extends DurableObject<Env> implements RegistryRpc {
    private readonly sql: SqlStorage;

    constructor(ctx: DurableObjectState, env: Env) {
      super(ctx, env);
      this.sql = ctx.storage.sql;
      // uid is kept as text: objects are named by String(uid), so 13 and "13" are one user.
      this.sql.exec(`CREATE TABLE IF NOT EXISTS users (
      uid TEXT PRIMARY KEY,
      session INTEGER NOT NULL,
      online INTEGER NOT NULL
    )`);
      this.sql.exec("CREATE TABLE IF NOT EXISTS lobbies (shard INTEGER PRIMARY KEY)");
    }

    async setUser(uid: Uid, state: { session: boolean; online: boolean }): Promise<number> {
      if (state.session || state.online) {
        this.sql.exec(
          "INSERT OR REPLACE INTO users (uid, session, online) VALUES (?, ?, ?)",
          String(uid),
          state.session ? 1 : 0,
          state.online ? 1 : 0,
        );
      } else {
        this.sql.exec("DELETE FROM users WHERE uid = ?", String(uid));
      }
      return this.size();
    }

    async setLobby(shard: number, online: boolean): Promise<void> {
      if (online) this.sql.exec("INSERT OR IGNORE INTO lobbies (shard) VALUES (?)", shard);
      else this.sql.exec("DELETE FROM lobbies WHERE shard = ?", shard);
    }

    async size(): Promise<number> {
      return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM users WHERE session = 1").one().n;
    }

    async broadcast(frame: Frame): Promise<void> {
      const users = this.sql.exec<{ uid: string }>("SELECT uid FROM users WHERE online = 1").toArray();
      const lobbies = this.sql.exec<{ shard: number }>("SELECT shard FROM lobbies").toArray();
      await settle([
        ...users.map((u) => userStub(this.env, u.uid).deliver(frame)),
        ...lobbies.map((l) => lobbyStub(this.env, l.shard).deliver(frame)),
      ]);
    }

    async sessionEmitAll(message: unknown): Promise<void> {
      const users = this.sql.exec<{ uid: string }>("SELECT uid FROM users WHERE session = 1").toArray();
      await settle(users.map((u) => userStub(this.env, u.uid).sessionEmit(message, u.uid)));
    }
  };
}

/** Waits for every call; one failing object does not stop the others. */
async function settle(calls: Promise<unknown>[]): Promise<void> {
  for (const r of await Promise.allSettled(calls)) {
    if (r.status === "rejected") console.error("sockizy-edge: registry fan-out failed:", r.reason);
  }
}
