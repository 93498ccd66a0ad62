// The minimal Durable Object design that `npm run bench:scale` measures
// sockizy-edge against: the same workload written by hand with nothing
// else. One registry object keeps the online uids in memory (no shards, no
// storage, no metrics, no audit); one object per user holds its
// hibernatable sockets; a broadcast is one call from the registry to every
// user object, 64 at a time. Not a product: no cap, no events, no recovery.
//
// At /seed, for `npm run bench:latency`, the seed application's sign-in
// written the same way: its packet and its auth (login D, password 13 or 6),
// a cap of one socket per uid, the reply `USER.OK | uid | size` as soon as
// the registry said `size`, and the reply broadcast to every socket as the
// seed's `session` handler does, after the reply.
import { DurableObject } from "cloudflare:workers";
import { fromBase64Url } from "../../src/protocol/control.js";
import { serverPackets } from "../../src/protocol/index.js";

interface Env {
  USERS: DurableObjectNamespace<BaselineUser>;
  REGISTRY: DurableObjectNamespace<BaselineRegistry>;
}

const tables = serverPackets({ "bench.signIn": ["login:str32"] } as const);
const seedTables = serverPackets({
  "common.signIn": ["login:str24", "password:str24"],
  "common.signOut": null,
} as const);
const registry = (env: Env) => env.REGISTRY.get(env.REGISTRY.idFromName("registry"));
const user = (env: Env, uid: string) => env.USERS.get(env.USERS.idFromName(uid));

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === "POST" && url.pathname === "/broadcast") {
      await registry(env).broadcast(await request.text());
      return new Response("ok");
    }
    if (request.headers.get("Upgrade") !== "websocket") return new Response("baseline", { status: 200 });
    const offered = (request.headers.get("Sec-WebSocket-Protocol") ?? "").split(",").map((p) => p.trim());
    const encoded = offered.find((p) => p.startsWith("sockizy."))?.slice("sockizy.".length);
    const frame = encoded === undefined ? undefined : fromBase64Url(encoded);
    if (frame === undefined) return new Response("sign-in required", { status: 400 });
    if (url.pathname === "/seed") {
      const { login, password } = seedTables.receive.decode(frame).data as { login: string; password: string };
      if (login !== "D" || (password !== "13" && password !== "6")) return new Response("USER.BAD", { status: 403 });
      return user(env, password).fetch(`https://user/?seed=1&uid=${password}`, { headers: { Upgrade: "websocket" } });
    }
    const { login } = tables.receive.decode(frame).data as { login: string };
    return user(env, login).fetch(`https://user/?uid=${encodeURIComponent(login)}`, {
      headers: { Upgrade: "websocket" },
    });
  },
};

export class BaselineUser extends DurableObject<Env> {
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const uid = url.searchParams.get("uid") as string;
    const { 0: client, 1: server } = new WebSocketPair();
    const others = this.ctx.getWebSockets().filter((ws) => ws.readyState === WebSocket.READY_STATE_OPEN).length;
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ uid });
    if (url.searchParams.get("seed") === null) server.send(`ok ${await registry(this.env).add(uid)}`);
    else if (others >= 1) server.send(`USER.MAX.CONN | 1 | ${others}`);
    else {
      const reply = `USER.OK | ${uid} | ${await registry(this.env).add(uid)}`;
      server.send(reply);
      this.ctx.waitUntil(registry(this.env).broadcast(reply));
    }
    return new Response(null, { status: 101, webSocket: client, headers: { "Sec-WebSocket-Protocol": "sockizy" } });
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    // 1005, 1006 and 1015 are never sent on the wire (RFC 6455 section 7.4.1): close(1015) throws.
    if (code !== 1005 && code !== 1006 && code !== 1015) ws.close(code);
    if (this.ctx.getWebSockets().filter((s) => s !== ws).length === 0) {
      await registry(this.env).remove((ws.deserializeAttachment() as { uid: string }).uid);
    }
  }

  async deliver(frame: string): Promise<void> {
    for (const ws of this.ctx.getWebSockets()) ws.send(frame);
  }
}

export class BaselineRegistry extends DurableObject<Env> {
  private readonly online = new Set<string>();

  async add(uid: string): Promise<number> {
    this.online.add(uid);
    return this.online.size;
  }

  async remove(uid: string): Promise<void> {
    this.online.delete(uid);
  }

  /**
   * 64 calls in flight at a time, as sockizy-edge's fan-out: a Promise.all
   * over 2,000 user objects at once made the local runtime restart the
   * Worker mid-broadcast (measured at 2,000 users; 1,200 passed).
   */
  async broadcast(frame: string): Promise<void> {
    const uids = [...this.online];
    let next = 0;
    const worker = async () => {
      while (next < uids.length) await user(this.env, uids[next++] as string).deliver(frame);
    };
    await Promise.all(Array.from({ length: Math.min(64, uids.length) }, worker));
  }
}
