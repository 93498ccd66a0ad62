// docs/security.md#tested over real TCP: the local server with ALLOWED_ORIGINS set,
// plain `ws` clients. A foreign Origin gets 403; a burst of 300 wrong
// passwords for one login from one IP gets 429 with Retry-After after 10;
// an admin kick frees the uid's slot at once (docs/limits.md: the kicked
// connection's TCP may linger; its slot does not).
import { afterAll, beforeAll, expect, it } from "vitest";
import WebSocket from "ws";
import { type LocalServer, startLocalServer } from "../support/local-server.js";
import { b64url, Client, signInFrame } from "./helpers.js";

const SECRET = "tcp-security-secret";
let server: LocalServer | undefined;
let base = "";

beforeAll(async () => {
  server = await startLocalServer({ ADMIN_SECRET: SECRET, ALLOWED_ORIGINS: "http://app.example.test, *.game.test" });
  base = server.url.replace(/^http:/, "ws:");
}, 90_000);

afterAll(async () => {
  await server?.stop();
});

/** An upgrade with these headers: the open client, or the refusal's status and Retry-After. */
function upgrade(
  headers: Record<string, string>,
  query = "",
): Promise<{ status: number; retryAfter?: string; client?: Client }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base}/${query}`, { headers });
    const client = new Client("probe", ws);
    const timer = setTimeout(() => reject(new Error("no answer to the upgrade within 10 s")), 10_000);
    ws.once("open", () => {
      clearTimeout(timer);
      resolve({ status: 101, client });
    });
    ws.once("unexpected-response", (_req, res) => {
      clearTimeout(timer);
      resolve({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"] as string | undefined });
      ws.terminate();
    });
  });
}

async function tryUpgrade(
  headers: Record<string, string>,
  query = "",
): Promise<{ status: number; retryAfter?: string }> {
  const r = await upgrade(headers, query);
  await r.client?.close();
  return r;
}

it("answers a foreign Origin with 403 when ALLOWED_ORIGINS is set, and lets listed ones and non-browsers in", async () => {
  expect((await tryUpgrade({ Origin: "https://evil.example" })).status).toBe(403);
  expect((await tryUpgrade({ Origin: "null" })).status).toBe(403);
  expect((await tryUpgrade({ Origin: "http://app.example.test" })).status).toBe(101);
  expect((await tryUpgrade({ Origin: "https://eu.game.test" })).status).toBe(101);
  expect((await tryUpgrade({})).status).toBe(101);
});

it("answers a burst of 300 wrong passwords for one login from one IP with 429 and Retry-After after 10", async () => {
  const q = (i: number) => `?signin=${b64url(signInFrame("victim", `guess${i}`))}`;
  const results = await Promise.all(
    Array.from({ length: 300 }, (_, i) => tryUpgrade({ "CF-Connecting-IP": "192.0.2.50" }, q(i))),
  );
  const accepted = results.filter((r) => r.status === 101).length;
  const limited = results.filter((r) => r.status === 429);
  expect(accepted).toBe(10);
  expect(limited).toHaveLength(290);
  for (const r of limited) expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
}, 60_000);

it("frees a kicked uid's slot at once: the close frame comes at once and the user signs in again", async () => {
  const query = `?signin=${b64url(signInFrame("D", "13"))}`;
  const headers = { "CF-Connecting-IP": "192.0.2.60" };
  const a = (await upgrade(headers, query)).client as Client;
  await a.waitText("USER.OK | 13 | 1", 2);
  const t0 = Date.now();
  const res = await fetch(`${server?.url}/admin/clear`, {
    method: "POST",
    headers: { Authorization: `Bearer ${SECRET}`, "Content-Type": "application/json" },
    body: JSON.stringify({ uid: 13, kick: true }),
  });
  expect(res.status).toBe(200);
  await a.until((c) => c.closeCode !== undefined || c.ws.readyState >= 2, 2000);
  expect(Date.now() - t0).toBeLessThan(2000);
  const b = (await upgrade(headers, query)).client as Client;
  await b.waitText("USER.OK | 13 | 1", 2, 2000);
  await b.close();
  await a.close();
}, 30_000);
