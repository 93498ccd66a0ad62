// A user object has one alarm, and two users of it (docs/events.md#cost): the
// audit, every `auditMs` while the object holds sockets
// (docs/architecture.md#no-ghost-sessions), and the outbox, when a delivery or
// the grace's end is due. The alarm is set to the earlier of the two. When
// the outbox's time displaces the audit's, the audit's is kept in the
// outbox's state. A wake the outbox set delivers without auditing, then
// arms the audit's kept time (or, when none was set, `auditMs` from then
// while the object holds sockets); any other wake runs the audit. The
// outbox only ever moves the alarm earlier than what another set.
import type { Outbox } from "./outbox.js";

const earlier = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.min(a, b);

export class AlarmShare {
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly outbox: Outbox,
  ) {}

  /**
   * Whether this wake is the audit's: its kept time has come, or none is
   * kept and the outbox did not set this alarm (the audit's own, or one run
   * before its time, as tests do).
   */
  auditDue(now = Date.now()): boolean {
    const { auditAt, armedAt } = this.outbox.state();
    if (auditAt !== null) return auditAt <= now;
    return armedAt === null || armedAt > now;
  }

  /** A wake of the outbox's with no audit time kept: `at` (the audit the object needs now, if any) is kept. */
  keepAudit(at: number | null): void {
    const s = this.outbox.state();
    if (s.auditAt !== null || at === null) return;
    s.auditAt = at;
    this.outbox.save();
  }

  /** The audit runs now: the time kept for it is spent. */
  auditing(): void {
    const s = this.outbox.state();
    if (s.auditAt === null && s.armedAt === null) return;
    s.auditAt = null;
    s.armedAt = null;
    this.outbox.save();
  }

  /** Sets the alarm to the earlier of `due` (the outbox's) and the audit's time, keeping the audit's if displaced. */
  async arm(due: number | null): Promise<void> {
    const s = this.outbox.state();
    const current = await this.storage.getAlarm();
    // The alarm set now is the audit's (or the registry sync's, for the audit), unless the outbox set it.
    const audit = current !== null && current !== s.armedAt ? earlier(current, s.auditAt) : s.auditAt;
    const target = earlier(due, audit);
    if (target === null) return;
    if (current !== target) await this.storage.setAlarm(target);
    const auditAt = audit !== null && audit > target ? audit : null;
    const armedAt = target === audit ? null : target;
    if (auditAt !== s.auditAt || armedAt !== s.armedAt) {
      s.auditAt = auditAt;
      s.armedAt = armedAt;
      this.outbox.save();
    }
  }
}
