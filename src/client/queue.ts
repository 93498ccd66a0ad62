// The offline queue: frames sent while the client is between connections,
// flushed in order when the next one opens. Bounded by count and by bytes
// so that a long outage cannot grow memory without end.
//
// When full, the policy decides:
//   "drop-newest" (default): the new frame is refused and `emit` says
//     "dropped"; what is queued stays, in order, so the server sees a
//     prefix of what the page sent, never a sequence with holes.
//   "drop-oldest": the oldest frames are discarded until the new one fits
//     and `emit` says "queued"; for state that supersedes itself (positions).
// A frame larger than the byte limit on its own is always "dropped".
import { utf8Length } from "../protocol/utf8.js";

export type Frame = string | Uint8Array | ArrayBuffer;
export type QueuePolicy = "drop-newest" | "drop-oldest";

export interface QueueLimits {
  /** Most frames held; 0 turns queueing off. */
  readonly size: number;
  /** Most bytes held (UTF-8 for text). */
  readonly bytes: number;
  readonly policy: QueuePolicy;
}

export class OfflineQueue {
  private frames: Frame[] = [];
  private sizes: number[] = [];
  private total = 0;

  constructor(private readonly limits: QueueLimits) {}

  get length(): number {
    return this.frames.length;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.total;
  }

  push(frame: Frame): "queued" | "dropped" {
    const { size, bytes, policy } = this.limits;
    const n = sizeOf(frame);
    if (size <= 0 || n > bytes) return "dropped";
    const full = () => this.frames.length >= size || this.total + n > bytes;
    if (full()) {
      if (policy !== "drop-oldest") return "dropped";
      while (full()) {
        this.frames.shift();
        this.total -= this.sizes.shift() as number;
      }
    }
    this.frames.push(frame);
    this.sizes.push(n);
    this.total += n;
    return "queued";
  }

  /** Everything held, oldest first; the queue is empty afterwards. */
  drain(): Frame[] {
    const out = this.frames;
    this.clear();
    return out;
  }

  clear(): void {
    this.frames = [];
    this.sizes = [];
    this.total = 0;
  }
}

/** Bytes of a frame; a Blob from plain JavaScript (not in the types) counts by its size. */
function sizeOf(frame: Frame): number {
  if (typeof frame === "string") return utf8Length(frame);
  return frame.byteLength ?? Number((frame as { size?: number }).size) ?? 0;
}
