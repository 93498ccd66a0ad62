// What a connection sent, for the one case where frames that went out on
// it were not handled in the session the page meant: a sign-in sent as an
// ordinary frame (the client did not know it was the sign-in, or the socket
// sat signed out in a user's object), after which the server answered with
// the reconnect instruction. The server handled the frames sent after the
// sign-in on that socket before the sign-in took effect (anonymous, or
// unbound), and the client then leaves the socket, with any reply. The
// instruction names the sign-in frame; this record finds it among the
// frames sent, so the client can say which frames came after it
// (SignInRaceError) rather than lose them without a word.
//
// No frame is kept: each entry is the packet id and a 32-bit FNV-1a
// fingerprint of the bytes (text frames cannot be a sign-in). The record is
// bounded, and goes with its connection.
import type { Frame } from "./queue.js";

/** Frames a connection remembers; a sign-in further back than this is reported as "at least" these. */
export const SENT_RECORD = 256;

/** The id recorded for a text frame. */
export const TEXT = -1;
/** The id recorded for binary data that cannot be a packet (under 2 bytes, a Blob). */
export const NO_PACKET = -2;

/** A frame as remembered: its packet id (or TEXT, NO_PACKET) and a fingerprint of its bytes (0 for text). */
export type Sent = [id: number, hash: number];

/** What came after the sign-in the server named. */
export interface AfterSignIn {
  /** The sign-in frame's packet id. */
  readonly signInId: number;
  /** The packet id of each frame sent after it (or TEXT, NO_PACKET), in order. */
  readonly ids: number[];
  /** The sign-in was not among the frames remembered: `ids` are all of them, and earlier ones may be affected too. */
  readonly partial: boolean;
}

/** Remembers `frame` in `record`, forgetting the oldest beyond SENT_RECORD. */
export function remember(record: Sent[], frame: Frame): void {
  if (record.push(fingerprint(frame)) > SENT_RECORD) record.shift();
}

/** The frames sent after `signIn` (the first one remembered that matches it). */
export function sentAfter(record: Sent[], signIn: Uint8Array): AfterSignIn {
  const [id, hash] = fingerprint(signIn);
  const at = record.findIndex((e) => e[0] === id && e[1] === hash);
  return { signInId: id, ids: record.slice(at + 1).map((e) => e[0]), partial: at < 0 };
}

function fingerprint(frame: Frame): Sent {
  if (typeof frame === "string") return [TEXT, 0];
  // A Blob from plain JavaScript (not in the types): it cannot be a packet the client made.
  if (!(frame instanceof Uint8Array || frame instanceof ArrayBuffer)) return [NO_PACKET, 0];
  const bytes = frame instanceof Uint8Array ? frame : new Uint8Array(frame);
  // FNV-1a, 32 bits: cheap, and enough to tell one frame from another.
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ (bytes[i] as number), 0x01000193);
  return [bytes.length < 2 ? NO_PACKET : (bytes[0] as number) | ((bytes[1] as number) << 8), hash >>> 0];
}

/**
 * The `error` event for frames sent after a sign-in on a socket the server
 * then told to reconnect: the server handled them there, before the sign-in
 * took effect, and what it answered went with that socket. Sent again, they
 * would be handled twice, so the page decides.
 */
export class SignInRaceError extends Error {
  constructor(
    message: string,
    /** The packet the server took as the sign-in (undefined: not one of the send tables). */
    readonly signIn: string | undefined,
    /** Each frame sent after it, in order: its packet name, "text", or "binary" (bytes of no declared packet). */
    readonly frames: readonly string[],
    /** The sign-in was older than the frames the client remembers (SENT_RECORD): earlier frames may be affected too. */
    readonly partial: boolean,
  ) {
    super(message);
    this.name = "SignInRaceError";
  }
}
