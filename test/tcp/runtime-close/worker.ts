// A minimal Worker with no sockizy-edge in it: one Durable Object that
// accepts hibernatable WebSockets, answers "#ping" with "#pong" without
// waking (as sockizy-edge does), and closes every socket it holds with 4003
// when called over RPC (`/kick?name=`, as an admin kick does). It has no
// close handler: nothing of its own stands between a close and the TCP end.
// test/tcp/runtime-close.test.ts shows with it what the runtime does with
// the TCP connection of a socket the server closed (docs/limits.md#closes).
import { DurableObject } from "cloudflare:workers";

interface Env {
  HOLDER: DurableObjectNamespace<Holder>;
}

export class Holder extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("#ping", "#pong"));
  }

  override async fetch(): Promise<Response> {
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    return new Response(null, { status: 101, webSocket: client });
  }

  async kick(): Promise<number> {
    const sockets = this.ctx.getWebSockets();
    for (const ws of sockets) ws.close(4003, "kicked");
    return sockets.length;
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (message === "close me") ws.close(4003, "asked");
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const stub = env.HOLDER.get(env.HOLDER.idFromName(url.searchParams.get("name") ?? "one"));
    if (url.pathname === "/kick") return new Response(String(await stub.kick()));
    if (request.headers.get("Upgrade") === "websocket") return stub.fetch(request);
    return new Response("runtime-close");
  },
} satisfies ExportedHandler<Env>;
