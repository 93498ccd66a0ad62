// The order test files start in. vitest runs its projects one after the
// other and, within one, the longest files first; with several files at a
// time (vitest.config.ts) the run is shortest when the longest files of
// every project start first, so none is left running alone at the end.
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** The longest files of `npm test`, longest first (measured on a 2-core machine); the rest follow in vitest's order. */
const LONGEST = [
  "test/edge/chaos/chaos.test.ts",
  "test/package/chat.test.ts",
  "test/edge/probe/chaos.test.ts",
  "test/tcp/runtime-close.test.ts", // the runtime's ~10 s linger, waited out
  "test/tcp/dead-holder.test.ts", // three probe times (3 s each) and more
  "test/tcp/close-timing.test.ts",
  "test/tcp/session-events.test.ts", // a receiver failing 30 s in npm run test:full
  "test/client/browser.test.ts",
  "test/edge/probe/scale.test.ts",
  "test/client/live.test.ts",
  "test/edge/limits/limits.test.ts",
  "test/edge/relay/relay.test.ts",
  "test/edge/host/cap-race.test.ts",
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
