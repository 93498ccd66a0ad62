// Errors of the packet codec. Each names the packet (and field) it is about,
// so a person reading a log knows which declaration or frame to look at.

/** A packet declaration that cannot be used (spec section 1 and 2). */
export class SchemaError extends Error {
  override name = "SchemaError";
  constructor(
    message: string,
    readonly packet: string,
    readonly field?: string,
  ) {
    super(`bad schema for packet "${packet}"${field === undefined ? "" : `, field "${field}"`}: ${message}`);
  }
}

/** Data that cannot be put on the wire (unknown packet, int64 out of range, ...). */
export class EncodeError extends Error {
  override name = "EncodeError";
  constructor(
    message: string,
    readonly packet: string,
    readonly field?: string,
  ) {
    super(`cannot encode packet "${packet}"${field === undefined ? "" : `, field "${field}"`}: ${message}`);
  }
}

/** Why a frame was refused (spec section 2, "Decoding must reject"). */
export type DecodeErrorCode =
  | "short-frame" // fewer bytes than a packet id
  | "unknown-id" // no packet with this id in the table
  | "truncated" // a field runs past the end of the frame
  | "too-long" // a length prefix above the field's N
  | "trailing-bytes" // bytes left after the last field
  | "bad-json"; // a json field that is not JSON

/** A frame that is not a valid packet. Servers close the socket with 1003. */
export class DecodeError extends Error {
  override name = "DecodeError";
  constructor(
    readonly code: DecodeErrorCode,
    message: string,
    /** Byte offset in the frame where the problem was found. */
    readonly offset: number,
    readonly packet?: string,
    readonly field?: string,
  ) {
    const where =
      packet === undefined ? "" : ` in packet "${packet}"${field === undefined ? "" : `, field "${field}"`}`;
    super(`invalid frame (${code})${where} at byte ${offset}: ${message}`);
  }
}
