// The global object: the role of the REGISTRY object named "global"
// (docs/scale.md#size-from-the-shards). It knows `size` as the sum of what the shards pushed (a
// maintained number, never a scan), which lobbies hold sockets, and is the
// root of the broadcast tree: global -> shards -> user objects, and
// global -> lobbies.

import { C, type MetricsSnapshot } from "../admin/metrics.js";
import { type AdminStats, adminStats, STATS_SCRAPE_MS, scrapeFigures } from "../admin/stats.js";
import type { App } from "../app/define-app.js";
import type { Ask, Frame, ShardCounts, Target, TreeResult } from "../rpc/contracts.js";
import type { Env } from "../rpc/env.js";
import { GLOBAL_NAME } from "../rpc/names.js";
import { fanOutTree } from "./fan-out-tree.js";
import { RecentScrape } from "./recent-scrape.js";
import type { RegistryStore } from "./store.js";

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

  broadcast(frame: Frame): Promise<TreeResult> {
    return this.tree({ frame }, true);
  }

  sessionEmitAll(message: unknown): Promise<TreeResult> {
    // Lobbies hold no sessions.
    return this.tree({ session: message }, false);
  }

  /**
   * One broadcast: every shard with an online user and (for frames) every
   * lobby with a socket, bounded per invocation (fan-out-tree.ts); each shard
   * fans out to its users the same way. A failure is counted, never thrown.
   */
  private async tree(ask: Ask, lobbies: boolean): Promise<TreeResult> {
    this.store.count(C.requests("RegistryGlobal"));
    // The shards that said they have online users (for a frame) or users with a session (for a
    // session emit: a user bound by relay has a session and no socket in its own object): a shard
    // pushes its first of either at once, before that user's sign-in is answered (shard.ts
    // `setUser`), so none is missed, and a broadcast costs one call per such shard, not one per
    // configured shard.
    const holding = "frame" in ask ? "online" : "users";
    const shards = this.sql.exec<{ shard: number }>(`SELECT shard FROM shards WHERE ${holding} > 0`).toArray();
    const targets: Target[] = shards.map(({ shard }) => ({ shard }));
    const withSockets = lobbies ? this.sql.exec<{ shard: number }>("SELECT shard FROM lobbies").toArray() : [];
    for (const { shard } of withSockets) targets.push({ lobby: shard });
    const total = await this.fanOut(targets, ask);
    this.store.count(C.broadcasts);
    this.store.count(C.broadcastFailures, total.failed);
    return total;
  }

  /** A fan-out rooted here, and what its invocations did, for /admin/metrics (docs/operations.md#metrics). */
  private async fanOut(targets: Target[], ask: Ask): Promise<TreeResult> {
    const r = await fanOutTree(this.env, this.app, GLOBAL_NAME, targets, ask);
    this.store.count(C.fanOutInvocations, r.invocations);
    this.store.count(C.fanOutSlices, r.slices);
    this.store.count(C.fanOutBatchMax, r.batchMax);
    this.store.count(C.fanOutTiersMax, r.tiers);
    return r;
  }

  /** Everything /admin/metrics shows: this object's figures and every shard's and lobby's. */
  metrics(): Promise<MetricsSnapshot> {
    this.store.count(C.requests("RegistryGlobal"));
    const snapshot = this.scrape();
    this.recent.keep(Date.now(), snapshot);
    return snapshot;
  }

  /**
   * What /admin/stats shows (docs/dashboard.md#what-a-poll-costs): `size` and each shard's
   * counts as pushed, read here, and the sockets and sign-ins of a scrape at most
   * STATS_SCRAPE_MS old, so polls make at most one scrape per STATS_SCRAPE_MS between them.
   */
  async stats(): Promise<AdminStats> {
    this.store.count(C.requests("RegistryGlobal"));
    const { at, value } = await this.recent.get(() => this.scrape());
    const shards = this.sql
      .exec<{ shard: number; users: number; online: number }>("SELECT shard, users, online FROM shards ORDER BY shard")
      .toArray()
      .map((r) => ({ ...r }));
    return adminStats(Date.now(), this.total, shards, this.store.counters(), scrapeFigures(value, at));
  }

  private readonly recent = new RecentScrape<MetricsSnapshot>(STATS_SCRAPE_MS);

  /** Every shard's and lobby's figures, one call each (fan-out-tree.ts), with this object's counters. */
  private async scrape(): Promise<MetricsSnapshot> {
    const targets: Target[] = this.sql
      .exec<{ shard: number }>("SELECT shard FROM shards")
      .toArray()
      .map(({ shard }) => ({ shard }));
    for (let lobby = 0; lobby < this.app.lobbyShards; lobby++) targets.push({ lobby });
    const { shards, lobbies, failed } = await this.fanOut(targets, { stats: true });
    shards.sort((x, y) => x.shard - y.shard);
    lobbies.sort((x, y) => x.shard - y.shard);
    return { size: this.total, shards, lobbies, counters: this.store.counters(), unreachable: failed };
  }
}
