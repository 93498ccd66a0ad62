// A token bucket over frames and bytes (docs/floods.md#frames-per-socket-and-per-user):
// full at first, refilled continuously at its rates up to its bursts, and a
// frame passes when one frame's token and its bytes are there. In memory
// only: two numbers and a time, updated per frame with no storage and no call.
import type { FrameLimit } from "./options.js";

export class TokenBucket {
  private frames: number;
  private bytes: number;
  private at: number;

  constructor(
    private readonly limit: FrameLimit,
    now: number,
  ) {
    this.frames = limit.frameBurst;
    this.bytes = limit.byteBurst;
    this.at = now;
  }

  /** Takes a frame of `size` bytes at `now` (ms); false, taking nothing, when the bucket cannot give it. */
  take(size: number, now: number): boolean {
    const l = this.limit;
    // Date.now() in Workers moves only between I/O, never backwards; max() is for a test's clock.
    const seconds = Math.max(0, now - this.at) / 1000;
    this.at = Math.max(this.at, now);
    this.frames = Math.min(l.frameBurst, this.frames + seconds * l.framesPerSecond);
    this.bytes = Math.min(l.byteBurst, this.bytes + seconds * l.bytesPerSecond);
    if (this.frames < 1 || this.bytes < size) return false;
    this.frames -= 1;
    this.bytes -= size;
    return true;
  }
}
