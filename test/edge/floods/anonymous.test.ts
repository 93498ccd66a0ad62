// Anonymous sockets per address (docs/floods.md#anonymous-sockets-per-address), with the
// seed application's default cap: past it an anonymous upgrade gets 429 with
// Retry-After; other addresses, even in the same lobby, are not affected; a
// close or a sign-in by relay frees a place; the count survives a
// hibernation wake and lets go of what a reset dropped. Every test uses its
// own addresses.
import { evictDurableObject, SELF } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { FLOOD_DEFAULTS } from "../../../src/edge/app/define-app.js";
import { ANONYMOUS_RETRY_AFTER } from "../../../src/edge/floods/anonymous.js";
import { shardOf } from "../../../src/edge/registry/shards.js";
import type { Env } from "../../../src/edge/rpc/env.js";
import { lobbyName } from "../../../src/edge/rpc/names.js";
import { seedApp } from "../../../src/seed/app.js";
import { ADMIN_SECRET, signInFrame, signOutFrame, TestClient, upgrade, waitSize } from "../helpers.js";

const CAP = FLOOD_DEFAULTS.anonymousPerIp;
const bindings = env as unknown as Env;
const lobbyOf = (ip: string) => bindings.LOBBIES.get(bindings.LOBBIES.idFromName(lobbyName(shardOf(ip, 4))));

const mine: TestClient[] = [];

afterEach(async () => {
  const clients = mine.splice(0);
  for (const c of clients) if (c.closeCode === undefined) c.close();
  await Promise.all(clients.map((c) => Promise.race([c.closed, new Promise((r) => setTimeout(r, 500))])));
  await waitSize(0);
});

/** An anonymous upgrade from `ip`: the open client, or the refusal. */
async function anonymous(
  ip: string,
  ctl = true,
): Promise<{ status: number; retryAfter: string | null; client?: TestClient }> {
  const res = await upgrade({ ip, ctl });
  if (res.status !== 101 || !res.webSocket) {
    // Read, so no response of the lobby's is left in flight (an object with one cannot be evicted).
    const body = await res.text();
    if (res.status === 429)
      expect(body).toMatch(/^too many anonymous sockets from this address \(\d+\); retry after \d+ s\n$/);
    return { status: res.status, retryAfter: res.headers.get("Retry-After") };
  }
  const client = new TestClient(res.webSocket, res.headers.get("Sec-WebSocket-Protocol"));
  mine.push(client);
  return { status: 101, retryAfter: null, client };
}

/** `n` anonymous sockets from `ip`, all open. */
async function fill(ip: string, n: number, ctl = true): Promise<TestClient[]> {
  const results = await Promise.all(Array.from({ length: n }, () => anonymous(ip, ctl)));
  expect(results.map((r) => r.status)).toEqual(results.map(() => 101));
  return results.map((r) => r.client as TestClient);
}

/** Another address whose sockets go to the same lobby as `ip`'s. */
function neighbour(ip: string, prefix: string): string {
  for (let i = 1; ; i++) if (shardOf(`${prefix}.${i}`, 4) === shardOf(ip, 4)) return `${prefix}.${i}`;
}

/** Anonymous upgrades refused so far, as /admin/metrics shows them. */
async function refusedTotal(): Promise<number> {
  const res = await SELF.fetch("http://edge.test/admin/metrics", {
    headers: { Authorization: `Bearer ${ADMIN_SECRET}` },
  });
  const line = (await res.text()).split("\n").find((l) => l.startsWith("sockizy_anonymous_refused_total "));
  return Number(line?.split(" ")[1]);
}

/** Retries an upgrade from `ip` until it opens (a close is handled a moment after the client sends it). */
async function eventuallyOpens(ip: string): Promise<TestClient> {
  for (let i = 0; i < 100; i++) {
    const r = await anonymous(ip);
    if (r.client) return r.client;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error(`no place freed for ${ip}`);
}

describe("anonymous sockets per address", { timeout: 60_000 }, () => {
  it("200 from one address: those past the cap get 429 with Retry-After, counted; another address in the same lobby is not affected", async () => {
    expect(seedApp.floods.anonymousPerIp).toBe(CAP);
    const refusedBefore = await refusedTotal();
    const results = await Promise.all(Array.from({ length: 200 }, () => anonymous("203.0.113.10")));
    expect(results.filter((r) => r.status === 101)).toHaveLength(CAP);
    const refused = results.filter((r) => r.status === 429);
    expect(refused).toHaveLength(200 - CAP);
    for (const r of refused) expect(r.retryAfter).toBe(String(ANONYMOUS_RETRY_AFTER));
    const other = neighbour("203.0.113.10", "203.0.113");
    expect((await anonymous(other)).status).toBe(101);
    expect(await refusedTotal()).toBe(refusedBefore + 200 - CAP);
  });

  it("gives a place back when a socket closes or signs in by relay, and takes none for a signed-in upgrade", async () => {
    const ip = "203.0.113.20";
    const sockets = await fill(ip, CAP, false);
    expect((await anonymous(ip)).status).toBe(429);
    // A sign-in in the upgrade goes to its user object, not to a lobby: no place needed.
    const signedIn = await upgrade({ ip, signIn: ["D", "6"] });
    expect(signedIn.status).toBe(101);
    signedIn.webSocket?.accept();
    signedIn.webSocket?.close();

    (sockets[0] as TestClient).close();
    await eventuallyOpens(ip);
    expect((await anonymous(ip)).status).toBe(429);

    // An original client (no subprotocol) signs in in-band: bound by relay, it no longer takes a place.
    const member = sockets[1] as TestClient;
    member.send(signInFrame("D", "13"));
    await member.waitText("USER.OK | 13 | 1");
    await eventuallyOpens(ip);
    // Signed out, it is anonymous again and counts again: the address is at the cap, over it by one.
    member.send(signOutFrame());
    await waitSize(0);
    expect((await anonymous(ip)).status).toBe(429);
  });

  it("keeps the count over a hibernation wake, and frees the places of sockets a reset dropped", async () => {
    const ip = "203.0.113.30";
    await fill(ip, CAP);
    await evictDurableObject(lobbyOf(ip));
    expect((await anonymous(ip)).status).toBe(429);
    await evictDurableObject(lobbyOf(ip), { webSockets: "close" });
    const again = await fill(ip, CAP);
    expect(again).toHaveLength(CAP);
    expect((await anonymous(ip)).status).toBe(429);
  });
});
