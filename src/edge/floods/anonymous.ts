// Anonymous sockets per client address (docs/floods.md#anonymous-sockets-per-address).
//
// Where the count lives: every anonymous socket of one address goes to the
// same lobby, picked by a hash of the address, so that lobby holds all of
// them and counts them exactly, with no call: its sockets carry their
// address as a tag, and `getWebSockets(tag)` lists them. The count is
// derived from the sockets themselves, so a close, a sign-in that leaves the
// lobby, a hibernation wake or an object reset cannot leave a place taken
// or count one twice. The limiter object (limits/) is keyed by address too,
// but counting there would add a call to every anonymous open and a release
// call to every close, and a lobby reset would leak the places it held.
import type { App } from "../app/define-app.js";
import { shardOf } from "../registry/shards.js";

/** Seconds a refused upgrade is told to wait: a place frees when one of the address's sockets closes or signs in. */
export const ANONYMOUS_RETRY_AFTER = 10;

/**
 * The tag a socket carries with its client address (`ip:` cannot start a
 * socket id, which is base64url). A tag holds at most 256 characters; an
 * address is far shorter on Cloudflare, and only a local run lets a client
 * send a longer one.
 */
export const addressTag = (ip: string): string => `ip:${ip.slice(0, 250)}`;

/**
 * The lobbies an anonymous socket from `ip` may go to, in order: with the
 * cap, its address's lobby only (a full one answers 503: spilling to
 * another would split the address's count); without it, `tries` lobbies
 * from one picked at random (docs/scale.md#lobbies).
 */
export function lobbiesFor(app: App, ip: string, tries: number): number[] {
  const n = app.lobbyShards;
  if (app.floods.anonymousPerIp !== null) return [shardOf(ip, n)];
  const first = Math.floor(Math.random() * n);
  return Array.from({ length: Math.min(tries, n) }, (_, i) => (first + i) % n);
}

/** What the count needs of a socket: it is open, its close not handled, and not bound by relay. */
export interface Held {
  readonly ws: WebSocket;
  readonly attachment: { readonly gone?: true; readonly relay?: unknown };
}

/**
 * The 429 for an anonymous upgrade from `ip` when the lobby already holds
 * `anonymousPerIp` of that address's anonymous sockets, else null. Call it
 * in the same synchronous stretch as the accept, so racing upgrades cannot
 * both take the last place. A socket bound by relay (signed in, though its
 * lobby holds it) takes no place.
 */
export function refuseAnonymous(app: App, ctx: DurableObjectState, ip: string, view: (ws: WebSocket) => Held) {
  const cap = app.floods.anonymousPerIp;
  if (cap === null) return null;
  let held = 0;
  for (const ws of ctx.getWebSockets(addressTag(ip))) {
    if (ws.readyState !== WebSocket.READY_STATE_OPEN) continue;
    const s = view(ws);
    if (!s.attachment.gone && s.attachment.relay === undefined) held++;
  }
  if (held < cap) return null;
  return new Response(
    `too many anonymous sockets from this address (${cap}); retry after ${ANONYMOUS_RETRY_AFTER} s\n`,
    {
      status: 429,
      headers: { "Retry-After": String(ANONYMOUS_RETRY_AFTER), "Content-Type": "text/plain; charset=utf-8" },
    },
  );
}
