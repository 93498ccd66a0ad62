// Accepting a socket through the Hibernation API
// (https://developers.cloudflare.com/durable-objects/best-practices/websockets/):
// its attachment holds what must survive a wake (ids and flags, never a
// credential or a URL), and the 101 answers the subprotocol it offered.
import { SUBPROTOCOL, toBase64Url } from "../../protocol/control.js";
import { addressTag } from "../floods/anonymous.js";
import type { Attachment } from "../sockets/socket.js";

/**
 * Accepts a socket from the Worker's connect URL (`ctl`, `ip`, `hb`:
 * worker/worker.ts `connectUrl`). `order.lastAt` keeps accept order strict:
 * Date.now() only moves between I/O in Workers.
 */
export function acceptSocket(
  ctx: DurableObjectState,
  params: URLSearchParams,
  order: { lastAt: number },
): { ws: WebSocket; response: Response } {
  const ctl = params.get("ctl") === "1";
  const ip = params.get("ip");
  const hb = params.get("hb");
  const { 0: client, 1: server } = new WebSocketPair();
  const id = randomId();
  // Tagged with its id, so a relay finds it with getWebSockets(id), and its address, so a lobby
  // counts an address's sockets (docs/floods.md#anonymous-sockets-per-address).
  ctx.acceptWebSocket(server, ip ? [id, addressTag(ip)] : [id]);
  order.lastAt = Math.max(Date.now(), order.lastAt + 1);
  const attachment: Attachment = {
    id,
    uid: null,
    ctl,
    at: order.lastAt,
    ...(ip ? { ip } : {}),
    ...(hb !== null ? { hb: Number(hb) } : {}),
  };
  server.serializeAttachment(attachment);
  // Browsers drop a connection whose offered subprotocol is not answered.
  const headers = ctl ? { "Sec-WebSocket-Protocol": SUBPROTOCOL } : undefined;
  return { ws: server, response: new Response(null, { status: 101, webSocket: client, headers }) };
}

function randomId(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(6)));
}
