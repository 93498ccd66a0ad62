// The order test files start in, across projects (measured: files of every
// project run side by side). With several files at a time (vitest.config.ts)
// the run is shortest when the longest files start first, so none is left
// running alone at the end.
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** The longest files of `npm test`, longest first (their durations in a quick run, 2026-12-06, on a 2-core machine); the rest follow in vitest's order. */
const LONGEST = [
  "test/edge/chaos/chaos.test.ts",
  "test/edge/admin/dashboard/dashboard.test.ts", // Chromium and wrangler dev, mostly waiting
  "test/edge/limits/limits.test.ts",
  "test/edge/probe/chaos.test.ts",
  "test/client/browser.test.ts",
  "test/tcp/dead-holder.test.ts", // three probe times (3 s each) and more
  "test/edge/host/liveness.test.ts", // probe times, waited out
  "test/edge/probe/scale.test.ts",
  "test/edge/floods/frames.test.ts",
  "test/edge/host/cap-race.test.ts",
  "test/edge/probe/size-promise.test.ts",
  "test/package/chat.test.ts",
  "test/package/fan-out-batch.test.ts",
  "test/tcp/session-events.test.ts", // a receiver failing 30 s in npm run test:full
  "test/tcp/runtime-close.test.ts", // the runtime's ~10 s linger, waited out (full tier)
  "test/client/live.test.ts",
  "test/protocol/mutation.test.ts",
  "test/docs/scale-model.test.ts",
  "test/tcp/close-timing.test.ts",
  "test/edge/relay/relay.test.ts",
  "test/edge/probe/size-groups.test.ts",
  "test/seed/size-under-churn.test.ts",
  "test/edge/events/delivery.test.ts",
  "test/tcp/floods.test.ts",
  "test/edge/probe/fan-out-tree.test.ts",
];

export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = LONGEST.findIndex((path) => f.moduleId.endsWith(`/${path}`));
      return i === -1 ? LONGEST.length : i;
    };
    return sorted.sort((a, b) => rank(a) - rank(b)); // stable: the rest keep vitest's order
  }
}
