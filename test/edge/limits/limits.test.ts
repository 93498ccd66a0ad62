// Sign-in rate limits (docs/security.md#sign-in-rate-limits), with the seed application's
// defaults: 10 failed sign-ins per (login, client IP) and 100 per client IP
// in 15 minutes, 5 in-band attempts per socket in 10 s. Every test uses its
// own logins and IPs, so counters left by another test cannot meet it.
import { SELF } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { defineApp, LIMIT_DEFAULTS } from "../../../src/edge/app/define-app.js";
import { issueTicket } from "../../../src/edge/resume/ticket.js";
import { toBase64Url } from "../../../src/protocol/control.js";
import { seedApp } from "../../../src/seed/app.js";
import { closeOpenClients, connect, signInFrame, TestClient } from "../helpers.js";

afterEach(() => {
  vi.restoreAllMocks();
  return closeOpenClients();
});

const PER_KEY = LIMIT_DEFAULTS.perKey.attempts; // 10
const PER_IP = LIMIT_DEFAULTS.perIp.attempts; // 100

/** An upgrade carrying a sign-in, from `ip` (CF-Connecting-IP, as Cloudflare sets it). */
function signInFrom(ip: string | null, login: string, password: string, via: "subprotocol" | "query" = "subprotocol") {
  const encoded = toBase64Url(signInFrame(login, password));
  const headers: Record<string, string> = { Upgrade: "websocket" };
  if (ip !== null) headers["CF-Connecting-IP"] = ip;
  const url = new URL("http://edge.test/");
  if (via === "query") url.searchParams.set("signin", encoded);
  else headers["Sec-WebSocket-Protocol"] = `sockizy, sockizy.${encoded}`;
  return SELF.fetch(url, { headers });
}

/** Accepts (and closes) the socket of a 101, so nothing is left open; resolves to the status and Retry-After. */
async function outcome(res: Response): Promise<{ status: number; retryAfter: string | null; texts: string[] }> {
  if (res.status !== 101 || !res.webSocket)
    return { status: res.status, retryAfter: res.headers.get("Retry-After"), texts: [] };
  const c = new TestClient(res.webSocket, null);
  await c.until((x) => x.texts.length > 0);
  c.close();
  return { status: 101, retryAfter: null, texts: c.texts };
}

/** The status of an upgrade; the socket of a 101 is accepted and closed, so none is left open. */
function statusOf(res: Response): number {
  res.webSocket?.accept();
  res.webSocket?.close();
  return res.status;
}

const spyAuth = () => vi.spyOn(seedApp.signIn, "authenticate");

// Hundreds of upgrades each: more than vitest's default 5 s on a loaded 2-core machine.
describe("failed sign-ins in the upgrade", { timeout: 30_000 }, () => {
  it("answer a burst of 300 wrong passwords for one login from one IP with 429 after 10, and only 10 reach authenticate", async () => {
    const auth = spyAuth();
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => signInFrom("198.51.100.1", "burst", `wrong${i}`).then(outcome)),
    );
    const bad = results.filter((r) => r.status === 101);
    const limited = results.filter((r) => r.status === 429);
    expect(bad).toHaveLength(PER_KEY);
    for (const r of bad) expect(r.texts[0]).toMatch(/^USER\.BAD \| burst \| wrong\d+$/);
    expect(limited).toHaveLength(300 - PER_KEY);
    for (const r of limited) {
      const seconds = Number(r.retryAfter);
      expect(Number.isInteger(seconds) && seconds >= 1 && seconds <= 15 * 60).toBe(true);
    }
    expect(auth).toHaveBeenCalledTimes(PER_KEY);
  });

  it("refuse even the right password for that login from that IP once locked, with the text of the 429", async () => {
    for (let i = 0; i < PER_KEY; i++)
      expect((await outcome(await signInFrom("198.51.100.2", "D", "1"))).status).toBe(101);
    const auth = spyAuth();
    const res = await signInFrom("198.51.100.2", "D", "13");
    expect(res.status).toBe(429);
    expect(await res.text()).toMatch(/^sign-in: too many failed attempts; retry after \d+ s\n$/);
    expect(auth).not.toHaveBeenCalled();
  });

  it("lock only that (login, IP): the same login from another IP, and another login from that IP, still sign in", async () => {
    for (let i = 0; i < PER_KEY; i++) await outcome(await signInFrom("198.51.100.3", "D", "2"));
    expect((await signInFrom("198.51.100.3", "D", "3")).status).toBe(429);
    const other = await outcome(await signInFrom("198.51.100.4", "D", "13"));
    expect(other.texts).toContain("USER.OK | 13 | 1");
    const sameIp = await outcome(await signInFrom("198.51.100.3", "nobody", "x"));
    expect(sameIp.texts).toEqual(["USER.BAD | nobody | x"]);
  });

  it("count ?signin= upgrades like subprotocol ones", async () => {
    for (let i = 0; i < PER_KEY; i++) await outcome(await signInFrom("198.51.100.5", "q", "x", "query"));
    expect((await signInFrom("198.51.100.5", "q", "x", "query")).status).toBe(429);
    expect((await signInFrom("198.51.100.5", "q", "x", "subprotocol")).status).toBe(429);
  });

  it("never count a successful sign-in, and a success clears its (login, IP) count", async () => {
    for (let i = 0; i < 2 * PER_KEY; i++) {
      const r = await outcome(await signInFrom("198.51.100.6", "D", "13"));
      expect(r.texts).toContain("USER.OK | 13 | 1");
      await waitFree();
    }
    for (let i = 0; i < PER_KEY - 1; i++) await outcome(await signInFrom("198.51.100.6", "D", "0"));
    expect((await outcome(await signInFrom("198.51.100.6", "D", "6"))).texts).toContain("USER.OK | 6 | 1");
    await waitFree();
    // Counted afresh: another PER_KEY failures reach authenticate before the 429.
    const auth = spyAuth();
    for (let i = 0; i < PER_KEY; i++) expect(statusOf(await signInFrom("198.51.100.6", "D", "0"))).toBe(101);
    expect((await signInFrom("198.51.100.6", "D", "0")).status).toBe(429);
    expect(auth).toHaveBeenCalledTimes(PER_KEY);
  });

  it("count every login's failures per IP: after 100, a new login from that IP is refused too", async () => {
    for (let i = 0; i < PER_IP; i++) expect(statusOf(await signInFrom("198.51.100.7", `user${i}`, "x"))).toBe(101);
    const auth = spyAuth();
    expect((await signInFrom("198.51.100.7", "fresh", "x")).status).toBe(429);
    expect(auth).not.toHaveBeenCalled();
    expect((await outcome(await signInFrom("198.51.100.8", "fresh", "x"))).status).toBe(101);
  });

  it("count forged resume tickets per IP", async () => {
    const { ticket } = await issueTicket("not the server's secret", 13, 0, 60_000);
    const resume = () =>
      SELF.fetch("http://edge.test/", {
        headers: {
          Upgrade: "websocket",
          "CF-Connecting-IP": "198.51.100.9",
          "Sec-WebSocket-Protocol": `sockizy, sockizy-resume.${ticket}`,
        },
      });
    for (let i = 0; i < PER_IP; i++) expect(statusOf(await resume())).toBe(101);
    const res = await resume();
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
  });
});

describe("sign-ins sent on a socket (in-band)", { timeout: 30_000 }, () => {
  it("are paced per socket: the sixth attempt within 10 s gets the limited outcome without authenticate", async () => {
    const a = await connect();
    const auth = spyAuth();
    for (let i = 1; i <= LIMIT_DEFAULTS.perSocket.attempts; i++) {
      a.send(signInFrame(`pace${i}`, "x"));
      await a.waitText(`USER.BAD | pace${i} | x`);
    }
    a.send(signInFrame("pace6", "x"));
    await a.until((c) => c.texts.some((t) => t.startsWith("USER.LIMITED")));
    expect(a.texts.at(-1)).toMatch(/^USER\.LIMITED \| (10|[1-9])$/);
    expect(auth).toHaveBeenCalledTimes(LIMIT_DEFAULTS.perSocket.attempts);
  });

  it("share the upgrade's counters: a login locked by failed upgrades is refused on a socket too", async () => {
    // No CF-Connecting-IP (as off Cloudflare): both paths count under the IP "unknown".
    for (let i = 0; i < PER_KEY; i++) await outcome(await signInFrom(null, "shared", "x"));
    const a = await connect();
    const auth = spyAuth();
    a.send(signInFrame("shared", "x"));
    await a.until((c) => c.texts.some((t) => t.startsWith("USER.LIMITED")));
    expect(auth).not.toHaveBeenCalled();
  });
});

describe("the limits option", () => {
  const base = {
    packets: { unpack: { "common.signIn": ["login:str24"] } },
    signIn: { packet: "common.signIn", authenticate: () => null, reply() {} },
  } as const;

  it("fills in the defaults, takes overrides, and turns off", () => {
    expect(defineApp(base).limits).toMatchObject({ ...LIMIT_DEFAULTS });
    const app = defineApp({ ...base, limits: { perKey: { attempts: 3, windowMs: 60_000 }, perIp: false } });
    expect(app.limits).toMatchObject({ perKey: { attempts: 3, windowMs: 60_000 }, perIp: null });
    expect(defineApp({ ...base, limits: false }).limits).toMatchObject({ perKey: null, perIp: null, perSocket: null });
  });

  it("refuses a limit that is not whole or a window under a second", () => {
    expect(() => defineApp({ ...base, limits: { perKey: { attempts: 0, windowMs: 60_000 } } })).toThrow(RangeError);
    expect(() => defineApp({ ...base, limits: { perIp: { attempts: 2.5, windowMs: 60_000 } } })).toThrow(RangeError);
    expect(() => defineApp({ ...base, limits: { perSocket: { attempts: 5, windowMs: 10 } } })).toThrow(RangeError);
  });

  it("reads the key through the app's hook", () => {
    const app = defineApp({ ...base, limits: { key: ({ login }) => login.toLowerCase() } });
    expect(app.limits.key({ login: "Alice" })).toBe("alice");
    expect(defineApp(base).limits.key({ login: "Alice" })).toBeNull();
  });
});

/** Waits until no user holds a session (a signed-in socket was closed). */
async function waitFree(): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const res = await SELF.fetch("http://edge.test/admin/size", {
      headers: { Authorization: "Bearer test-admin-secret" },
    });
    if (((await res.json()) as { size: number }).size === 0) return;
    if (Date.now() > deadline) throw new Error("a session stayed");
    await new Promise((r) => setTimeout(r, 20));
  }
}
