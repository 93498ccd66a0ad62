// The stateless Worker: reads the sign-in packet carried by a WebSocket
// upgrade, authenticates it, and forwards the upgrade to the user's object,
// or to a lobby shard when there is no sign-in or it failed.
// README "Sign-in paths" describes every path.
import { fromBase64Url, RESUME_PREFIX, SIGNIN_PREFIX, SUBPROTOCOL } from "../protocol/control.js";
import { DecodeError } from "../protocol/index.js";
import { handleAdmin } from "./admin.js";
import type { App, Uid } from "./app.js";
import type { Env } from "./env.js";
import { tablesOf } from "./tables.js";
import { verifyTicket } from "./ticket.js";

/** What the Worker serves besides the WebSocket endpoint (the client issue adds the script and demo). */
export type Pages = (request: Request, env: Env) => Promise<Response | undefined> | Response | undefined;

export function createWorker(app: App, pages?: Pages): ExportedHandler<Env> {
  return {
    async fetch(request, env) {
      const url = new URL(request.url);
      if (url.pathname.startsWith("/admin/")) return handleAdmin(request, env);
      if (request.headers.get("Upgrade")?.toLowerCase() === "websocket") {
        if (url.pathname !== "/") return text(404, "WebSocket endpoint is /");
        return upgrade(app, request, env, url);
      }
      return (await pages?.(request, env)) ?? text(404, "not found");
    },
  };
}

async function upgrade(app: App, request: Request, env: Env, url: URL): Promise<Response> {
  // Sec-WebSocket-Protocol is a comma-separated list (RFC 6455 section 11.3.4).
  const offered = (request.headers.get("Sec-WebSocket-Protocol") ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  const ctl = offered.includes(SUBPROTOCOL);
  const encoded =
    offered.find((p) => p.startsWith(SIGNIN_PREFIX))?.slice(SIGNIN_PREFIX.length) ?? url.searchParams.get("signin");
  const ticket = offered.find((p) => p.startsWith(RESUME_PREFIX))?.slice(RESUME_PREFIX.length);
  if ((encoded === null || encoded === "") && ticket !== undefined) return resume(env, ticket, ctl, app);
  if (encoded === null || encoded === "") return toLobby(app, env, { ctl });

  // A malformed sign-in is refused before any object is touched.
  const frame = fromBase64Url(encoded);
  if (frame === undefined) return text(400, "sign-in: not base64url");
  let packet: { name: string; data: unknown };
  try {
    packet = tablesOf(app).receive.decode(frame);
  } catch (e) {
    if (e instanceof DecodeError) return text(400, `sign-in: ${e.message}`);
    throw e;
  }
  if (packet.name !== app.signIn.packet) {
    return text(400, `sign-in: the upgrade carries "${packet.name}", not "${app.signIn.packet}"`);
  }

  let uid: Uid | null;
  try {
    uid = await app.signIn.authenticate(packet.data as never, env);
  } catch (e) {
    console.error("sockizy-edge: authenticate failed:", e);
    return toLobby(app, env, { ctl, outcome: "error" });
  }
  if (uid === null) return toLobby(app, env, { ctl, outcome: "bad", signin: encoded });
  return toUser(env, uid, ctl);
}

/** A resume ticket in place of credentials; one that does not verify is refused like a bad password. */
async function resume(env: Env, ticket: string, ctl: boolean, app: App): Promise<Response> {
  const claim = env.TICKET_SECRET ? await verifyTicket(env.TICKET_SECRET, ticket) : null;
  if (claim === null) return toLobby(app, env, { ctl, outcome: "resume-refused" });
  return toUser(env, claim.uid, ctl, claim.epoch);
}

function toUser(env: Env, uid: Uid, ctl: boolean, epoch?: number): Promise<Response> {
  // Only the Worker builds this URL, so an object trusts the uid in it.
  const target = new URL("https://user/connect");
  target.searchParams.set("uid", JSON.stringify(uid));
  target.searchParams.set("ctl", ctl ? "1" : "0");
  if (epoch !== undefined) target.searchParams.set("epoch", String(epoch));
  const stub = env.USERS.get(env.USERS.idFromName(String(uid)));
  return stub.fetch(target, { headers: { Upgrade: "websocket" } });
}

function toLobby(
  app: App,
  env: Env,
  p: { ctl: boolean; outcome?: "bad" | "error" | "resume-refused"; signin?: string },
): Promise<Response> {
  const shard = Math.floor(Math.random() * app.lobbyShards);
  const target = new URL("https://lobby/connect");
  target.searchParams.set("shard", String(shard));
  target.searchParams.set("ctl", p.ctl ? "1" : "0");
  if (p.outcome) target.searchParams.set("outcome", p.outcome);
  if (p.signin) target.searchParams.set("signin", p.signin);
  const stub = env.LOBBIES.get(env.LOBBIES.idFromName(`lobby-${shard}`));
  return stub.fetch(target, { headers: { Upgrade: "websocket" } });
}

export function text(status: number, body: string): Response {
  return new Response(`${body}\n`, { status, headers: { "Content-Type": "text/plain; charset=utf-8" } });
}
