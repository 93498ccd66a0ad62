// Clients of the probe application (./app.ts): sockets that sign in with
// `auth.signIn` (any user name is its own uid) and ask probe packets.
import { SELF } from "cloudflare:test";
import { toBase64Url } from "../../../src/protocol/control.js";
import { serverPackets } from "../../../src/protocol/index.js";
import { TestClient } from "../helpers.js";
import { probeApp } from "./app.js";

const tables = serverPackets(probeApp.packets.unpack);
export const frame = (name: string, data: unknown) => tables.receive.encode(name as never, data as never);

/** Every client `connect` opened, for `closeProbeClients`. */
export const open: TestClient[] = [];

export async function connect(user?: string, accept?: WebSocketAcceptOptions): Promise<TestClient> {
  const protocols = ["sockizy"];
  if (user !== undefined) protocols.push(`sockizy.${toBase64Url(frame("auth.signIn", { user }))}`);
  const res = await SELF.fetch("http://probe.test/", {
    headers: { Upgrade: "websocket", "Sec-WebSocket-Protocol": protocols.join(", ") },
  });
  if (!res.webSocket) throw new Error(`upgrade failed: ${res.status}`);
  const c = new TestClient(res.webSocket, res.headers.get("Sec-WebSocket-Protocol"), accept);
  open.push(c);
  return c;
}

/** Sends a probe packet and waits for the answer starting with `prefix`. */
export async function ask(c: TestClient, name: string, data: unknown, prefix: string): Promise<string> {
  const before = c.texts.length;
  c.send(frame(name, data));
  await c.until((x) => x.texts.slice(before).some((t) => t.startsWith(prefix)));
  return c.texts.slice(before).find((t) => t.startsWith(prefix)) as string;
}

export const signedIn = async (user: string, accept?: WebSocketAcceptOptions) => {
  const c = await connect(user, accept);
  await c.until((x) => x.texts.some((t) => t.startsWith("reply ")));
  return c;
};

/** For afterEach: closes what the test opened and waits until no user holds a session. */
export async function closeProbeClients(): Promise<void> {
  const clients = open.splice(0);
  for (const c of clients) if (c.closeCode === undefined) c.close();
  await Promise.all(clients.map((c) => Promise.race([c.closed, new Promise((r) => setTimeout(r, 500))])));
  // Let the registry settle: every user gone.
  const probe = await connect();
  for (let i = 0; i < 100; i++) {
    if ((await ask(probe, "probe.size", null, "size ")) === "size 0") break;
    await new Promise((r) => setTimeout(r, 20));
  }
  probe.close();
  open.length = 0;
}
