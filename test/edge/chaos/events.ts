// The chaos suite's check of session events (docs/events.md#the-event): the
// model's transitions (a uid's count going from none to some is `online`,
// from some to none `offline`, the op saying why) against the events the
// webhook receiver acknowledged, deduplicated by id as a backend does: per
// uid, the same list in `seq` order, `seq` one by one, none lost, none extra.
// Only where a sink is configured (the workers project: receiver-worker.js).
import { env } from "cloudflare:workers";
import type { SessionEvent } from "../../../src/edge/events/event.js";
import { ChaosMismatch, type Where } from "./check.js";
import type { SessionModel, Uid } from "./model.js";
import type { Op } from "./ops.js";

const receiver = () => (env as unknown as { RECEIVER: Fetcher }).RECEIVER;

/** How the model's op ends a uid's session, as the event's reason says it. */
function reasonOf(op: Op): string {
  switch (op.op) {
    case "signOut":
      return "signout";
    case "clear":
    case "kick":
      return op.op;
    case "reset":
      return "reaped";
    default:
      return "close"; // close, disconnect
  }
}

export class EventCheck {
  /** Per uid, the events the model says happened since the run began: "online", "offline:close". */
  private readonly expected = new Map<Uid, string[]>();

  constructor(private readonly uids: readonly Uid[]) {}

  /** Starts from an empty receiver (what earlier runs of the file delivered is not this run's). */
  async start(): Promise<void> {
    await receiver().fetch("http://receiver.test/control", { method: "POST", body: JSON.stringify({ reset: true }) });
  }

  /** The uids' counts before an op. */
  counts(model: SessionModel): Map<Uid, number> {
    return new Map(this.uids.map((u) => [u, model.count(u)]));
  }

  /** After the op: the transitions it made. */
  record(before: Map<Uid, number>, model: SessionModel, op: Op): void {
    for (const uid of this.uids) {
      const was = before.get(uid) ?? 0;
      const now = model.count(uid);
      const list = this.expected.get(uid) ?? [];
      if (was === 0 && now > 0) list.push("online");
      if (was > 0 && now === 0) list.push(`offline:${reasonOf(op)}`);
      this.expected.set(uid, list);
    }
  }

  /** Once quiet: the receiver has every event the model made, and nothing else (polled, with a deadline). */
  async check(where: Where, ms = 5_000): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      const problems = await this.differences();
      if (problems.length === 0) return;
      if (Date.now() > deadline) throw new ChaosMismatch(where, problems);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  private async differences(): Promise<string[]> {
    const got = (await (await receiver().fetch("http://receiver.test/received")).json()) as {
      body: string;
      status: number;
    }[];
    const byUid = new Map<Uid, SessionEvent[]>();
    const seen = new Set<string>();
    for (const d of got) {
      const e = JSON.parse(d.body) as SessionEvent;
      if (d.status !== 200 || seen.has(e.id)) continue;
      seen.add(e.id);
      byUid.set(String(e.uid), [...(byUid.get(String(e.uid)) ?? []), e]);
    }
    const problems: string[] = [];
    for (const uid of this.uids) {
      const events = (byUid.get(uid) ?? []).sort((a, b) => a.seq - b.seq);
      const want = this.expected.get(uid) ?? [];
      const have = events.map((e) => (e.type === "online" ? "online" : `offline:${e.reason}`));
      const at = firstDifference(have, want);
      if (at !== -1) {
        problems.push(
          `events of ${uid}: ${have.length} got, ${want.length} made by the model; from #${at + 1} (seq ${events[at]?.seq ?? "none"}) got [${near(have, at)}], the model [${near(want, at)}]`,
        );
      }
      const gaps = events.filter((e, i) => i > 0 && e.seq !== (events[i - 1] as SessionEvent).seq + 1);
      if (gaps.length > 0) problems.push(`events of ${uid}: seq jumps before ${gaps.map((e) => e.seq).join(", ")}`);
    }
    return problems;
  }
}

/** The first index where the lists differ (one ending counts), or -1. */
function firstDifference(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** A few items of a list from `at`. */
function near(list: readonly string[], at: number): string {
  return [...list.slice(at, at + 4), ...(list.length > at + 4 ? ["..."] : [])].join(", ");
}
