// A registry shard: the role of a REGISTRY object named "shard-N"
// (docs/scale.md#registry-shards). It keeps the uids of its users in SQLite and their counts as
// maintained numbers (O(1) per change, never a COUNT(*)), pushes those
// counts up the size tree (uplink.ts), and carries broadcasts to its users'
// objects.

import { C, type Counters, type ShardStats } from "../admin/metrics.js";
import type { App, Uid } from "../app/define-app.js";
import { EventBacklog } from "../events/backlog.js";
import type { Ask, Frame, GlobalRpc, ShardCounts, TreeResult, UserState } from "../rpc/contracts.js";
import type { Env } from "../rpc/env.js";
import { globalStub, shardName } from "../rpc/names.js";
import { fanOutTree } from "./fan-out-tree.js";
import type { RegistryStore } from "./store.js";
import { SizeUplink } from "./uplink.js";

interface Totals extends ShardCounts {
  bound: number;
  sockets: number;
}

const ZERO: UserState = { session: false, online: false, bound: 0, sockets: 0 };

export class RegistryShard {
  private readonly sql: SqlStorage;
  private readonly totals: Totals;
  /** Its counts to its parent in the size tree: a size group, or the global object. */
  private readonly uplink: SizeUplink;
  /** The global object, when it is this shard's parent (a member, so a test can stand another in). */
  private readonly global: GlobalRpc;
  /** Its users' session events that failed to be delivered (docs/events.md#metrics). */
  private readonly backlog: EventBacklog;

  constructor(
    private readonly store: RegistryStore,
    private readonly env: Env,
    private readonly app: App,
    readonly shard: number,
  ) {
    this.sql = store.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS users (
      uid TEXT PRIMARY KEY,
      session INTEGER NOT NULL,
      online INTEGER NOT NULL,
      bound INTEGER NOT NULL,
      sockets INTEGER NOT NULL
    )`);
    this.totals = {
      users: store.getNumber("users"),
      online: store.getNumber("online"),
      bound: store.getNumber("bound"),
      sockets: store.getNumber("sockets"),
    };
    this.global = globalStub(env);
    const self = { level: 0, index: shard };
    this.uplink = new SizeUplink(
      store,
      env,
      app,
      self,
      () => ({ users: this.totals.users, online: this.totals.online }),
      () => (counts) => this.global.push(self, counts),
    );
    this.backlog = new EventBacklog(this.sql);
  }

  /** `size` as this shard knows it: its own users exactly, the others' as its parent last said. */
  size(): number {
    return this.totals.users + this.uplink.others;
  }

  async setUser(uid: Uid, state: UserState, counters: Counters | undefined): Promise<number> {
    this.store.count(C.requests("RegistryShard"));
    if (counters) for (const [k, v] of Object.entries(counters)) this.store.count(k, v);
    // uid is kept as text: objects are named by String(uid), so 13 and "13" are one user.
    const key = String(uid);
    const old = this.sql.exec<UserRow>("SELECT * FROM users WHERE uid = ?", key).toArray()[0];
    const before = old ? fromRow(old) : ZERO;
    if (state.online || state.session) {
      this.sql.exec(
        "INSERT OR REPLACE INTO users (uid, session, online, bound, sockets) VALUES (?, ?, ?, ?, ?)",
        key,
        state.session ? 1 : 0,
        state.online ? 1 : 0,
        state.bound,
        state.sockets,
      );
    } else if (old) {
      this.sql.exec("DELETE FROM users WHERE uid = ?", key);
    }
    const users = this.totals.users;
    const online = this.totals.online;
    this.totals.users += Number(state.session) - Number(before.session);
    this.totals.online += Number(state.online) - Number(before.online);
    this.totals.bound += state.bound - before.bound;
    this.totals.sockets += state.sockets - before.sockets;
    this.store.setNumbers({ ...this.totals }); // spread: an interface is not a Record<string, number>
    this.store.flushCounters();
    // Only what the size tree needs (users for size and session emits, online for broadcasts) is
    // pushed, and pushed whether or not it changed: the caller gets `size`, and the push is the
    // question (uplink.ts). A shard whose first user comes online, or gets a session, pushes at
    // once, whatever the budget: a broadcast calls only the shards its parent knows to hold one
    // (global.ts `tree`). A session without a socket of its own is a user bound by relay
    // (docs/sign-in.md#sign-in-by-relay).
    const first = (online === 0 && this.totals.online > 0) || (users === 0 && this.totals.users > 0);
    await this.uplink.ask(first);
    return this.size();
  }

  /** A user object's outbox after a delivery pass: its counters and backlog; nothing is pushed. */
  eventReport(uid: Uid, counters: Counters, failingSince: number | null): void {
    this.store.count(C.requests("RegistryShard"));
    for (const [k, v] of Object.entries(counters)) this.store.count(k, v);
    this.backlog.set(String(uid), failingSince);
    this.store.flushCounters();
  }

  /**
   * `size` for `io.session.size()`: asked of the parent (a push is the question) while its budget
   * allows, so a quiet system answers exactly; under load, from what the shard last heard.
   */
  async currentSize(): Promise<number> {
    this.store.count(C.requests("RegistryShard"));
    await this.uplink.ask();
    return this.size();
  }

  /** The tree's shape changed (docs/scale.md#the-size-tree): its counts go to its parent now. */
  async resync(): Promise<void> {
    this.store.count(C.requests("RegistryShard"));
    await this.uplink.now();
  }

  /** The alarm: a held-back or failed push goes now. */
  async alarm(): Promise<void> {
    this.store.count(C.requests("RegistryShard"));
    await this.uplink.alarm();
  }

  broadcast(frame: Frame): Promise<TreeResult> {
    return this.toUsers("online", { frame });
  }

  sessionEmit(message: unknown): Promise<TreeResult> {
    return this.toUsers("session", { session: message });
  }

  /** Its part of a broadcast: every user online (or holding a session), bounded per invocation (fan-out-tree.ts). */
  private toUsers(which: "online" | "session", ask: Ask): Promise<TreeResult> {
    this.store.count(C.requests("RegistryShard"));
    const uids = this.sql.exec<{ uid: string }>(`SELECT uid FROM users WHERE ${which} = 1`).toArray();
    const targets = uids.map((u) => ({ user: u.uid }));
    return fanOutTree(this.env, this.app, shardName(this.shard), targets, ask);
  }

  stats(): ShardStats {
    this.store.count(C.requests("RegistryShard"));
    return {
      shard: this.shard,
      ...this.totals,
      counters: this.store.counters(),
      eventsFailingSince: this.backlog.oldest(),
    };
  }
}

interface UserRow extends Record<string, SqlStorageValue> {
  session: number;
  online: number;
  bound: number;
  sockets: number;
}

function fromRow(r: UserRow): UserState {
  return { session: r.session === 1, online: r.online === 1, bound: r.bound, sockets: r.sockets };
}
