// Closes that complete (docs/limits.md#closes), over real TCP against
// the local server (test/support/local-server.ts): an idle sockizy client (src/client, on `ws`) that the
// server closes gets the close frame at once and sees its TCP connection
// end within 1 s, whichever way the server closes it: a kick (4003), a
// replace-oldest (4001), an invalid packet (1003), a frame above
// maxPayload (1009), an application's policy close (1008) and a dead
// holder reaped by the next sign-in (1001). The app: test/tcp/closes-app/.
// Why the client's first ping matters: test/tcp/runtime-close.test.ts.
import type { Socket } from "node:net";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import WebSocket from "ws";
import type { WebSocketClass } from "../../src/client/socket.js";
import { Recorder, seedClient } from "../client/helpers.js";
import { type LocalServer, startLocalServer } from "../support/local-server.js";
import { HEARTBEAT_TIMEOUT_MS } from "./closes-app/timeout.js";
import { sleep, waitFor } from "./helpers.js";

const SECRET = "close-timing-admin";
/** The bound under test: from the close frame to the end of the TCP connection. */
const TCP_END_MS = 1_000;

let server: LocalServer;
let base: string;
const clients: ReturnType<typeof seedClient>[] = [];

beforeAll(async () => {
  server = await startLocalServer({ ADMIN_SECRET: SECRET }, 60_000, "test/tcp/closes-app/wrangler.toml");
  base = server.url.replace("http", "ws");
}, 90_000);

afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
});

afterAll(async () => {
  await server?.stop();
});

/** When the close frame came, when the TCP connection ended (ms since `t0`), and the code. */
interface Ending {
  frame?: number;
  tcp?: number;
  code?: number;
}

/**
 * A sockizy client signed in as uid 13 and left idle: its sockets are
 * `ws` objects we can watch the TCP connection of. Resolves once its
 * signed-in connection has been open for `idleMs`.
 */
async function idle(name: string, idleMs = 300) {
  const sockets: WebSocket[] = [];
  class Watched extends WebSocket {
    constructor(url: string, protocols: string[]) {
      super(url, protocols);
      sockets.push(this);
    }
  }
  const client = seedClient(base, { WebSocket: Watched as unknown as WebSocketClass, reconnection: false });
  clients.push(client);
  const rec = new Recorder(client);
  await rec.waitEvent("open");
  client.emit("common.signIn", { login: "D", password: "13" });
  // Signed in through the upgrade of a second socket (the server's reconnect instruction).
  await rec.waitText("USER.OK | 13 | 1");
  await sleep(idleMs);
  const ws = sockets.at(-1) as WebSocket;
  const t0 = Date.now();
  const ending: Ending = {};
  const internals = ws as unknown as { _socket: Socket; _receiver: NodeJS.EventEmitter };
  internals._receiver.once("conclude", (code: number) => {
    ending.frame = Date.now() - t0;
    ending.code = code;
  });
  internals._socket.once("close", () => (ending.tcp = Date.now() - t0));
  /** Waits for the TCP connection to end (at most 15 s: the runtime's linger is ~10 s) and reports. */
  const ended = async (what: string): Promise<Ending> => {
    await waitFor(
      () => ending.tcp !== undefined,
      15_000,
      () => `${name}: ${JSON.stringify(ending)}`,
    );
    console.log(`close timing, ${what}: close frame ${ending.frame} ms, TCP end ${ending.tcp} ms after the trigger`);
    return ending;
  };
  return { name, ws, ended };
}

function expectPrompt(e: Ending, code: number): void {
  expect(e.code).toBe(code);
  expect(e.frame).toBeDefined();
  expect((e.tcp as number) - (e.frame as number)).toBeLessThan(TCP_END_MS);
}

it("a kick (4003): the TCP connection ends within 1 s", async () => {
  const c = await idle("kicked");
  const res = await fetch(`${server.url}/admin/clear`, {
    method: "POST",
    headers: { Authorization: `Bearer ${SECRET}`, "Content-Type": "application/json" },
    body: JSON.stringify({ uid: 13, kick: true }),
  });
  expect(res.status).toBe(200);
  expectPrompt(await c.ended("kick"), 4003);
});

it("a replace-oldest (4001): the TCP connection ends within 1 s", async () => {
  const c = await idle("replaced");
  await idle("newer", 0);
  expectPrompt(await c.ended("replace-oldest"), 4001);
});

it("an invalid packet (1003), a frame above maxPayload (1009) and a policy close (1008): the TCP connection ends within 1 s", async () => {
  const invalid = await idle("invalid");
  invalid.ws.send(Buffer.from([0xee, 0xee, 1]));
  expectPrompt(await invalid.ended("invalid packet"), 1003);
  const big = await idle("big");
  big.ws.send(Buffer.alloc(64 * 1024));
  expectPrompt(await big.ended("frame above maxPayload"), 1009);
  const policy = await idle("policy");
  policy.ws.send("close 1008");
  expectPrompt(await policy.ended("policy close"), 1008);
});

it("a dead holder reaped by the next sign-in (1001): the TCP connection ends within 1 s", async () => {
  // Idle past heartbeatTimeoutMs since its first ping (the next is 25 s away): judged dead.
  const c = await idle("reaped", HEARTBEAT_TIMEOUT_MS + 500);
  await idle("next", 0);
  expectPrompt(await c.ended("dead holder reaped"), 1001);
});
