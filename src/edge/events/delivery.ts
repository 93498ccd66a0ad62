// Delivering a user object's outbox (docs/events.md#order-and-delivery): by
// its alarm, oldest first, the next event waiting for the previous one's
// acknowledgement, so one uid's events arrive in `seq` order. A failed
// delivery is retried after a jittered exponential wait; an event older than
// `maxAgeMs` is dropped, logged and counted, and the next one's `seq` shows
// the gap.
import type { Uid } from "../app/packet-maps.js";
import type { Events } from "./options.js";
import type { Outbox, OutboxRow } from "./outbox.js";
import type { Sink } from "./sinks.js";

/**
 * The most events one pass delivers before it lets the alarm come back at
 * once: an alarm is one invocation, and its subrequests are bounded (50 on
 * the Workers Free plan, with the registry call after the pass).
 */
export const PASS_LIMIT = 40;

export type DeliveryMetric = "delivered" | "retried" | "dropped";

export interface DeliveryHooks {
  uid(): Uid;
  counted(what: DeliveryMetric, n: number): void;
}

export class Delivery {
  constructor(
    private readonly outbox: Outbox,
    private readonly sink: Sink,
    private readonly options: Pick<Events, "maxAgeMs" | "retryBaseMs" | "retryMaxMs">,
    private readonly hooks: DeliveryHooks,
    private readonly random: () => number = Math.random,
  ) {}

  /** When delivery is next due (null: nothing to deliver). */
  due(): number | null {
    return this.outbox.state().nextAt;
  }

  /**
   * Delivers what is due, in order, until the outbox is empty, a delivery
   * fails (the retry's time is then stored), or `PASS_LIMIT` events went
   * (then it is due again at once).
   */
  async pass(): Promise<void> {
    const s = this.outbox.state();
    for (let sent = 0; sent < PASS_LIMIT; ) {
      const now = Date.now();
      if (s.nextAt === null || s.nextAt > now) return;
      const head = this.outbox.head(this.sink.batch);
      if (head.length === 0) {
        s.nextAt = null;
        this.outbox.save();
        return;
      }
      const tooOld = (r: OutboxRow) => now - r.at > this.options.maxAgeMs;
      if (tooOld(head[0] as OutboxRow)) {
        const expired = takeWhile(this.outbox.head(PASS_LIMIT), tooOld);
        this.drop(expired, `older than maxAgeMs (${this.options.maxAgeMs} ms)`);
        continue;
      }
      try {
        await this.sink.deliver(head.map((r) => r.body));
      } catch (e) {
        this.failed(head, e);
        return;
      }
      this.outbox.removeThrough((head.at(-1) as OutboxRow).seq);
      this.hooks.counted("delivered", head.length);
      sent += head.length;
    }
  }

  /** The outbox is full (`maxPending`): the oldest event goes, as if too old. */
  dropOldest(): void {
    this.drop(this.outbox.head(1), "the outbox is full (maxPending)");
  }

  private drop(rows: readonly OutboxRow[], why: string): void {
    const last = rows.at(-1);
    if (last === undefined) return;
    this.outbox.removeThrough(last.seq);
    this.hooks.counted("dropped", rows.length);
    const seqs = rows.length === 1 ? `seq ${last.seq}` : `seq ${(rows[0] as OutboxRow).seq}-${last.seq}`;
    console.warn(`sockizy-edge: session events of ${JSON.stringify(this.hooks.uid())} dropped (${seqs}): ${why}`);
  }

  private failed(head: readonly OutboxRow[], e: unknown): void {
    const attempts = (head[0] as OutboxRow).attempts + 1;
    this.outbox.failed(
      head.map((r) => r.seq),
      attempts,
    );
    const wait = this.backoff(attempts);
    const s = this.outbox.state();
    s.nextAt = Date.now() + wait;
    this.outbox.save();
    this.hooks.counted("retried", 1);
    const what = `session event ${JSON.stringify(this.hooks.uid())} seq ${(head[0] as OutboxRow).seq}`;
    console.warn(`sockizy-edge: delivering ${what} failed (attempt ${attempts}), retried in ${wait} ms: ${String(e)}`);
  }

  /** Exponential from `retryBaseMs` up to `retryMaxMs`, then jittered into its upper half. */
  backoff(attempts: number): number {
    const { retryBaseMs, retryMaxMs } = this.options;
    const ceiling = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(attempts - 1, 30));
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }
}

function takeWhile<T>(list: readonly T[], pred: (x: T) => boolean): T[] {
  const out: T[] = [];
  for (const x of list) {
    if (!pred(x)) break;
    out.push(x);
  }
  return out;
}
