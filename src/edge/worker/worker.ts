// The stateless Worker: reads the sign-in packet carried by a WebSocket
// upgrade, authenticates it, and forwards the upgrade to the user's object,
// or to a lobby shard when there is no sign-in or it failed.
// docs/sign-in.md#sign-in-paths describes every path.
import { fromBase64Url, RESUME_PREFIX, SIGNIN_PREFIX, SUBPROTOCOL } from "../../protocol/control.js";
import { DecodeError } from "../../protocol/index.js";
import { handleAdmin } from "../admin/admin-api.js";
import type { App, Uid } from "../app/define-app.js";
import { tablesOf } from "../app/tables.js";
import { lobbiesFor } from "../floods/anonymous.js";
import { admit, clientIp, signInKey } from "../limits/attempts.js";
import type { Pages } from "../pages/pages.js";
import { verifyTicket } from "../resume/ticket.js";
import type { Env } from "../rpc/env.js";
import { lobbyFetcher, userFetcher } from "../rpc/names.js";
import { originAllowed } from "./origins.js";

export function createWorker(app: App, pages?: Pages): ExportedHandler<Env> {
  return {
    async fetch(request, env, ctx) {
      const url = new URL(request.url);
      if (url.pathname === "/admin" || url.pathname.startsWith("/admin/")) return handleAdmin(request, env);
      if (request.headers.get("Upgrade")?.toLowerCase() === "websocket") {
        if (url.pathname !== "/") return text(404, "WebSocket endpoint is /");
        // Before anything else, so a foreign page costs no object a thing (docs/security.md#origin-allowlist).
        const origin = request.headers.get("Origin");
        if (!originAllowed(app.origins, env.ALLOWED_ORIGINS, origin)) {
          return text(
            403,
            origin === null ? "origin: an Origin header is required" : `origin: ${origin} is not allowed`,
          );
        }
        return upgrade(app, request, env, url, ctx);
      }
      return (await pages?.(request, env)) ?? text(404, "not found");
    },
  };
}

async function upgrade(app: App, request: Request, env: Env, url: URL, ctx: ExecutionContext): Promise<Response> {
  // Sec-WebSocket-Protocol is a comma-separated list (RFC 6455 section 11.3.4).
  const offered = (request.headers.get("Sec-WebSocket-Protocol") ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  const ctl = offered.includes(SUBPROTOCOL);
  // `?hb=<seconds>`: a sockizy client whose ping interval is not the default 25 s says so, so
  // its silence is judged by its own cadence, or not at all for 0 (docs/architecture.md#dead-holders).
  const hbParam = url.searchParams.get("hb");
  if (hbParam !== null && !/^\d{1,4}$/.test(hbParam)) {
    return text(400, "hb: the client's ping interval in whole seconds (0 to 9999)");
  }
  const encoded =
    offered.find((p) => p.startsWith(SIGNIN_PREFIX))?.slice(SIGNIN_PREFIX.length) ?? url.searchParams.get("signin");
  const ticket = offered.find((p) => p.startsWith(RESUME_PREFIX))?.slice(RESUME_PREFIX.length);
  const peer: Peer = { ctl, ip: clientIp(request), ...(hbParam === null ? {} : { hb: Number(hbParam) }) };
  if ((encoded === null || encoded === "") && ticket !== undefined) return resume(app, env, ctx, ticket, peer);
  if (encoded === null || encoded === "") return toLobby(app, env, peer);

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

  // Rate limits (docs/security.md#sign-in-rate-limits): refused before authenticate and before any socket object.
  const gate = await admit(app, env, peer.ip, signInKey(app, packet.data));
  if (gate.limited) return tooMany(gate.retryAfter);
  let uid: Uid | null;
  try {
    uid = await app.signIn.authenticate(packet.data as never, env);
  } catch (e) {
    console.error("sockizy-edge: authenticate failed:", e);
    ctx.waitUntil(gate.settle("dropped"));
    return toLobby(app, env, peer, { outcome: "error" });
  }
  ctx.waitUntil(gate.settle(uid === null ? "failed" : "ok"));
  if (uid === null) return toLobby(app, env, peer, { outcome: "bad", signin: encoded });
  return toUser(env, uid, peer);
}

/**
 * A resume ticket in place of credentials. It is verified first, here (an
 * HMAC, no call): a valid one goes straight to its user object, with no
 * limiter call on its path, since a ticket cannot be guessed and counting
 * valid ones protects nothing; so a valid ticket resumes even while its
 * address is locked out. One that does not verify is refused like a bad
 * password, and counted like one (per client IP), or answered 429 while
 * that address is limited (docs/security.md#sign-in-rate-limits).
 */
async function resume(app: App, env: Env, ctx: ExecutionContext, ticket: string, peer: Peer): Promise<Response> {
  const claim = env.TICKET_SECRET ? await verifyTicket(env.TICKET_SECRET, ticket) : null;
  if (claim !== null) return toUser(env, claim.uid, peer, claim.epoch);
  const gate = await admit(app, env, peer.ip, null);
  if (gate.limited) return tooMany(gate.retryAfter);
  ctx.waitUntil(gate.settle("failed"));
  return toLobby(app, env, peer, { outcome: "resume-refused" });
}

/** Too many failed sign-ins: HTTP 429 with Retry-After in seconds (RFC 9110 section 10.2.3). */
function tooMany(retryAfter: number): Response {
  const res = text(429, `sign-in: too many failed attempts; retry after ${retryAfter} s`);
  res.headers.set("Retry-After", String(retryAfter));
  return res;
}

/** The client as the Worker saw it, handed to the object that will hold its socket. */
interface Peer {
  /** It offered the `sockizy` subprotocol. */
  ctl: boolean;
  /** Its IP, for the rate limits of sign-ins sent later on the socket. */
  ip: string;
  /** Its ping interval in seconds, when it said it is not the default (`?hb=`). */
  hb?: number;
}

/** Only the Worker builds these URLs, so an object trusts what they say. */
function connectUrl(base: string, peer: Peer): URL {
  const target = new URL(base);
  target.searchParams.set("ctl", peer.ctl ? "1" : "0");
  target.searchParams.set("ip", peer.ip);
  if (peer.hb !== undefined) target.searchParams.set("hb", String(peer.hb));
  return target;
}

function toUser(env: Env, uid: Uid, peer: Peer, epoch?: number): Promise<Response> {
  const target = connectUrl("https://user/connect", peer);
  target.searchParams.set("uid", JSON.stringify(uid));
  if (epoch !== undefined) target.searchParams.set("epoch", String(epoch));
  return userFetcher(env, uid).fetch(target, { headers: { Upgrade: "websocket" } });
}

/** Lobbies tried for one anonymous socket before it is refused (docs/scale.md#lobbies). */
const LOBBY_TRIES = 3;

/**
 * An anonymous socket goes to its address's lobby, which counts the
 * address's anonymous sockets (docs/floods.md#anonymous-sockets-per-address),
 * or with that cap off to a lobby picked at random; a full lobby
 * (`lobbyCapacity` sockets) answers 503 and the next one, if any, is tried.
 * All full: 503 with Retry-After.
 */
async function toLobby(app: App, env: Env, peer: Peer, p: LobbyArrival = {}): Promise<Response> {
  for (const shard of lobbiesFor(app, peer.ip, LOBBY_TRIES)) {
    const response = await toLobbyShard(env, shard, peer, p);
    if (response.status !== 503) return response;
  }
  return new Response("every lobby tried is full; retry later\n", {
    status: 503,
    headers: { "Retry-After": "5", "Content-Type": "text/plain; charset=utf-8" },
  });
}

/** Why a socket arrives in a lobby, when it signed in and was refused. */
interface LobbyArrival {
  outcome?: "bad" | "error" | "resume-refused";
  signin?: string;
}

function toLobbyShard(env: Env, shard: number, peer: Peer, p: LobbyArrival): Promise<Response> {
  const target = connectUrl("https://lobby/connect", peer);
  target.searchParams.set("shard", String(shard));
  if (p.outcome) target.searchParams.set("outcome", p.outcome);
  if (p.signin) target.searchParams.set("signin", p.signin);
  return lobbyFetcher(env, shard).fetch(target, { headers: { Upgrade: "websocket" } });
}

export function text(status: number, body: string): Response {
  return new Response(`${body}\n`, { status, headers: { "Content-Type": "text/plain; charset=utf-8" } });
}
