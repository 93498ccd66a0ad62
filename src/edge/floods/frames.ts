// Frames per socket and per user (docs/floods.md#frames-per-socket-and-per-user):
// the check every frame passes before it is decoded, a member of the object
// that holds the sockets (host/socket-host.ts). A socket over its bucket, or
// over its user's, is closed with 1008 and its frames from then on are
// dropped unread.
//
// In memory only, and on purpose: a socket's bucket lives as long as the
// object's instance, so a wake starts it full again. An object hibernates
// only after seconds without events, so a socket that floods keeps it
// awake and keeps its bucket; one that paused long enough to let it
// hibernate would have refilled its bucket by then anyway.
import { CLOSE } from "../../protocol/control.js";
import { C } from "../admin/metrics.js";
import { TokenBucket } from "./bucket.js";
import type { FloodLimit, Floods } from "./options.js";

/** The close reasons of a flood close (code 1008, docs/floods.md#what-a-client-sees). */
export const FLOOD_REASON: Readonly<Record<FloodLimit, string>> = {
  socket: "flood: over the frame limit of this socket",
  user: "flood: over the frame limit of this user",
};

/** What the check needs from the object that holds the sockets. */
export interface FloodHost {
  close(ws: WebSocket, code: number, reason: string): void;
  /** Adds 1 to a metric counter (host/counters.ts). */
  count(name: string): void;
}

interface SocketState {
  readonly bucket: TokenBucket | null;
  /** Closed for a flood: every later frame is dropped. */
  flooded: boolean;
}

export class FrameFloods {
  /** Weak, so a closed socket's state goes with it. */
  private readonly sockets = new WeakMap<WebSocket, SocketState>();
  /** The uid's bucket in its user object: every frame of a socket bound to it, local or relayed. */
  private user: TokenBucket | undefined;
  private readonly on: boolean;

  constructor(
    private readonly floods: Floods,
    private readonly host: FloodHost,
  ) {
    this.on = floods.perSocket !== null || floods.perUser !== null;
  }

  /**
   * A frame of `size` bytes from a socket held here (`bound`: to this
   * object's uid): true to handle it; false when it is dropped, the socket
   * closed for it (once).
   */
  pass(ws: WebSocket, size: number, bound: boolean, now = Date.now()): boolean {
    if (!this.on) return true;
    const state = this.state(ws, now);
    if (state.flooded) return false;
    if (state.bucket !== null && !state.bucket.take(size, now)) return this.flood(ws, state, "socket");
    if (bound && !this.passUser(size, now)) return this.flood(ws, state, "user");
    return true;
  }

  /**
   * A frame of a socket bound here by relay (its holder checked the
   * socket's own bucket): false when the user's bucket is empty; the holder
   * closes it then (`flooded`), where its next frames are dropped without a call.
   */
  passUser(size: number, now = Date.now()): boolean {
    const limit = this.floods.perUser;
    if (limit === null) return true;
    this.user ??= new TokenBucket(limit, now);
    return this.user.take(size, now);
  }

  /** A socket held here went over a bucket (its user's, as its user object answered a relayed frame). */
  flooded(ws: WebSocket, limit: FloodLimit): void {
    const state = this.state(ws, Date.now());
    if (!state.flooded) this.flood(ws, state, limit);
  }

  private state(ws: WebSocket, now: number): SocketState {
    let state = this.sockets.get(ws);
    if (state === undefined) {
      const limit = this.floods.perSocket;
      state = { bucket: limit === null ? null : new TokenBucket(limit, now), flooded: false };
      this.sockets.set(ws, state);
    }
    return state;
  }

  private flood(ws: WebSocket, state: SocketState, limit: FloodLimit): false {
    state.flooded = true;
    this.host.count(C.floodCloses(limit));
    this.host.close(ws, CLOSE.flood, FLOOD_REASON[limit]);
    return false;
  }
}
