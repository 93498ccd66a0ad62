// What the runtime does with the TCP connection of a hibernatable socket
// the server closes (docs/limits.md#closes), shown with a minimal Worker
// that has no sockizy-edge in it (test/tcp/runtime-close/) on the local
// server, workerd through Miniflare (`wrangler dev`, with its proxy Worker
// in front, shows the same): the close frame leaves at once, but when the
// client has never sent a frame on the connection, the runtime keeps the
// connection open until the object is hibernated, ~10 s after its last
// request (longer while requests keep coming). One frame from the client
// first, even a "#ping" the runtime answers by itself, and the connection
// ends at once. Closes made in a socket's own frame (1003, 1009, a flood's
// 1008) follow a frame by definition. The sockizy client pings once as soon
// as it opens.
import type { Socket } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type LocalServer, startLocalServer } from "../support/local-server.js";
import { type Client, connect, sleep, waitFor } from "./helpers.js";

let server: LocalServer;
let base: string;

beforeAll(async () => {
  server = await startLocalServer({}, 60_000, "test/tcp/runtime-close/wrangler.toml");
  base = server.url.replace("http", "ws");
}, 90_000);

afterAll(async () => {
  await server?.stop();
});

/** A client of the object `name`, and when (ms after `kick`) its close frame came and its TCP connection ended. */
async function kicked(name: string, before: (c: Client) => Promise<void>) {
  const c = await connect(base, name, { query: `?name=${name}` });
  await before(c);
  const ending: { frame?: number; tcp?: number } = {};
  const t0 = Date.now();
  const internals = c.ws as unknown as { _socket: Socket; _receiver: NodeJS.EventEmitter };
  internals._receiver.once("conclude", () => (ending.frame = Date.now() - t0));
  internals._socket.once("close", () => (ending.tcp = Date.now() - t0));
  expect(await (await fetch(`${server.url}/kick?name=${name}`)).text()).toBe("1");
  return { c, ending };
}

it("keeps the connection of a client that never sent a frame open until the object hibernates; one #ping before, and it ends at once", async () => {
  const [silent, pinged] = await Promise.all([
    kicked("silent", async () => {}),
    kicked("pinged", async (c) => {
      c.send("#ping");
      await c.waitText("#pong");
    }),
  ]);
  await waitFor(
    () => pinged.ending.tcp !== undefined,
    3000,
    () => JSON.stringify(pinged.ending),
  );
  expect((pinged.ending.tcp as number) - (pinged.ending.frame as number)).toBeLessThan(1000);
  await sleep(2000);
  expect(silent.ending.frame).toBeLessThan(1000); // the close frame came at once...
  expect(silent.ending.tcp).toBeUndefined(); // ...but the connection is still open 2 s on
  await waitFor(
    () => silent.ending.tcp !== undefined,
    15_000,
    () => JSON.stringify(silent.ending),
  );
  console.log(
    `runtime close: never sent a frame: close frame ${silent.ending.frame} ms, TCP end ${silent.ending.tcp} ms; after a #ping: close frame ${pinged.ending.frame} ms, TCP end ${pinged.ending.tcp} ms`,
  );
  expect(silent.ending.tcp).toBeGreaterThan(8000);
  expect(silent.c.closeCode).toBe(4003);
}, 60_000);
