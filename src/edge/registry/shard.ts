// A registry shard: the role of a REGISTRY object named "shard-N"
// (docs/scale.md#registry-shards). It keeps the uids of its users in SQLite and their counts as
// maintained numbers (O(1) per change, never a COUNT(*)), pushes those
// counts to the global object coalesced, and carries broadcasts to its
// users' objects.

import { C, type Counters, type ShardStats } from "../admin/metrics.js";
import type { App, Uid } from "../app/define-app.js";
import { EventBacklog } from "../events/backlog.js";
import type { Ask, Frame, GlobalRpc, ShardCounts, TreeResult, UserState } from "../rpc/contracts.js";
import type { Env } from "../rpc/env.js";
import { globalStub, shardName } from "../rpc/names.js";
import { fanOutTree } from "./fan-out-tree.js";
import { PushBudget } from "./push-budget.js";
import type { RegistryStore } from "./store.js";

interface Totals extends ShardCounts {
  bound: number;
  sockets: number;
}

const ZERO: UserState = { session: false, online: false, bound: 0, sockets: 0 };

export class RegistryShard {
  private readonly sql: SqlStorage;
  private readonly totals: Totals;
  private readonly budget: PushBudget;
  /** The other shards' users and the version of that figure, as the global object last said. */
  private others = 0;
  private version = -1;
  /** What the last successful push said (in memory: after a wake, the next change pushes). */
  private pushed: ShardCounts | undefined;
  /** Whether storage may say a push failed (unknown after a wake, so true). */
  private unpushed = true;
  /** The push in flight, and the one that will follow it with the changes made meanwhile. */
  private pushing: Promise<void> | undefined;
  private next: Promise<void> | undefined;
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
    this.budget = new PushBudget(app.sizeFlushMs);
    this.global = globalStub(env);
    this.backlog = new EventBacklog(this.sql);
  }

  /** `size` as this shard knows it: its own users exactly, the others' as last heard. */
  size(): number {
    return this.totals.users + this.others;
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
    // Only what the global object needs (users for size and session emits, online for broadcasts) is
    // pushed. A shard whose first user comes online, or gets a session, pushes at once, whatever the
    // budget: the global object calls only the shards it knows to hold one (global.ts `tree`). A
    // session without a socket of its own is a user bound by relay (docs/sign-in.md#sign-in-by-relay).
    const first = (online === 0 && this.totals.online > 0) || (users === 0 && this.totals.users > 0);
    if (users !== this.totals.users || online !== this.totals.online || this.version < 0) await this.changed(first);
    else await this.refresh();
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
   * Nothing the global object needs changed, but the caller gets `size`:
   * ask it (a push is the question) while the budget allows, so a quiet
   * system answers exactly (e.g. a uid's second socket signing in).
   */
  private async refresh(): Promise<void> {
    if (this.pushing) await this.pushing;
    else if (this.budget.take(Date.now())) await this.push();
  }

  /**
   * `size` for `io.session.size()`: the shard asks the global object (its
   * push is the question) while the budget allows, so a quiet system
   * answers exactly; under load it answers from what it last heard.
   */
  async currentSize(): Promise<number> {
    this.store.count(C.requests("RegistryShard"));
    await this.refresh();
    return this.size();
  }

  /**
   * The counts changed: push them now if the budget allows (the caller
   * waits, so a quiet system answers exactly), else at the next token,
   * through the alarm (durable, so an eviction cannot lose the push). While
   * a push is in flight, changes wait for the one push after it, which
   * carries them all: a caller waits for at most two pushes, however busy.
   */
  private changed(urgent = false): Promise<void> {
    if (this.pushing) {
      this.urgent ||= urgent;
      this.next ??= this.pushing.then(() => {
        this.next = undefined;
        const now = this.urgent;
        this.urgent = false;
        return this.pushIfBudget(now);
      });
      return this.next;
    }
    return this.pushIfBudget(urgent);
  }

  /** Whether the push after the one in flight carries a shard's first online user. */
  private urgent = false;

  private async pushIfBudget(urgent: boolean): Promise<void> {
    const now = Date.now();
    // An urgent push still spends a token when there is one, so the budget stays a bound under load.
    if (this.budget.take(now) || urgent) await this.push();
    else await this.store.wakeAt(this.budget.nextAt(now));
  }

  /** Pushes the current counts; one push at a time through one stub, so they arrive in order. */
  private push(): Promise<void> {
    this.pushing = (async () => {
      try {
        const counts = { users: this.totals.users, online: this.totals.online };
        const { version, others } = await this.global.push(this.shard, counts);
        this.pushed = counts;
        if (version > this.version) {
          this.version = version;
          this.others = others;
        }
        if (this.unpushed) await this.store.forget("unpushed");
        this.unpushed = false;
      } catch (e) {
        // Said again by the alarm: a failed push is repaired within sizeFlushMs.
        console.error("sockizy-edge: size push failed:", e);
        this.unpushed = true;
        await this.store.remember("unpushed");
        await this.store.wakeAt(Date.now() + this.app.sizeFlushMs);
      } finally {
        this.pushing = undefined;
      }
    })();
    return this.pushing;
  }

  /** The alarm: a held-back or failed push goes now. */
  async alarm(): Promise<void> {
    this.store.count(C.requests("RegistryShard"));
    await (this.next ?? this.pushing);
    const same = this.pushed?.users === this.totals.users && this.pushed.online === this.totals.online;
    if (same && !(await this.store.remembers("unpushed"))) return;
    this.budget.take(Date.now());
    await this.push();
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
