// A reusable byte buffer, and views into it made once. Making a subarray
// view costs 25-90 ns in Node 20, more than writing a short packet, while
// copying out of an existing view (`new Uint8Array(view)`) or encoding into
// one (`TextEncoder.encodeInto`) is the fastest way to move bytes.

/** Positions and lengths below this get a view made once and kept; others a view per call. */
export const KEPT_VIEWS = 512;

/** A reusable byte buffer with views into it made once and kept. */
export class Scratch {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** A packet's field values, read before they are written. */
  readonly values: unknown[] = [];
  private readonly heads: Uint8Array[] = [];
  private readonly tails: Uint8Array[] = [];

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  /** The bytes [0, end), as a view (made once per length while below KEPT_VIEWS). */
  head(end: number): Uint8Array {
    let v = this.heads[end];
    if (v === undefined) {
      v = this.bytes.subarray(0, end);
      if (end < KEPT_VIEWS) this.heads[end] = v;
    }
    return v;
  }

  /** The bytes from `pos` to the end of the buffer, as a view (made once per position while below KEPT_VIEWS). */
  tail(pos: number): Uint8Array {
    let v = this.tails[pos];
    if (v === undefined) {
      v = this.bytes.subarray(pos);
      if (pos < KEPT_VIEWS) this.tails[pos] = v;
    }
    return v;
  }
}
