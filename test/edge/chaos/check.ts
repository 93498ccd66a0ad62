// Compares the real system with the model after an op: the frames each
// socket got (waiting until the expected ones are all there), and values
// that are exact once the system is quiet (polled until equal, with a
// deadline). A difference throws ChaosMismatch with the seed and the ops
// that led there.
import type { Driver } from "./driver.js";
import { type Expected, match, type Verdict } from "./expect.js";
import type { SessionModel } from "./model.js";

export interface Where {
  seed: number;
  step: number;
  op: string;
  /** The last ops before this one, oldest first. */
  history: string[];
}

export class ChaosMismatch extends Error {
  constructor(
    readonly where: Where,
    readonly problems: string[],
  ) {
    super(
      [
        `chaos: the system differs from the model at step ${where.step} (seed ${where.seed}), op ${where.op}`,
        ...problems.map((p) => `  ${p}`),
        "  after:",
        ...where.history.map((h) => `    ${h}`),
      ].join("\n"),
    );
    this.name = "ChaosMismatch";
  }
}

/** How long expected frames may take to arrive (broadcasts cross three objects). */
const ARRIVAL_MS = 5_000;

/** Waits for the op's expected frames and closes, then checks nothing else came. */
export async function settle(driver: Driver, expected: Expected, model: SessionModel, where: Where): Promise<void> {
  const open = new Set(model.live().map((s) => s.id));
  const deadline = Date.now() + ARRIVAL_MS;
  let verdict: Verdict;
  for (;;) {
    verdict = match(expected, driver.received(), open);
    if (verdict.missing.length === 0 || Date.now() > deadline) break;
    // Nothing can change the verdict but a frame or a close (the deadline aside).
    await driver.changed(Math.max(1, Math.min(100, deadline + 1 - Date.now())));
  }
  const problems = [...verdict.missing.map((m) => `missing ${m}`), ...verdict.extra.map((e) => `unexpected ${e}`)];
  if (problems.length > 0) throw new ChaosMismatch(where, problems);
  driver.advance((id) => !open.has(id));
}

/** Polls `read` until it gives `want`; a value that never converges within `ms` is a mismatch. */
export async function converges<T>(what: string, read: () => Promise<T>, want: T, where: Where, ms = 5_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await read();
    if (got === want) return;
    if (Date.now() > deadline) {
      throw new ChaosMismatch(where, [`${what} stayed ${JSON.stringify(got)}, the model says ${JSON.stringify(want)}`]);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}
