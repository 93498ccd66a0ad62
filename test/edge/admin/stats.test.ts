// GET /admin/stats, the figures the dashboard polls (docs/dashboard.md#what-a-poll-costs):
// size and each shard's counts as the global object holds them, and the
// sockets and sign-ins of a scrape that polls share for STATS_SCRAPE_MS.
import { SELF } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { AdminStats } from "../../../src/edge/admin/stats.js";
import { ADMIN_SECRET, adminGet, adminPost, closeOpenClients, connect } from "../helpers.js";

afterEach(closeOpenClients);

const stats = () => adminGet("/admin/stats") as Promise<AdminStats>;

/** Requests the registry shards have handled, as /admin/metrics counts them (a scrape calls each shard once). */
async function shardRequests(): Promise<number> {
  const res = await SELF.fetch("http://edge.test/admin/metrics", {
    headers: { Authorization: `Bearer ${ADMIN_SECRET}` },
  });
  const line = (await res.text())
    .split("\n")
    .find((l) => l.startsWith('sockizy_requests_total{class="RegistryShard"}'));
  return Number(line?.split(" ")[1]);
}

describe("GET /admin/stats", () => {
  it("is behind ADMIN_SECRET, and answers with no-store", async () => {
    const wrong = await SELF.fetch("http://edge.test/admin/stats", { headers: { Authorization: "Bearer wrong" } });
    expect(wrong.status).toBe(401);
    const res = await SELF.fetch("http://edge.test/admin/stats", {
      headers: { Authorization: `Bearer ${ADMIN_SECRET}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
  });

  it("shows size and users per shard at once, sockets and sign-ins from the scrape", async () => {
    // Sign-ins are counted since each object started (other files of the run may have signed in).
    await shardRequests();
    const before = (await stats()).scrape.signIns;
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    const b = await connect({ signIn: ["D", "6"] });
    await b.waitText("USER.OK | 6 | 2");
    const bad = await connect({ signIn: ["D", "12"] });
    await bad.waitText("USER.BAD | D | 12");
    await connect();
    // A metrics scrape is a fresh one, which the next poll reuses.
    await shardRequests();
    const s = await stats();
    expect(s.size).toBe(2);
    expect(s.shards.reduce((n, r) => n + r.users, 0)).toBe(2);
    expect(s.shards.every((r, i) => i === 0 || (s.shards[i - 1] as { shard: number }).shard < r.shard)).toBe(true);
    expect(s.scrape.bound).toBe(2);
    expect(s.scrape.anonymous).toBe(2);
    expect(s.scrape.signIns.ok - before.ok).toBe(2);
    expect(s.scrape.signIns.bad - before.bad).toBe(1);
    expect(s.scrape.unreachable).toBe(0);
    expect(s.at).toBeGreaterThanOrEqual(s.scrape.at);
  });

  it("polls within STATS_SCRAPE_MS share one scrape: ten polls call no shard", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    const b = await connect({ signIn: ["D", "6"] });
    await b.waitText("USER.OK | 6 | 2");
    await a.waitText("USER.OK | 6 | 2");
    const before = await shardRequests(); // a fresh scrape, kept for the polls
    const polls: AdminStats[] = [];
    for (let i = 0; i < 10; i++) polls.push(await stats());
    const shards = (polls[0] as AdminStats).shards.length;
    // Only the second metrics scrape called the shards, once each.
    expect((await shardRequests()) - before).toBe(shards);
    expect(new Set(polls.map((p) => p.scrape.at)).size).toBe(1);
  });

  it("size is exact at every poll, sockets as of the shared scrape", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    await shardRequests();
    const first = await stats();
    const b = await connect({ signIn: ["D", "6"] });
    await b.waitText("USER.OK | 6 | 2");
    const next = await stats();
    expect([first.size, next.size]).toEqual([1, 2]);
    expect(next.scrape.at).toBe(first.scrape.at);
    expect(next.scrape.bound).toBe(1);
  });

  it("Send to everyone (POST /admin/emit without uid) answers the user objects reached and failed", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    const b = await connect({ signIn: ["D", "6"] });
    await b.waitText("USER.OK | 6 | 2");
    await a.waitText("USER.OK | 6 | 2");
    const res = await adminPost("/admin/emit", { message: "to all" });
    expect(await res.json()).toEqual({ ok: true, reached: 2, failed: 0 });
    const counted = await stats();
    expect(counted.broadcasts).toBeGreaterThanOrEqual(1);
    expect(counted.broadcastFailures).toBe(0);
  });
});
