// Counters for GET /admin/metrics (docs/operations.md#metrics), and the Prometheus
// text format (https://prometheus.io/docs/instrumenting/exposition_formats/).
//
// How they are kept cheaply: every object adds to a small map in memory
// (one integer add per request). User objects and lobbies store the map
// with the writes they make anyway and hand it to their registry shard with
// their next report, or to the global object when it scrapes them; registry
// objects write theirs to SQLite with the next change they make (a
// broadcast or a scrape writes nothing). No request anywhere makes an extra
// call or an extra write for metrics.

import type { FloodLimit } from "../floods/options.js";

export type Counters = Record<string, number>;

/** Counter names (one place, so a typo is a type error). */
export const C = {
  requests: (cls: ObjectClass) => `requests:${cls}`,
  signIn: (outcome: SignInMetric) => `signin:${outcome}`,
  broadcasts: "broadcasts",
  broadcastFailures: "broadcast_failures",
  pushes: "size_pushes",
  /** A push a node of the size tree held back for its parent's budget (the replies meanwhile came from what it last heard). */
  pushesHeld: "size_pushes_held",
  fanOutInvocations: "fanout_invocations",
  fanOutSlices: "fanout_slice_invocations",
  fanOutBatchMax: "max:fanout_batch",
  fanOutTiersMax: "max:fanout_tiers",
  /** Sockets closed with 1008 by a bucket (docs/floods.md#metrics). */
  floodCloses: (limit: FloodLimit) => `flood_closes:${limit}`,
  /** Anonymous upgrades answered 429 by the per-address cap. */
  anonymousRefused: "anonymous_refused",
  /** Session events (docs/events.md#metrics): enqueued, delivered, retried, dropped. */
  events: (what: string) => `events:${what}`,
} as const;

/** A counter named `max:...` keeps the largest value it was given, not the sum (a gauge of the most ever seen). */
export const MAXIMUM_PREFIX = "max:";

/** A counter's value after adding `by` to `was`: the sum, or for a maximum the larger. */
export function combine(name: string, was: number, by: number): number {
  return name.startsWith(MAXIMUM_PREFIX) ? Math.max(was, by) : was + by;
}

export type ObjectClass = "UserObject" | "LobbyObject" | "RegistryShard" | "RegistryGroup" | "RegistryGlobal";
export type SignInMetric = "ok" | "cap" | "bad" | "error" | "resume_refused" | "limited";

export function bump(counters: Counters, name: string, by = 1): void {
  counters[name] = combine(name, counters[name] ?? 0, by);
}

export function addCounters(into: Counters, from: Counters | undefined): void {
  if (from) for (const [k, v] of Object.entries(from)) bump(into, k, v);
}

/** What one registry shard knows, for a scrape. */
export interface ShardStats {
  shard: number;
  /** Users holding sessions here. */
  users: number;
  /** User objects holding any socket. */
  online: number;
  /** Sockets bound to a uid, and all sockets, in this shard's user objects. */
  bound: number;
  sockets: number;
  counters: Counters;
  /** The `at` of the oldest session event of its users whose delivery failed at least once, or null. */
  eventsFailingSince?: number | null;
}

/** What one size group knows, for a scrape (docs/scale.md#the-size-tree). */
export interface GroupStats {
  level: number;
  group: number;
  /** Users holding sessions in its subtree, and the children it hears from. */
  users: number;
  children: number;
  counters: Counters;
}

export interface LobbyStats {
  shard: number;
  sockets: number;
  counters: Counters;
}

export interface MetricsSnapshot {
  size: number;
  shards: ShardStats[];
  groups: GroupStats[];
  lobbies: LobbyStats[];
  /** The global object's own counters (its requests, broadcasts). */
  counters: Counters;
  /** Objects that did not answer the scrape. */
  unreachable: number;
}

/** Every object's counters of a snapshot, added up. */
export function allCounters(m: MetricsSnapshot): Counters {
  const all: Counters = { ...m.counters };
  for (const s of m.shards) addCounters(all, s.counters);
  for (const g of m.groups) addCounters(all, g.counters);
  for (const l of m.lobbies) addCounters(all, l.counters);
  return all;
}

/** Open sockets of a snapshot: bound to a uid, and the others (lobbies', and unbound ones in user objects). */
export function socketTotals(m: MetricsSnapshot): { bound: number; anonymous: number } {
  const sum = (f: (s: ShardStats) => number) => m.shards.reduce((n, s) => n + f(s), 0);
  return {
    bound: sum((s) => s.bound),
    anonymous: sum((s) => s.sockets - s.bound) + m.lobbies.reduce((n, l) => n + l.sockets, 0),
  };
}

/** Sign-in outcomes, in the order metrics and the dashboard show them. */
export const SIGN_IN_METRICS: readonly SignInMetric[] = ["ok", "cap", "bad", "error", "resume_refused", "limited"];

/** The snapshot as Prometheus text (version 0.0.4); `now` for the age of the oldest undelivered session event. */
export function prometheus(m: MetricsSnapshot, now = Date.now()): string {
  const all = allCounters(m);
  const { bound, anonymous } = socketTotals(m);
  const out: string[] = [];
  const metric = (name: string, type: "gauge" | "counter", help: string, rows: [string, number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of rows) out.push(`${name}${labels} ${value}`);
  };
  /** A metric of one sample, without labels. */
  const one = (name: string, type: "gauge" | "counter", help: string, value: number) =>
    metric(name, type, help, [["", value]]);
  const counter = (name: string) => all[name] ?? 0;
  one("sockizy_users", "gauge", "Users holding sessions (size), as the global object knows it.", m.size);
  metric("sockizy_sockets", "gauge", "Open sockets, bound to a uid or anonymous.", [
    ['{kind="bound"}', bound],
    ['{kind="anonymous"}', anonymous],
  ]);
  metric(
    "sockizy_shard_users",
    "gauge",
    "Users holding sessions, per registry shard.",
    m.shards.map((s) => [`{shard="${s.shard}"}`, s.users]),
  );
  metric(
    "sockizy_signins_total",
    "counter",
    "Sign-ins by outcome.",
    SIGN_IN_METRICS.map((o) => [`{outcome="${o}"}`, counter(C.signIn(o))]),
  );
  one(
    "sockizy_broadcasts_total",
    "counter",
    "Broadcasts (io.text/json/emit, io.session.emit()).",
    counter(C.broadcasts),
  );
  one(
    "sockizy_broadcast_failures_total",
    "counter",
    "Object deliveries of a broadcast that failed or timed out.",
    counter(C.broadcastFailures),
  );
  one(
    "sockizy_fanout_batch_max",
    "gauge",
    "The most calls one invocation made in one fan-out (broadcasts and scrapes), at most fanOutBatch.",
    counter(C.fanOutBatchMax),
  );
  one(
    "sockizy_fanout_tiers_max",
    "gauge",
    "The most tiers of invocations one fan-out went through.",
    counter(C.fanOutTiersMax),
  );
  metric(
    "sockizy_fanout_invocations_total",
    "counter",
    "Invocations that made calls in a fan-out, by object: the global object, shards, slice objects.",
    [
      ['{object="all"}', counter(C.fanOutInvocations)],
      ['{object="slice"}', counter(C.fanOutSlices)],
    ],
  );
  metric(
    "sockizy_flood_closes_total",
    "counter",
    "Sockets closed with 1008 for too many frames or bytes, by the bucket they went over: their own, or their user's.",
    (["socket", "user"] as const).map((l) => [`{limit="${l}"}`, counter(C.floodCloses(l))]),
  );
  one(
    "sockizy_anonymous_refused_total",
    "counter",
    "Anonymous upgrades answered 429: their address already held floods.anonymousPerIp anonymous sockets.",
    counter(C.anonymousRefused),
  );
  one(
    "sockizy_size_pushes_total",
    "counter",
    "Count pushes in the size tree: from registry shards and size groups to their parent.",
    counter(C.pushes),
  );
  one(
    "sockizy_size_pushes_held_total",
    "counter",
    "Pushes held back for the parent's budget: sign-in replies meanwhile carry a size up to sizeFlushMs old.",
    counter(C.pushesHeld),
  );
  metric(
    "sockizy_requests_total",
    "counter",
    "Requests handled (fetch, RPC, alarm) per object class; user objects' and lobbies' as reported so far.",
    (["UserObject", "LobbyObject", "RegistryShard", "RegistryGroup", "RegistryGlobal"] as const).map((c) => [
      `{class="${c}"}`,
      counter(C.requests(c)),
    ]),
  );
  metric(
    "sockizy_shard_requests_total",
    "counter",
    "Requests handled per registry shard.",
    m.shards.map((s) => [`{shard="${s.shard}"}`, s.counters[C.requests("RegistryShard")] ?? 0]),
  );
  metric(
    "sockizy_session_events_total",
    "counter",
    "Session events (online/offline) by what became of them; retried counts failed attempts.",
    (["enqueued", "delivered", "retried", "dropped"] as const).map((w) => [`{what="${w}"}`, counter(C.events(w))]),
  );
  const failing = m.shards.reduce<number | null>((a, s) => {
    const since = s.eventsFailingSince ?? null;
    return a === null || (since !== null && since < a) ? since : a;
  }, null);
  one(
    "sockizy_session_events_oldest_undelivered_seconds",
    "gauge",
    "Age of the oldest undelivered session event whose delivery failed at least once; 0 when none.",
    failing === null ? 0 : Math.max(0, (now - failing) / 1000),
  );
  one("sockizy_scrape_unreachable", "gauge", "Objects that did not answer this scrape.", m.unreachable);
  return `${out.join("\n")}\n`;
}
