// The global object: the role of the REGISTRY object named "global"
// (docs/scale.md#size-from-the-shards). It knows `size` as the sum of what its children in the
// size tree pushed (the shards, or the size groups above them: docs/scale.md#the-size-tree; a
// maintained number, never a scan), which lobbies hold sockets, and is the root of the
// broadcast tree: global -> shards (or groups -> shards) -> user objects, and global -> lobbies.

import { C, type MetricsSnapshot } from "../admin/metrics.js";
import { type AdminStats, adminStats, STATS_SCRAPE_MS, scrapeFigures } from "../admin/stats.js";
import type { App } from "../app/define-app.js";
import type { Ask, Frame, NodeRef, PushAnswer, ShardCounts, Target, TreeResult } from "../rpc/contracts.js";
import type { Env } from "../rpc/env.js";
import { GLOBAL_NAME } from "../rpc/names.js";
import { fanOutTree } from "./fan-out-tree.js";
import { RecentScrape } from "./recent-scrape.js";
import { SizeSum } from "./size-sum.js";
import { childLevelOfTop } from "./size-tree.js";
import type { RegistryStore } from "./store.js";
import { resyncStrays } from "./strays.js";

export class RegistryGlobal {
  private readonly sql: SqlStorage;
  private readonly sum: SizeSum;

  constructor(
    private readonly store: RegistryStore,
    private readonly env: Env,
    private readonly app: App,
    background: (work: Promise<unknown>) => void,
  ) {
    this.sql = store.sql;
    this.sum = new SizeSum(store, app);
    this.sql.exec("CREATE TABLE IF NOT EXISTS lobbies (shard INTEGER PRIMARY KEY)");
    background(resyncStrays(env, this.sum, childLevelOfTop(app.registryShards)));
  }

  /** A child's counts; the answer has the users outside it and when it may push next (docs/scale.md#the-promise). */
  push(child: NodeRef, counts: ShardCounts | null): PushAnswer {
    this.store.count(C.requests("RegistryGlobal"));
    this.store.count(C.pushes);
    const waitMs = this.sum.apply(child, counts);
    return { others: this.sum.users - (counts?.users ?? 0), waitMs };
  }

  setLobby(shard: number, online: boolean): void {
    this.store.count(C.requests("RegistryGlobal"));
    if (online) this.sql.exec("INSERT OR IGNORE INTO lobbies (shard) VALUES (?)", shard);
    else this.sql.exec("DELETE FROM lobbies WHERE shard = ?", shard);
    this.store.flushCounters();
  }

  size(): number {
    this.store.count(C.requests("RegistryGlobal"));
    return this.sum.users;
  }

  broadcast(frame: Frame): Promise<TreeResult> {
    return this.tree({ frame }, true);
  }

  sessionEmitAll(message: unknown): Promise<TreeResult> {
    // Lobbies hold no sessions.
    return this.tree({ session: message }, false);
  }

  /**
   * One broadcast: every child with an online user and (for frames) every
   * lobby with a socket, bounded per invocation (fan-out-tree.ts); each shard
   * or size group fans out below it the same way. A failure is counted, never thrown.
   */
  private async tree(ask: Ask, lobbies: boolean): Promise<TreeResult> {
    this.store.count(C.requests("RegistryGlobal"));
    // The children that said they have online users (for a frame) or users with a session (for a
    // session emit: a user bound by relay has a session and no socket in its own object): a shard
    // pushes its first of either at once, before that user's sign-in is answered, and so does a
    // group (shard.ts `setUser`, group.ts `push`), so none is missed, and a broadcast costs one
    // call per such child, not one per configured shard.
    const targets = this.sum.targets("frame" in ask ? "online" : "users");
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

  /** Everything /admin/metrics shows: this object's figures and every shard's, group's and lobby's. */
  metrics(): Promise<MetricsSnapshot> {
    this.store.count(C.requests("RegistryGlobal"));
    const snapshot = this.scrape();
    this.recent.keep(Date.now(), snapshot);
    return snapshot;
  }

  /**
   * What /admin/stats shows (docs/dashboard.md#what-a-poll-costs): `size` and each shard's
   * counts as pushed, read here (past 64 shards, where this object hears from size groups, as
   * of the scrape), and the sockets and sign-ins of a scrape at most STATS_SCRAPE_MS old, so
   * polls make at most one scrape per STATS_SCRAPE_MS between them.
   */
  async stats(): Promise<AdminStats> {
    this.store.count(C.requests("RegistryGlobal"));
    const { at, value } = await this.recent.get(() => this.scrape());
    const pushed = this.sum.shardRows();
    const shards = pushed ?? value.shards.map(({ shard, users, online }) => ({ shard, users, online }));
    return adminStats(Date.now(), this.sum.users, shards, this.store.counters(), scrapeFigures(value, at));
  }

  private readonly recent = new RecentScrape<MetricsSnapshot>(STATS_SCRAPE_MS);

  /** Every shard's, group's and lobby's figures, one call each (fan-out-tree.ts), with this object's counters. */
  private async scrape(): Promise<MetricsSnapshot> {
    const targets = this.sum.targets("all");
    for (let lobby = 0; lobby < this.app.lobbyShards; lobby++) targets.push({ lobby });
    const { shards, groups, lobbies, failed } = await this.fanOut(targets, { stats: true });
    shards.sort((x, y) => x.shard - y.shard);
    groups.sort((x, y) => x.level - y.level || x.group - y.group);
    lobbies.sort((x, y) => x.shard - y.shard);
    const counters = this.store.counters();
    return { size: this.sum.users, shards, groups, lobbies, counters, unreachable: failed };
  }
}
