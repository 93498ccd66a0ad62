// The global object: the role of the REGISTRY object named "global"
// (docs/scale.md#size-from-the-shards). It knows `size` as the sum of what the shards pushed (a
// maintained number, never a scan), which lobbies hold sockets, and is the
// root of the broadcast tree: global -> shards -> user objects, and
// global -> lobbies.

import { C, type LobbyStats, type MetricsSnapshot, type ShardStats } from "../admin/metrics.js";
import type { App } from "../app/define-app.js";
import type { Frame, ShardCounts } from "../rpc/contracts.js";
import type { Env } from "../rpc/env.js";
import { lobbyStub, shardStub } from "../rpc/names.js";
import { addResults, type FanOutResult, fanOut } from "./fan-out.js";
import type { RegistryStore } from "./store.js";

/**
 * How long the root waits for a shard's whole fan-out, as a multiple of
 * broadcastTimeoutMs (a shard waits that long for each of its objects).
 */
const SHARD_TIMEOUT_FACTOR = 4;

export class RegistryGlobal {
  private readonly sql: SqlStorage;
  private total: number;
  private version: number;

  constructor(
    private readonly store: RegistryStore,
    private readonly env: Env,
    private readonly app: App,
  ) {
    this.sql = store.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS shards (
      shard INTEGER PRIMARY KEY,
      users INTEGER NOT NULL,
      online INTEGER NOT NULL
    )`);
    this.sql.exec("CREATE TABLE IF NOT EXISTS lobbies (shard INTEGER PRIMARY KEY)");
    this.total = store.getNumber("total");
    this.version = store.getNumber("version");
  }

  push(shard: number, counts: ShardCounts): { version: number; others: number } {
    this.store.count(C.requests("RegistryGlobal"));
    this.store.count(C.pushes);
    const users = this.shardUsers();
    this.sql.exec(
      "INSERT OR REPLACE INTO shards (shard, users, online) VALUES (?, ?, ?)",
      shard,
      counts.users,
      counts.online,
    );
    this.total += counts.users - (users.get(shard) ?? 0);
    users.set(shard, counts.users);
    this.version += 1;
    this.store.setNumbers({ total: this.total, version: this.version });
    this.store.flushCounters();
    return { version: this.version, others: this.total - counts.users };
  }

  /**
   * Each shard's last pushed users, read from SQLite once per wake: a push
   * then costs three statements (the shard's row, total and version, the
   * counters), the global object's whole share of a sign-in.
   */
  private users: Map<number, number> | undefined;
  private shardUsers(): Map<number, number> {
    this.users ??= new Map(
      this.sql
        .exec<{ shard: number; users: number }>("SELECT shard, users FROM shards")
        .toArray()
        .map((r) => [r.shard, r.users]),
    );
    return this.users;
  }

  setLobby(shard: number, online: boolean): void {
    this.store.count(C.requests("RegistryGlobal"));
    if (online) this.sql.exec("INSERT OR IGNORE INTO lobbies (shard) VALUES (?)", shard);
    else this.sql.exec("DELETE FROM lobbies WHERE shard = ?", shard);
    this.store.flushCounters();
  }

  size(): number {
    this.store.count(C.requests("RegistryGlobal"));
    return this.total;
  }

  broadcast(frame: Frame): Promise<FanOutResult> {
    return this.tree(
      "online",
      (shard) => shardStub(this.env, shard).shardBroadcast(shard, frame),
      (lobby) => lobbyStub(this.env, lobby).sendAll(frame),
    );
  }

  sessionEmitAll(message: unknown): Promise<FanOutResult> {
    // Lobbies hold no sessions. A user whose sockets are all relayed holds a session but no
    // online object (its holder delivers its frames), so session events go by `users`.
    return this.tree("users", (shard) => shardStub(this.env, shard).shardSessionEmit(shard, message));
  }

  /**
   * One broadcast: every shard with an online user and (for frames) every
   * lobby with a socket, in parallel and bounded; each shard fans out to
   * its users the same way. A failure is counted, never thrown.
   */
  private async tree(
    holding: "online" | "users",
    toShard: (shard: number) => Promise<FanOutResult>,
    toLobby?: (lobby: number) => Promise<void>,
  ): Promise<FanOutResult> {
    this.store.count(C.requests("RegistryGlobal"));
    // The shards that said they have online users (a frame) or sessions (a session event): a
    // shard pushes its first of either at once, before that user's sign-in is answered
    // (shard.ts `setUser`), so none is missed, and a broadcast costs one call per shard that has
    // someone to reach, not one per configured shard.
    const shards = this.sql.exec<{ shard: number }>(`SELECT shard FROM shards WHERE ${holding} > 0`).toArray();
    const total: FanOutResult = { ok: 0, failed: 0 };
    const timeoutMs = this.app.broadcastTimeoutMs;
    const viaShards = fanOut(shards, async ({ shard }) => addResults(total, await toShard(shard)), {
      timeoutMs: timeoutMs * SHARD_TIMEOUT_FACTOR,
    });
    const lobbies = toLobby ? this.sql.exec<{ shard: number }>("SELECT shard FROM lobbies").toArray() : [];
    const viaLobbies = fanOut(lobbies, ({ shard }) => (toLobby as (l: number) => Promise<void>)(shard), { timeoutMs });
    const [s, l] = await Promise.all([viaShards, viaLobbies]);
    // A shard that failed as a whole counts once; its users are not known here.
    total.failed += s.failed;
    addResults(total, l);
    this.store.count(C.broadcasts);
    this.store.count(C.broadcastFailures, total.failed);
    return total;
  }

  /** Everything /admin/metrics shows: this object's figures and every shard's and lobby's. */
  async metrics(): Promise<MetricsSnapshot> {
    this.store.count(C.requests("RegistryGlobal"));
    const known = this.sql.exec<{ shard: number }>("SELECT shard FROM shards").toArray();
    const shards: ShardStats[] = [];
    const lobbies: LobbyStats[] = [];
    const timeoutMs = this.app.broadcastTimeoutMs;
    const a = await fanOut(
      known,
      async ({ shard }) => shards.push(await shardStub(this.env, shard).shardStats(shard)),
      {
        timeoutMs,
      },
    );
    const lobbyIds = Array.from({ length: this.app.lobbyShards }, (_, i) => i);
    const b = await fanOut(lobbyIds, async (i) => lobbies.push(await lobbyStub(this.env, i).stats()), { timeoutMs });
    shards.sort((x, y) => x.shard - y.shard);
    lobbies.sort((x, y) => x.shard - y.shard);
    return { size: this.total, shards, lobbies, counters: this.store.counters(), unreachable: a.failed + b.failed };
  }
}
