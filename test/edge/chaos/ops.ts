// The operations of a chaos run: what a client, an admin or the platform
// does to the system. The generator makes them, the model predicts their
// effects, the driver performs them.
import type { Credentials, Holder, Uid } from "./model.js";

export type Op =
  /**
   * An upgrade: signed in through it, with refused credentials, or anonymous.
   * `plain`: no subprotocol offered (the original sockizy client), so an
   * in-band sign-in where it cannot be bound is bound by relay.
   */
  | { op: "open"; credentials?: Credentials; plain?: true }
  /** The app's sign-in packet sent as a frame on an open socket. */
  | { op: "signIn"; id: number; credentials: Credentials }
  | { op: "signOut"; id: number }
  /** The client closes; `code` null closes without a code (the server sees 1005). */
  | { op: "close"; id: number; code: number | null }
  /** The app closes the socket from a handler (`socket.disconnect(code)`). */
  | { op: "disconnect"; id: number }
  /** `session.clear(uid)`: through the admin API, or called by the handler of socket `via`. */
  | { op: "clear"; uid: Uid; via?: number }
  /** The admin API's clear with kick. */
  | { op: "kick"; uid: Uid }
  /** `session.emit(message, uid)`, or to every uid. */
  | { op: "emit"; message: string; uid?: Uid; via?: number }
  /** A text to every connected socket (`io.text`, the admin API's /admin/text). */
  | { op: "broadcast"; text: string; via?: number }
  | { op: "count"; uid: Uid; via?: number }
  /** Waits until `size` is the model's (it is exact once the system is quiet), then asks it through `via`. */
  | { op: "size"; via?: number }
  /** Evicts every object, sockets kept (hibernation). */
  | { op: "hibernate" }
  /** Evicts one object, sockets kept: the two ends of a relay hibernate apart. `lobby`: every lobby. */
  | { op: "evict"; where: Holder }
  /** Evicts an object dropping its sockets without close events, then runs its audit alarm. */
  | { op: "reset"; where: Holder };

export function describeOp(op: Op): string {
  return JSON.stringify(op);
}
