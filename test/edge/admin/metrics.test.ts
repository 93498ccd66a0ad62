// GET /admin/metrics: the Prometheus text format, scraped and parsed as a
// Prometheus server would read it (docs/operations.md#metrics).
import { SELF } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { ADMIN_SECRET, adminPost, closeOpenClients, connect } from "../helpers.js";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the text exposition format 0.0.4: HELP/TYPE comments and `name{labels} value` lines. */
function parse(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const type = /^# TYPE (\w+) (counter|gauge)$/.exec(line);
    if (type) types.set(type[1] as string, type[2] as string);
    if (line.startsWith("#")) continue;
    const m = /^(\w+)(?:\{([^}]*)\})? (-?\d+(?:\.\d+)?)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? "").split(",").filter(Boolean)) {
      const [k, v] = pair.split("=") as [string, string];
      labels[k] = JSON.parse(v);
    }
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return { samples, types };
}

async function scrape() {
  const res = await SELF.fetch("http://edge.test/admin/metrics", {
    headers: { Authorization: `Bearer ${ADMIN_SECRET}` },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get("Content-Type")).toContain("text/plain; version=0.0.4");
  const parsed = parse(await res.text());
  const value = (name: string, labels: Record<string, string> = {}) =>
    parsed.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
  const sum = (name: string) => parsed.samples.filter((s) => s.name === name).reduce((n, s) => n + s.value, 0);
  return { ...parsed, value, sum };
}

afterEach(closeOpenClients);

describe("GET /admin/metrics", () => {
  it("is behind ADMIN_SECRET", async () => {
    const res = await SELF.fetch("http://edge.test/admin/metrics", { headers: { Authorization: "Bearer wrong" } });
    expect(res.status).toBe(401);
  });

  it("shows users, bound and anonymous sockets, users per shard, sign-ins by outcome, broadcasts and requests", async () => {
    const before = await scrape();
    for (const name of before.types.keys()) expect(name).toMatch(/^sockizy_/);
    expect(before.types.get("sockizy_users")).toBe("gauge");
    expect(before.types.get("sockizy_signins_total")).toBe("counter");

    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    const b = await connect({ signIn: ["D", "6"] });
    await b.waitText("USER.OK | 6 | 2");
    const refused = await connect({ signIn: ["D", "13"] });
    await refused.waitText("USER.MAX.CONN | 1 | 1");
    const bad = await connect({ signIn: ["D", "12"] });
    await bad.waitText("USER.BAD | D | 12");
    const anonymous = await connect();
    expect((await adminPost("/admin/text", { text: "hello" })).status).toBe(200);
    await anonymous.waitText("hello");

    const after = await scrape();
    expect(after.value("sockizy_users")).toBe(2);
    expect(after.value("sockizy_sockets", { kind: "bound" })).toBe(2);
    // The refused socket stays in user 13's object, unbound; the bad and the anonymous one are in lobbies.
    expect(after.value("sockizy_sockets", { kind: "anonymous" })).toBe(3);
    expect(after.sum("sockizy_shard_users")).toBe(2);
    const grew = (name: string, labels: Record<string, string>) =>
      (after.value(name, labels) ?? 0) - (before.value(name, labels) ?? 0);
    expect(grew("sockizy_signins_total", { outcome: "ok" })).toBe(2);
    expect(grew("sockizy_signins_total", { outcome: "cap" })).toBe(1);
    expect(grew("sockizy_signins_total", { outcome: "bad" })).toBe(1);
    expect(grew("sockizy_broadcasts_total", {})).toBeGreaterThanOrEqual(1);
    expect(after.value("sockizy_broadcast_failures_total")).toBe(0);
    for (const cls of ["UserObject", "LobbyObject", "RegistryShard", "RegistryGlobal"]) {
      expect(grew("sockizy_requests_total", { class: cls })).toBeGreaterThan(0);
    }
    // The seed's default fanOutBatch (1,000) is far above this: no slice objects, two tiers (global -> shards -> users).
    expect(after.types.get("sockizy_fanout_batch_max")).toBe("gauge");
    expect(after.value("sockizy_fanout_batch_max")).toBeGreaterThan(0);
    expect(after.value("sockizy_fanout_batch_max")).toBeLessThanOrEqual(1_000);
    expect(after.value("sockizy_fanout_tiers_max")).toBe(2);
    expect(grew("sockizy_fanout_invocations_total", { object: "all" })).toBeGreaterThanOrEqual(3);
    expect(after.value("sockizy_fanout_invocations_total", { object: "slice" })).toBe(0);
  });
});
