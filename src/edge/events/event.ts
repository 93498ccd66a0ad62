// A session event as a backend receives it (docs/events.md#the-event).
import type { Uid } from "../app/packet-maps.js";

/** Why a uid went offline: how its last bound socket went. */
export type OfflineReason =
  /** `session.delete()` (the app's sign-out packet). */
  | "signout"
  /** The socket closed, or its holder lost it. */
  | "close"
  /** `POST /admin/kick`, or `/admin/clear` with `kick`. */
  | "kick"
  /** `session.clear`, `io.session.clear`, `/admin/clear` without `kick`. */
  | "clear"
  /** Let go by the audit: no heartbeat, or sockets a reset dropped, or a relayed socket its holder lost. */
  | "reaped";

export interface SessionEvent {
  /** Unique: the idempotency key (a random UUID, the same on every retry). */
  id: string;
  uid: Uid;
  /** Per uid: 1, 2, 3... never reused; a gap means events were dropped (docs/events.md#order-and-delivery). */
  seq: number;
  type: "online" | "offline";
  /** When the change happened, ms since the epoch. */
  at: number;
  /** Sockets bound to the uid after the change (local and relayed). */
  sockets: number;
  /** `offline` only. */
  reason?: OfflineReason;
}
