// The parent's side of the size tree (docs/scale.md#the-size-tree), for the global object and
// each size group: its children's last pushed counts (SQLite), their sums as maintained numbers,
// and the push budget it hands out with each answer (push-budget.ts).
import type { App } from "../app/define-app.js";
import type { NodeRef, ShardCounts, Target } from "../rpc/contracts.js";
import { PushGrants } from "./push-budget.js";
import { pushEveryMs } from "./size-tree.js";
import type { RegistryStore } from "./store.js";

export class SizeSum {
  private readonly sql: SqlStorage;
  private readonly grants: PushGrants;
  /** Users in this subtree, kept in storage so `size()` reads no rows. */
  private total: number;
  /** Each child's last counts, read once per wake at its first push (keyed `level:index`). */
  private rows: Map<string, ShardCounts> | undefined;
  private onlineTotal = 0;

  constructor(
    private readonly store: RegistryStore,
    private readonly app: App,
  ) {
    this.sql = store.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS children (
      level INTEGER NOT NULL,
      child INTEGER NOT NULL,
      users INTEGER NOT NULL,
      online INTEGER NOT NULL,
      PRIMARY KEY (level, child)
    )`);
    migrateShardsTable(this.sql);
    this.total = store.getNumber("total");
    this.grants = new PushGrants();
  }

  /** Users holding sessions in this subtree. */
  get users(): number {
    return this.total;
  }

  /** Users and online user objects in this subtree: what it pushes to its own parent. */
  counts(): ShardCounts {
    this.load();
    return { users: this.total, online: this.onlineTotal };
  }

  /**
   * A child's counts (null: it moved to another parent, forget it); resolves to how long that
   * child waits before its next push (0 while this parent is below its budget).
   */
  apply(child: NodeRef, counts: ShardCounts | null): number {
    const rows = this.load();
    const key = `${child.level}:${child.index}`;
    const was = rows.get(key);
    if (counts) {
      this.sql.exec(
        "INSERT OR REPLACE INTO children (level, child, users, online) VALUES (?, ?, ?, ?)",
        child.level,
        child.index,
        counts.users,
        counts.online,
      );
      rows.set(key, counts);
    } else {
      this.sql.exec("DELETE FROM children WHERE level = ? AND child = ?", child.level, child.index);
      rows.delete(key);
    }
    this.total += (counts?.users ?? 0) - (was?.users ?? 0);
    this.onlineTotal += (counts?.online ?? 0) - (was?.online ?? 0);
    this.store.setNumbers({ total: this.total });
    this.store.flushCounters();
    return counts ? this.grants.grant(Date.now(), pushEveryMs(this.app.sizeFlushMs)) : 0;
  }

  /** The children holding an online user (`online`), a session (`users`), or every child (`all`), as fan-out targets. */
  targets(holding: "online" | "users" | "all"): Target[] {
    const where = holding === "all" ? "" : `WHERE ${holding} > 0`;
    return this.sql
      .exec<{ level: number; child: number }>(`SELECT level, child FROM children ${where}`)
      .toArray()
      .map(({ level, child }) => (level === 0 ? { shard: child } : { group: child, level }));
  }

  /** Children this parent heard from that are not at `level`: the tree's shape changed since (docs/scale.md#the-size-tree). */
  strays(level: number): NodeRef[] {
    return this.sql
      .exec<{ level: number; child: number }>("SELECT level, child FROM children WHERE level != ?", level)
      .toArray()
      .map((r) => ({ level: r.level, index: r.child }));
  }

  /** Each shard's last pushed counts, by shard; undefined where this parent hears from size groups. */
  shardRows(): { shard: number; users: number; online: number }[] | undefined {
    const rows = this.sql
      .exec<{ level: number; shard: number; users: number; online: number }>(
        "SELECT level, child AS shard, users, online FROM children ORDER BY level, child",
      )
      .toArray();
    if (rows.some((r) => r.level !== 0)) return undefined;
    return rows.map(({ shard, users, online }) => ({ shard, users, online }));
  }

  /** How many children this parent heard from. */
  children(): number {
    return this.load().size;
  }

  private load(): Map<string, ShardCounts> {
    if (this.rows === undefined) {
      const rows = this.sql
        .exec<{ level: number; child: number; users: number; online: number }>("SELECT * FROM children")
        .toArray();
      this.rows = new Map(rows.map((r) => [`${r.level}:${r.child}`, { users: r.users, online: r.online }]));
      this.onlineTotal = rows.reduce((n, r) => n + r.online, 0);
    }
    return this.rows;
  }
}

/** Before the size tree the global object kept its shards in a table of its own: moved over once. */
function migrateShardsTable(sql: SqlStorage): void {
  const old = sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'shards'").toArray();
  if (old.length === 0) return;
  sql.exec("INSERT OR REPLACE INTO children (level, child, users, online) SELECT 0, shard, users, online FROM shards");
  sql.exec("DROP TABLE shards");
}
