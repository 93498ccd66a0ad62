// Issue 18's Done-when, as an application built on the packed package would see it
// (docs/scale.md#fan-out-bounded-per-invocation): a Worker importing `sockizy-edge` as
// README.md#use-it-in-your-app does, with `fanOutBatch: 50`, under `wrangler dev`; 600 users (the
// full tier; the quick tier 20 and 240)
// signed in over real WebSockets with the package's own Node client (`sockizy-edge/client`
// from the app's node_modules, with `ws`); a broadcast through the admin API reaches every
// socket exactly once, and `sockizy_fanout_batch_max` in /admin/metrics reads at most 50.
//
// `registryShards: 4` puts about 150 users on each shard, three times the batch, so the split
// happens where it matters at scale: a shard calling its users hands them to slice objects
// (with the default 64 shards, 600 users are about 9 a shard and only the global object's call
// of the shards would split). Both kinds of broadcast are made: a text frame (`POST
// /admin/text`, to every online user object) and a session emit (`POST /admin/emit`, to every
// uid holding a session, through the app's `session` handler).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import WebSocket from "ws";
import { BIN, installTarball } from "./apps.js";
import { type DevServer, startDevServer } from "./dev-server.js";

const { work, tarball } = inject("packed");
const APP = join(work, "fan-out-batch-app");
const ADMIN = "fan-out-admin";
// The full tier (npm run test:full) runs the figures, 600 users and a batch of 50; the
// quick tier the same shape at 240 and 20 (60 users a shard, three times the batch, as there).
const FULL = process.env.SOCKIZY_TEST_TIER === "full";
const FAN_OUT_BATCH = FULL ? 50 : 20;
const USERS = FULL ? 600 : 240;
/** Sign-ins in flight at once (the limiter lets 100 attempts per address be in flight: docs/security.md#sign-in-rate-limits). */
const CONCURRENCY = 50;

const WRANGLER_TOML = `name = "fan-out-batch-app"
main = "src/index.ts"
compatibility_date = "2026-04-26"
durable_objects.bindings = [
  { name = "USERS", class_name = "UserObject" },
  { name = "LOBBIES", class_name = "LobbyObject" },
  { name = "REGISTRY", class_name = "RegistryObject" },
  { name = "LIMITER", class_name = "LimiterObject" },
]
migrations = [{ tag = "v1", new_sqlite_classes = ["UserObject", "LobbyObject", "RegistryObject", "LimiterObject"] }]
`;

const SEND = { "common.signIn": ["user:str24"] };
const RECEIVE = {
  "load.welcome": ["uid:str24", "online:uint32"],
  "load.refused": ["reason:str64"],
  "load.session": ["text:str64"],
};

const WORKER = `import { createEdge, defineApp } from "sockizy-edge";

export const app = defineApp({
  packets: { unpack: ${JSON.stringify(SEND)}, pack: ${JSON.stringify(RECEIVE)} },
  signIn: {
    // Any non-empty uid: the test is about the broadcast, not the credentials.
    authenticate: ({ user }) => (user === "" ? null : user),
    reply(socket, outcome) {
      if (outcome.kind === "ok") return socket.emit("load.welcome", { uid: String(outcome.uid), online: outcome.size });
      return socket.emit("load.refused", { reason: outcome.kind });
    },
  },
  on: {
    session(message, socket) {
      return socket.emit("load.session", { text: String(message) });
    },
  },
  fanOutBatch: ${FAN_OUT_BATCH},
  registryShards: 4,
});

const edge = createEdge(app);
export default edge.worker;
export const { UserObject, LobbyObject, RegistryObject, LimiterObject } = edge;
`;

/** The part of the package's client this test uses. */
interface Client {
  on(event: string, listener: (...args: never[]) => void): Client;
  emit(name: string, data: unknown): string;
  packets(send: object, receive: object): Client;
  disconnect(): Client;
}
type Io = (url: string, options: { WebSocket: unknown; reconnection: boolean }) => Client;

/** One signed-in user's socket and what it received. */
interface Member {
  uid: string;
  client: Client;
  texts: string[];
  sessions: string[];
  /** Set when the socket closed before the test closed it. */
  closed?: string;
}

let server: DevServer | undefined;
let state: string | undefined;
let io: Io;
const members: Member[] = [];

beforeAll(async () => {
  mkdirSync(join(APP, "src"), { recursive: true });
  writeFileSync(
    join(APP, "package.json"),
    JSON.stringify({ name: "fan-out-batch-app", private: true, type: "module" }),
  );
  writeFileSync(join(APP, "wrangler.toml"), WRANGLER_TOML);
  writeFileSync(join(APP, "src/index.ts"), WORKER);
  writeFileSync(join(APP, ".dev.vars"), `ADMIN_SECRET=${ADMIN}\n`);
  await installTarball(APP, tarball);
  // The client as the app's own node_modules resolves it: the tarball's, not this repository's.
  const client = createRequire(join(APP, "package.json")).resolve("sockizy-edge/client");
  ({ io } = (await import(pathToFileURL(client).href)) as { io: Io });
  state = mkdtempSync(join("/dev/shm", "sockizy-fan-out-batch-"));
  server = await startDevServer(join(BIN, "wrangler"), APP, state, 100_000);
}, 150_000);

afterAll(async () => {
  for (const m of members) m.client.disconnect();
  await server?.stop();
  if (state) rmSync(state, { recursive: true, force: true });
});

/** Signs `uid` in through the upgrade; resolves on the app's welcome. */
function signIn(uid: string, ms: number): Promise<Member> {
  return new Promise((resolve, reject) => {
    const client = io((server as DevServer).url.replace("http", "ws"), { WebSocket, reconnection: false });
    const member: Member = { uid, client: client.packets(SEND, RECEIVE), texts: [], sessions: [] };
    members.push(member);
    const timer = setTimeout(() => reject(new Error(`${uid}: no welcome within ${ms} ms`)), ms);
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new Error(`${uid}: ${why}`));
    };
    client.on("load.welcome", (data: { uid: string }) => {
      clearTimeout(timer);
      if (data.uid === uid) resolve(member);
      else reject(new Error(`${uid}: welcomed as ${data.uid}`));
    });
    client.on("load.refused", (data: { reason: string }) => fail(`refused (${data.reason})`));
    client.on("close", (code: number, reason: string) => {
      member.closed = `${code} ${reason}`;
      fail(`closed ${member.closed}`);
    });
    client.on("text", (text: string) => member.texts.push(text));
    client.on("load.session", (data: { text: string }) => member.sessions.push(data.text));
    client.emit("common.signIn", { user: uid });
  });
}

async function admin(method: "GET" | "POST", path: string, body?: object): Promise<Response> {
  const res = await fetch(`${(server as DevServer).url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${ADMIN}`, "Content-Type": "application/json" },
    body: body && JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  expect(res.status, `${method} ${path}`).toBe(200);
  return res;
}

/** Polls `holds` every 50 ms until it is true; fails with `what` after `ms`. */
async function until(what: string, ms: number, holds: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await holds())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms\n${server?.log().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The value of one sample of the Prometheus text (`name` with its labels, as printed). */
function sample(metrics: string, name: string): number {
  const line = metrics.split("\n").find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`no ${name} in /admin/metrics:\n${metrics}`);
  return Number(line.slice(name.length + 1));
}

describe(`an app on the package with fanOutBatch: ${FAN_OUT_BATCH} and ${USERS} signed-in users`, () => {
  it(`a broadcast reaches every socket exactly once, and no invocation made more than ${FAN_OUT_BATCH} calls`, async () => {
    const started = Date.now();
    const uids = Array.from({ length: USERS }, (_, i) => `user-${i}`);
    let next = 0;
    const lane = async () => {
      // A failed sign-in empties the queue, so no lane opens sockets after the test failed.
      for (let uid = uids[next++]; uid !== undefined; uid = uids[next++]) {
        await signIn(uid, 30_000).catch((e) => {
          next = USERS;
          throw e;
        });
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
    const signedIn = Date.now();
    await until(`/admin/size to read ${USERS}`, 30_000, async () => {
      const { size } = (await (await admin("GET", "/admin/size")).json()) as { size: number };
      return size === USERS;
    });

    const text = `frame-${Date.now()}`;
    await admin("POST", "/admin/text", { text });
    const message = `session-${Date.now()}`;
    const emitted = await (await admin("POST", "/admin/emit", { message })).json();
    // Every user object of the session emit answered (one socket each: the default cap).
    expect(emitted).toEqual({ ok: true, reached: USERS, failed: 0 });
    const missing = () => members.filter((m) => !m.texts.includes(text) || !m.sessions.includes(message));
    await until("every socket to get both broadcasts", 30_000, () => missing().length === 0).catch((e: Error) => {
      throw new Error(`${e.message}\nstill missing at ${missing().length}, e.g. ${missing()[0]?.uid}`);
    });
    const delivered = Date.now();
    // A duplicate would come later than the first copy: wait a while for one.
    await new Promise((r) => setTimeout(r, 1500));

    expect(members).toHaveLength(USERS);
    expect(members.filter((m) => m.closed !== undefined).map((m) => `${m.uid}: ${m.closed}`)).toEqual([]);
    const notOnce = members.filter((m) => m.texts.length !== 1 || m.sessions.length !== 1);
    expect(notOnce.map(({ uid, texts, sessions }) => ({ uid, texts, sessions }))).toEqual([]);

    const metrics = await (await admin("GET", "/admin/metrics")).text();
    const figures = metrics.split("\n").filter((l) => /^sockizy_(fanout|broadcast|users )/.test(l));
    console.log(
      `${USERS} sign-ins ${signedIn - started} ms, both broadcasts delivered ${delivered - signedIn} ms after\n${figures.join("\n")}`,
    );
    expect(sample(metrics, "sockizy_users")).toBe(USERS);
    expect(sample(metrics, "sockizy_broadcasts_total")).toBe(2);
    expect(sample(metrics, "sockizy_broadcast_failures_total")).toBe(0);
    const batchMax = sample(metrics, "sockizy_fanout_batch_max");
    expect(batchMax).toBeGreaterThan(0);
    expect(batchMax).toBeLessThanOrEqual(FAN_OUT_BATCH);
    // The bound did work: global -> shards -> slice objects -> user objects is 3 tiers, and each
    // broadcast's user objects took at least USERS / FAN_OUT_BATCH slices (600 / 50 = 12).
    expect(sample(metrics, "sockizy_fanout_tiers_max")).toBeGreaterThanOrEqual(3);
    const slices = sample(metrics, 'sockizy_fanout_invocations_total{object="slice"}');
    expect(slices).toBeGreaterThanOrEqual(2 * Math.ceil(USERS / FAN_OUT_BATCH));
  }, 300_000);
});
