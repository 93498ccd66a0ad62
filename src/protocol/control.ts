// What the edge server and its client say to each other besides the
// application's packets: the subprotocols that carry a sign-in in the
// WebSocket upgrade, the control frames, the heartbeat and the close codes.
// docs/protocol.md#wire-additions documents all of it.

/** The subprotocol a sockizy-edge client offers and the server selects. */
export const SUBPROTOCOL = "sockizy";
/** `sockizy.<base64url of the sign-in frame>`: a sign-in carried by the upgrade. */
export const SIGNIN_PREFIX = "sockizy.";
/** `sockizy-resume.<ticket>`: a resume ticket carried by the upgrade. */
export const RESUME_PREFIX = "sockizy-resume.";

/** Heartbeat text frames, answered by the runtime without waking the object. */
export const PING = "#ping";
export const PONG = "#pong";

/** Close codes the server uses (4000-4999 are the application's, spec section 4). */
export const CLOSE = {
  /** A frame that is not a valid packet (as sockizy did). */
  invalidPacket: 1003,
  /** A frame above `maxPayload`. */
  tooBig: 1009,
  /** Too many frames or bytes for the socket or its user (docs/floods.md#what-a-client-sees). Reconnect slowly. */
  flood: 1008,
  /** Replaced by a newer sign-in of the same uid (cap policy "replace-oldest"). Do not reconnect. */
  replaced: 4001,
  /** Kicked by the admin API. Do not reconnect. */
  kicked: 4003,
} as const;

/** A control frame is a binary frame with this packet id, which no table can reach. */
export const CONTROL_ID = 0xffff;

export type Control =
  /** Reconnect, offering this sign-in in the upgrade: the socket is held by an object that cannot bind it. */
  | { t: "reconnect"; signin: string }
  /** A resume ticket for this session, to reconnect signed in without the password. */
  | { t: "ticket"; ticket: string; exp: number }
  /** The resume ticket was refused (forged, expired, for another uid, or voided by a clear): the socket stays anonymous. */
  | { t: "resume"; ok: false }
  /** This socket was unbound by a sign-out or a clear (not a close): its resume ticket is void, drop it. */
  | { t: "unbound" }
  /**
   * Are you alive? Answered with a `#ping` at once (the runtime answers that and records when,
   * without waking the object); a socket silent for the probe time is closed (docs/sign-in.md#liveness-probe).
   */
  | { t: "probe" };

const utf8 = new TextEncoder();
const utf8in = new TextDecoder();

export function encodeControl(c: Control): Uint8Array {
  const json = utf8.encode(JSON.stringify(c));
  const out = new Uint8Array(2 + json.length);
  out[0] = 0xff;
  out[1] = 0xff;
  out.set(json, 2);
  return out;
}

/** The control message in a frame, or undefined when the frame is an ordinary packet. */
export function decodeControl(frame: Uint8Array): Control | undefined {
  if (frame.length < 2 || frame[0] !== 0xff || frame[1] !== 0xff) return undefined;
  try {
    return JSON.parse(utf8in.decode(frame.subarray(2))) as Control;
  } catch {
    return undefined;
  }
}

// base64url without padding (RFC 4648 section 5): what subprotocol tokens
// and query parameters can carry.
export function toBase64Url(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i] as number);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The bytes, or undefined for text that is not base64url. */
export function fromBase64Url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
