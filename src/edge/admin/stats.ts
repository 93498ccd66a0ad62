// GET /admin/stats: the figures the admin dashboard polls, as JSON
// (docs/dashboard.md#what-a-poll-costs). What changes on every sign-in
// (`size`, each shard's users) is what the global object already holds, read
// on every poll; what only a scrape of every shard and lobby knows (sockets,
// sign-ins by outcome) comes from the latest scrape, made at most every
// STATS_SCRAPE_MS whoever polls, so a poll costs one call to the global object
// and, at most that often, one scrape shared by every dashboard open.

import {
  allCounters,
  C,
  type Counters,
  type MetricsSnapshot,
  SIGN_IN_METRICS,
  type SignInMetric,
  socketTotals,
} from "./metrics.js";

/** The oldest scrape /admin/stats answers from; older, the next poll scrapes again. */
export const STATS_SCRAPE_MS = 5_000;

/** One registry shard as it last pushed its counts to the global object. */
export interface ShardUsers {
  shard: number;
  /** Users holding a session. */
  users: number;
  /** User objects holding any socket. */
  online: number;
}

/** What the figures of a scrape add up to. */
export interface ScrapeFigures {
  /** When the scrape started (ms since epoch): the time its counters are as of. */
  at: number;
  /** Open sockets bound to a uid, and the others. */
  bound: number;
  anonymous: number;
  /** Sign-ins so far, by outcome (counters: the dashboard shows their rate between two scrapes). */
  signIns: Record<SignInMetric, number>;
  /** Objects that did not answer that scrape. */
  unreachable: number;
}

export interface AdminStats {
  /** When the global object answered (ms since epoch). */
  at: number;
  /** Users holding sessions. */
  size: number;
  /** Every shard that ever pushed, by number. */
  shards: ShardUsers[];
  /** Broadcasts the global object rooted so far, and object deliveries of them that failed or timed out. */
  broadcasts: number;
  broadcastFailures: number;
  scrape: ScrapeFigures;
}

/** A scrape's snapshot, taken at `at`, as the dashboard reads it. */
export function scrapeFigures(m: MetricsSnapshot, at: number): ScrapeFigures {
  const counters = allCounters(m);
  const signIns = Object.fromEntries(SIGN_IN_METRICS.map((o) => [o, counters[C.signIn(o)] ?? 0]));
  return { at, ...socketTotals(m), signIns: signIns as Record<SignInMetric, number>, unreachable: m.unreachable };
}

/** The answer of /admin/stats from the global object's own figures and its latest scrape. */
export function adminStats(
  at: number,
  size: number,
  shards: ShardUsers[],
  own: Counters,
  scrape: ScrapeFigures,
): AdminStats {
  return {
    at,
    size,
    shards,
    broadcasts: own[C.broadcasts] ?? 0,
    broadcastFailures: own[C.broadcastFailures] ?? 0,
    scrape,
  };
}
