// The client against the real local server (the seed's Worker in workerd, as `npm start` runs it):
// the seed's replies through sign-in in the upgrade, the server's reconnect
// instruction, the served script, resume with a ticket after every
// socket was cut and after a restart, with no password in client memory;
// the demo page's USERS.ONLINE question, and examples/seed-session.mjs
// printing what the README shows.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type LocalServer, startLocalServer } from "../support/local-server.js";
import { frame2pack, Recorder, seedClient, waitFor } from "./helpers.js";
import { findReachable } from "./memory.js";
import { startProxy } from "./proxy.js";

const run = promisify(execFile);
const ADMIN = "client-test-admin";
const VARS = { ADMIN_SECRET: ADMIN, TICKET_SECRET: "client-test-ticket-secret" };

let server: LocalServer;
let ws: string;
const clients: ReturnType<typeof seedClient>[] = [];

beforeAll(async () => {
  server = await startLocalServer(VARS);
  ws = server.url.replace("http:", "ws:");
}, 90_000);
afterAll(() => server?.stop(), 20_000);

afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await waitSize(0);
});

async function admin(path: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${server.url}${path}`, {
    headers: { Authorization: `Bearer ${ADMIN}` },
    signal: AbortSignal.timeout(3000),
  });
  return (await res.json()) as Record<string, unknown>;
}
/** Polls the admin API until `read` gives `n`. */
async function until(read: () => Promise<number>, n: number, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const now = await read();
    if (now === n) return;
    if (Date.now() > deadline) throw new Error(`stayed ${now}, expected ${n}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}
const size = async () => (await admin("/admin/size")).size as number;
const count = async (uid: number) => (await admin(`/admin/count?uid=${uid}`)).count as number;
const waitSize = (n: number) => until(size, n);

function client(url = ws, options = {}) {
  const c = seedClient(url, { pingInterval: 5, pingTimeout: 5, ...options });
  clients.push(c);
  return { c, rec: new Recorder(c) };
}

const D13 = { login: "D", password: "13" };
const D6 = { login: "D", password: "6" };

describe("against the local server", { timeout: 30_000 }, () => {
  it("runs examples/seed-session.mjs with exactly the output the README shows", async () => {
    const root = new URL("../..", import.meta.url).pathname;
    const { stdout } = await run(process.execPath, [join(root, "examples/seed-session.mjs"), ws], { cwd: root });
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("### A session with the seed application"));
    const shown = /```\n([\s\S]*?)```/.exec(section)?.[1];
    expect(shown).toBeDefined();
    expect(stdout).toBe(shown);
  });

  it("answers USERS.ONLINE with the users online, to the asking socket only (the demo page's question)", async () => {
    const asker = client();
    const other = client();
    const u13 = client();
    await asker.rec.waitEvent("open");
    await other.rec.waitEvent("open");
    u13.c.emit("common.signIn", D13);
    await u13.rec.waitText("USER.OK | 13 | 1");
    asker.c.text("USERS.ONLINE");
    await asker.rec.waitText("USERS.ONLINE | 1");
    u13.c.emit("common.signOut");
    await waitSize(0);
    asker.c.text("USERS.ONLINE");
    await asker.rec.waitText("USERS.ONLINE | 0");
    // A broadcast after both answers: it reaches `other` after anything sent to it before.
    const u6 = client();
    u6.c.emit("common.signIn", D6);
    await other.rec.waitText("USER.OK | 6 | 1");
    expect(other.rec.texts).toEqual(["USER.OK | 13 | 1", "USER.OK | 6 | 1"]);
    expect(asker.rec.texts.filter((t) => t.startsWith("USERS."))).toEqual(["USERS.ONLINE | 1", "USERS.ONLINE | 0"]);
  });

  it("sees the seed's replies: OK, the cap, sign-out, sign-in again, a second user, a bad password", async () => {
    const a = client();
    await a.rec.waitEvent("open"); // anonymous first, as a page that connects before it signs in
    a.c.emit("common.signIn", D13);
    await a.rec.waitText("USER.OK | 13 | 1");

    const b = client();
    b.c.emit("common.signIn", D13);
    await b.rec.waitText("USER.MAX.CONN | 1 | 1");

    expect(a.c.emit("common.signOut")).toBe("sent");
    await until(() => count(13), 0);
    // b's socket waits in user 13's object: the sign-in goes there as a frame and binds in place.
    expect(b.c.emit("common.signIn", D13)).toBe("sent");
    await b.rec.waitText("USER.OK | 13 | 1");

    const c = client();
    c.c.emit("common.signIn", D6);
    await c.rec.waitText("USER.OK | 6 | 2");

    const d = client();
    d.c.emit("common.signIn", { login: "D", password: "x" });
    await d.rec.waitText("USER.BAD | D | x");

    for (const x of [a, b, c, d]) {
      expect(x.rec.count("open")).toBe(1);
      expect(x.rec.count("close")).toBe(0);
    }
  });

  it("follows the server's reconnect instruction by itself (a socket in user 13's object signs in as 6)", async () => {
    const a = client();
    a.c.emit("common.signIn", D13);
    await a.rec.waitText("USER.OK | 13 | 1");
    a.c.emit("common.signOut");
    await waitSize(0);
    expect(a.c.emit("common.signIn", D6)).toBe("sent");
    await a.rec.waitText("USER.OK | 6 | 1");
    expect(a.rec.names().filter((n) => n !== "text")).toEqual(["open"]);
  });

  it("serves /sockizy.js with the seed's tables, compressed, with an ETag that revalidates to 304", async () => {
    const res = await fetch(`${server.url}/sockizy.js`, { headers: { "Accept-Encoding": "gzip" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/javascript; charset=utf-8");
    expect(res.headers.get("Content-Encoding")).toBe("gzip");
    expect(res.headers.get("Cache-Control")).toBe("no-cache");
    const body = await res.text();
    expect(body).toContain('\\"common.signIn\\":[\\"login:str24\\",\\"password:str24\\"]');
    const etag = res.headers.get("ETag") as string;
    for (const tag of [etag, `W/${etag.replace(/^W\//, "")}`]) {
      const again = await fetch(`${server.url}/sockizy.js`, { headers: { "If-None-Match": tag } });
      expect(again.status).toBe(304);
    }
    const mjs = await fetch(`${server.url}/sockizy.mjs`);
    expect(mjs.headers.get("Content-Type")).toBe("text/javascript; charset=utf-8");
    expect(await mjs.text()).toContain("common.signIn");
    const page = await fetch(`${server.url}/`);
    expect(page.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
  });

  it("sends what was queued while away into the resumed session; the server's {unbound} then voids the ticket", async () => {
    const proxy = await startProxy(server.port);
    try {
      // The client is not told which packet signs out: only the server's {"t":"unbound"} can tell it.
      const a = client(proxy.url, { reconnectionDelay: 0.1, reconnectionDelayMax: 0.3, signOut: "app.logout" });
      a.c.emit("common.signIn", D13);
      // The reply and the broadcast copy (which goes around the registry): both, before the drop.
      await waitFor(() => a.rec.texts.filter((t) => t === "USER.OK | 13 | 1").length === 2);
      proxy.retarget(null); // away: nothing answers
      proxy.dropAll();
      await a.rec.waitEvent("close");
      // The seed's sign-out frame, queued for the session the ticket resumes.
      expect(a.c.send(new Uint8Array([1, 0]))).toBe("queued");
      proxy.retarget(server.port);
      await a.rec.waitEvent("restored");
      await waitFor(
        () => a.rec.texts.filter((t) => t === "USER.OK | 13 | 1").length === 4, // broadcast copy and reply, twice
        5000,
        () => JSON.stringify(a.rec.log),
      );
      // Sent once the server confirmed the session (its new ticket), it signed that session out.
      await until(() => count(13), 0);
      expect(a.c.queued).toBe(0);
      // The sign-out voided the tickets; the client dropped its own on {unbound}, so it does not even try one.
      proxy.dropAll();
      await a.rec.waitEvent("restored", 2);
      await new Promise((r) => setTimeout(r, 200));
      expect(a.rec.count("unrestored")).toBe(0);
      expect(a.rec.texts.filter((t) => t.startsWith("USER.OK | 13")).length).toBe(4);
      expect(await count(13)).toBe(0);
    } finally {
      await proxy.close();
    }
  });

  it("resumes the session with its ticket after every socket is cut, then after a server restart, holding no password", async () => {
    const proxy = await startProxy(server.port);
    try {
      const a = client(proxy.url, { reconnectionDelay: 0.1, reconnectionDelayMax: 0.5 });
      const needles = {
        text: Buffer.from(frame2pack(0, ["login:str24", "password:str24"], D13)).toString("base64url"),
        bytes: frame2pack(0, ["login:str24", "password:str24"], D13),
      };
      a.c.emit("common.signIn", D13);
      await a.rec.waitText("USER.OK | 13 | 1");
      expect(findReachable(a.c, needles)).toEqual([]);

      // Every socket cut at once, both ways (the server sees its sockets go).
      proxy.dropAll();
      await a.rec.waitEvent("restored");
      await waitFor(
        () => a.rec.texts.filter((t) => t === "USER.OK | 13 | 1").length >= 3,
        5000,
        () => JSON.stringify(a.rec.log),
      );
      expect(await count(13)).toBe(1);

      // A restart, as a deploy: the server goes away; a new one comes up behind the same address.
      proxy.retarget(null);
      const restarted = server.restart();
      proxy.dropAll();
      server = await restarted;
      proxy.retarget(server.port);
      await a.rec.waitEvent("restored", 2, 30_000);
      await waitFor(
        () => a.rec.texts.filter((t) => t === "USER.OK | 13 | 1").length >= 5,
        5000,
        () => JSON.stringify(a.rec.log),
      );
      expect(await count(13)).toBe(1);
      expect(a.rec.count("unrestored")).toBe(0);
      expect(findReachable(a.c, needles)).toEqual([]);
    } finally {
      await proxy.close();
    }
  }, 90_000);
});
