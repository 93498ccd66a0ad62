// A user object's session events (docs/events.md): what it composes to report
// its uid's online/offline changes to the deployment's sink. Off, and free,
// without a sink: `note` returns at once and nothing is stored.
import { C } from "../admin/metrics.js";
import type { Uid } from "../app/packet-maps.js";
import type { Env } from "../rpc/env.js";
import { AlarmShare } from "./alarm-share.js";
import { Delivery } from "./delivery.js";
import type { OfflineReason } from "./event.js";
import type { Events } from "./options.js";
import { Outbox } from "./outbox.js";
import { Presence } from "./presence.js";
import { type Sink, sinkOf } from "./sinks.js";

/** What the events need from the user object. */
export interface EventHost {
  /** The object's uid (known whenever a socket is bound). */
  uid(): Uid;
  /** Sockets holding the uid, local and relayed: the count `session.end` goes by. */
  held(): number;
  /** Adds to the object's metric counters (in memory). */
  count(name: string, by: number): void;
  /** Hands the counters and the outbox's backlog to the uid's registry shard (docs/events.md#metrics). */
  report(failingSince: number | null): Promise<void>;
  /** When the audit is due if it were armed now: `auditMs` from now while the object holds sockets or the registry may count it, else null. */
  auditTime(): number | null;
}

export class UserEvents {
  private readonly sink: Sink | null;
  private readonly outbox: Outbox;
  private readonly presence: Presence;
  private readonly delivery: Delivery | undefined;
  private readonly alarms: AlarmShare;
  /** Inside the alarm, which arms at its end: a change then arms nothing itself. */
  private inAlarm = false;
  /** Counted, or the backlog changed, since the shard last heard. */
  private unreported = false;
  /** The backlog the shard last heard (undefined: not known since the wake). */
  private told: number | null | undefined;

  constructor(
    private readonly ctx: DurableObjectState,
    env: Env,
    options: Events,
    private readonly host: EventHost,
  ) {
    this.sink = sinkOf(env, options.timeoutMs);
    this.outbox = new Outbox(ctx.storage.sql);
    this.alarms = new AlarmShare(ctx.storage, this.outbox);
    const counted = (what: string, by: number) => {
      host.count(C.events(what), by);
      this.unreported = true;
    };
    if (this.sink) {
      this.delivery = new Delivery(this.outbox, this.sink, options, { uid: () => host.uid(), counted });
    }
    this.presence = new Presence(this.outbox, options, {
      uid: () => host.uid(),
      enqueued: () => counted("enqueued", 1),
      arm: () => {
        if (!this.inAlarm)
          this.ctx.waitUntil(this.arm().catch((e) => console.error("sockizy-edge: arming the outbox failed:", e)));
      },
      dropOldest: () => this.delivery?.dropOldest(),
    });
  }

  /**
   * After every change of the uid's bound sockets, in the same synchronous
   * stretch: an `online` or `offline` event if the uid moved between none
   * and some (`reason` says how an offline came). Nothing without a sink.
   */
  note(reason: OfflineReason = "close"): void {
    if (this.sink === null) return;
    this.presence.note(reason, this.host.held());
  }

  /**
   * The object's alarm: the audit when it is due (`audit`), then what the
   * outbox has due, then the alarm armed for whichever comes next. An
   * offline past its grace is reported here, and after an audit, sockets a
   * reset dropped unseen. (Not at every wake: a socket whose close event is
   * still on its way is already gone from the runtime's list, and a wake in
   * between would report its close as `reaped`.)
   */
  async alarm(audit: () => Promise<void>): Promise<void> {
    if (this.sink === null) return audit();
    this.inAlarm = true;
    let failure: unknown;
    try {
      if (this.alarms.auditDue()) {
        this.alarms.auditing();
        await audit().catch((e) => {
          failure = e;
        });
        this.presence.note("reaped", this.host.held());
      } else {
        this.alarms.keepAudit(this.host.auditTime());
        this.presence.expire();
      }
      await this.delivery?.pass();
      await this.report();
    } finally {
      this.inAlarm = false;
      await this.arm();
    }
    if (failure !== undefined) throw failure;
  }

  private arm(): Promise<void> {
    const due = [this.delivery?.due() ?? null, this.presence.graceDue()].filter((t): t is number => t !== null);
    return this.alarms.arm(due.length === 0 ? null : Math.min(...due));
  }

  /** After a pass: the counters and the backlog to the shard, one call, if either changed. */
  private async report(): Promise<void> {
    const since = this.outbox.failingSince();
    if (!this.unreported && since === this.told) return;
    try {
      await this.host.report(since);
      this.told = since;
      this.unreported = false;
    } catch (e) {
      console.error("sockizy-edge: reporting session event metrics failed; the next pass says them again:", e);
    }
  }
}
