// The sign-in limiter (docs/security.md#sign-in-rate-limits): a counter of failed sign-ins,
// "at most N within a window that starts at its first counted failure".
// Each counter (one IP, or one (key, IP) pair) has an object of its own,
// named by a hash of what it counts (src/edge/limits/attempts.ts), so no one object
// sits on every sign-in's path.
//
// Why not the platform's Rate Limiting binding
// (https://developers.cloudflare.com/workers/runtime-apis/bindings/rate-limit/):
// its `limit()` counts every call and cannot be read without counting, so
// it cannot refuse before `authenticate` while counting only failures; its
// period is 10 or 60 s, shorter than a login lockout; and its counts are
// per Cloudflare location and approximate.
//
// Failures live in SQLite storage (the Durable Objects storage backend), not
// only in memory: a lockout must outlast an eviction, which an idle object
// gets within seconds. An alarm deletes expired rows. Attempts in flight
// (taken, not yet settled) are in memory: they last as long as one
// `authenticate` call, and an object is not evicted while it is being called.
import { DurableObject } from "cloudflare:workers";
import type { Counter, LimiterRpc, Settled, Taken } from "../rpc/contracts.js";
import type { Env } from "../rpc/env.js";

/** An attempt in flight that is never settled (its Worker died) stops holding its place after this. */
export const IN_FLIGHT_MS = 30_000;

interface Row extends Record<string, SqlStorageValue> {
  n: number;
  until: number;
}

export class LimiterObject extends DurableObject<Env> implements LimiterRpc {
  private readonly sql: SqlStorage;
  /** Per counter, the expiry times of its attempts in flight. */
  private readonly inFlight = new Map<string, number[]>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(
      "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL, until INTEGER NOT NULL)",
    );
  }

  private failures(name: string, now: number): Row {
    const row = this.sql.exec<Row>("SELECT n, until FROM counters WHERE name = ?", name).toArray()[0];
    return row && row.until > now ? row : { n: 0, until: 0 };
  }

  private flying(name: string, now: number): number[] {
    const live = (this.inFlight.get(name) ?? []).filter((t) => t > now);
    if (live.length > 0) this.inFlight.set(name, live);
    else this.inFlight.delete(name);
    return live;
  }

  // Synchronous from the first read to the last write, so two takes cannot
  // interleave: failures plus attempts in flight never pass the limit, and
  // a burst of wrong passwords cannot reach `authenticate` more often than that.
  async take(counters: readonly Counter[]): Promise<Taken> {
    const now = Date.now();
    let wait = 0;
    let busy = false;
    for (const c of counters) {
      const failed = this.failures(c.name, now);
      if (failed.n >= c.attempts) wait = Math.max(wait, failed.until - now);
      else if (failed.n + this.flying(c.name, now).length >= c.attempts) busy = true;
    }
    if (wait > 0) return { ok: false, retryAfterMs: wait };
    if (busy) return { ok: false, busy: true };
    for (const c of counters) this.inFlight.set(c.name, [...this.flying(c.name, now), now + IN_FLIGHT_MS]);
    return { ok: true };
  }

  async settle(counters: readonly Counter[], result: Settled, reset: readonly string[] = []): Promise<void> {
    const now = Date.now();
    let latest = 0;
    for (const c of counters) {
      this.flying(c.name, now).shift();
      if (result === "ok" && reset.includes(c.name)) this.sql.exec("DELETE FROM counters WHERE name = ?", c.name);
      if (result !== "failed") continue;
      const failed = this.failures(c.name, now);
      const until = failed.n === 0 ? now + c.windowMs : failed.until;
      latest = Math.max(latest, until);
      this.sql.exec(
        "INSERT INTO counters (name, n, until) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET n = excluded.n, until = excluded.until",
        c.name,
        failed.n + 1,
        until,
      );
    }
    if (latest > 0 && (await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(latest);
  }

  /** Deletes expired counters; re-arms for the next one to expire. */
  override async alarm(): Promise<void> {
    this.sql.exec("DELETE FROM counters WHERE until <= ?", Date.now());
    const next = this.sql.exec<{ until: number | null }>("SELECT MIN(until) AS until FROM counters").one().until;
    if (next !== null) await this.ctx.storage.setAlarm(next);
  }
}
