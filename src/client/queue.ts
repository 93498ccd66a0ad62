// The offline queue: frames sent while the client is between connections,
// flushed in order when the next one opens. Bounded by count and by bytes
// so that a long outage cannot grow memory without end.
//
// When full, the policy decides:
//   "drop-newest" (default): the new frame is refused and `emit` says
//     "dropped"; what is queued stays, in order, so the server sees a
//     prefix of what the page sent, never a sequence with holes. Once it
//     has refused a frame, it refuses every frame until it is drained or
//     cleared, even one that would fit (that would be a hole).
//   "drop-oldest": the oldest frames are discarded until the new one fits
//     and `emit` says "queued"; for state that supersedes itself (positions).
// A frame larger than the byte limit on its own is always "dropped" (with
// "drop-newest", everything after it too, until the queue drains).
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
  /** drop-newest refused a frame: refuse the rest until drained, so nothing after a gap goes out. */
  private refusing = false;

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
    if (size <= 0 || this.refusing) return "dropped";
    const full = () => this.frames.length >= size || this.total + n > bytes;
    if (n > bytes || full()) {
      if (policy !== "drop-oldest") {
        this.refusing = true;
        return "dropped";
      }
      if (n > bytes) return "dropped";
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

  /** Whether `frame` would be queued once the queue is cleared. */
  fitsAlone(frame: Frame): boolean {
    return this.limits.size > 0 && sizeOf(frame) <= this.limits.bytes;
  }

  clear(): void {
    this.frames = [];
    this.sizes = [];
    this.total = 0;
    this.refusing = false;
  }
}

/** Bytes of a frame; a Blob from plain JavaScript (not in the types) counts by its size. */
function sizeOf(frame: Frame): number {
  if (typeof frame === "string") return utf8Length(frame);
  return frame.byteLength ?? Number((frame as { size?: number }).size) ?? 0;
}
