// When a uid goes online and offline (docs/events.md#the-event): its first
// bound socket and its last, whichever path they take. The user object calls
// `note` in the same synchronous stretch as every change of its bound sockets,
// so the event is written in the same storage step as the change (SQLite
// writes of one stretch commit together), and a change that binds or
// unbinds without moving the uid between none and some writes nothing.
import type { Uid } from "../app/packet-maps.js";
import type { OfflineReason, SessionEvent } from "./event.js";
import type { Events } from "./options.js";
import type { Outbox } from "./outbox.js";

/** What recording an event needs from around it. */
export interface PresenceHooks {
  uid(): Uid;
  /** An event was written (a counter). */
  enqueued(): void;
  /** Delivery, or the grace's end, may now be due before the alarm: arm it (after this stretch). */
  arm(): void;
  /** The outbox is full (`maxPending`): its oldest event goes. */
  dropOldest(): void;
}

export class Presence {
  constructor(
    private readonly outbox: Outbox,
    private readonly options: Pick<Events, "offlineGraceMs" | "maxPending">,
    private readonly hooks: PresenceHooks,
  ) {}

  /**
   * Compares the uid's bound sockets now (`held`) with what the last event
   * said, and records the change if there is one. An offline waits out
   * `offlineGraceMs` first (the alarm, or the next note, reports it); a
   * socket bound within the grace cancels it, and neither is reported.
   */
  note(reason: OfflineReason, held: number, now = Date.now()): void {
    const s = this.outbox.state();
    const grace = this.options.offlineGraceMs;
    // The grace ran out before this change: the held-back offline is reported first.
    this.expire(now);
    if (held > 0) {
      if (s.offlineAt !== null) {
        s.offlineAt = null;
        s.offlineReason = null;
        this.outbox.save();
      } else if (!s.online) {
        this.record("online", now, held);
      }
    } else if (s.online && s.offlineAt === null) {
      if (grace === 0) {
        this.record("offline", now, 0, reason);
      } else {
        s.offlineAt = now;
        s.offlineReason = reason;
        this.outbox.save();
        this.hooks.arm();
      }
    }
  }

  /** Reports the offline held back by the grace if its time has come (the alarm's wake for it). */
  expire(now = Date.now()): void {
    const s = this.outbox.state();
    if (s.offlineAt !== null && now >= s.offlineAt + this.options.offlineGraceMs) {
      this.record("offline", s.offlineAt, 0, s.offlineReason ?? "close");
    }
  }

  /** When the offline held back by the grace is to be reported, or null. */
  graceDue(): number | null {
    const { offlineAt } = this.outbox.state();
    return offlineAt === null ? null : offlineAt + this.options.offlineGraceMs;
  }

  private record(type: SessionEvent["type"], at: number, sockets: number, reason?: OfflineReason): void {
    const s = this.outbox.state();
    const event: SessionEvent = { id: crypto.randomUUID(), uid: this.hooks.uid(), seq: s.seq + 1, type, at, sockets };
    if (reason !== undefined) event.reason = reason;
    const first = s.nextAt === null;
    if (!first && this.outbox.count() >= this.options.maxPending) this.hooks.dropOldest();
    this.outbox.append(event.seq, JSON.stringify(event), at);
    s.seq = event.seq;
    s.online = type === "online";
    if (type === "offline") {
      s.offlineAt = null;
      s.offlineReason = null;
    }
    if (first) s.nextAt = at;
    this.outbox.save();
    this.hooks.enqueued();
    if (first) this.hooks.arm();
  }
}
