// The order test files start in, across projects. Two things decide it:
//
// - A runner (a Node process, or a workerd runtime for a Workers project) of a
//   project with `isolate: false` goes on to a next file only when the next
//   file in the queue is of its own project; otherwise vitest stops it and a
//   later file of that project starts a new one (vitest 4's pool,
//   `this.queue[0]?.task.isolate === false && isEqualRunner(...)`). So each
//   such project's files are queued together: interleaved with other
//   projects, they started about 30 runtimes more (about 3.5 s of CPU each).
// - Within a group, the longest files start first, so none is left running
//   alone at the end; the groups of short files come last.
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The projects in the order they start, each with its longest files first (durations in a quick
 * run, 2026-12-07, on a 2-core machine); a project's other files follow in vitest's order.
 */
const GROUPS: { project: string; longest: string[] }[] = [
  // Each file of these projects has a runtime or process of its own: no runner to keep.
  {
    project: "package",
    longest: ["test/package/chat.test.ts", "test/package/fan-out-batch.test.ts", "test/package/readme.test.ts"],
  },
  {
    project: "workers-own-runtime",
    longest: [
      "test/edge/chaos/chaos.test.ts",
      "test/edge/host/liveness.test.ts", // probe times, waited out
      "test/edge/relay/relay.test.ts",
      "test/edge/events/delivery.test.ts",
      "test/edge/events/transitions.test.ts",
    ],
  },
  { project: "workers-probe-events", longest: [] },
  { project: "workers-queue", longest: [] },
  // Projects whose runners go from file to file (isolate: false).
  {
    project: "node",
    // Files that mostly wait (on timers, Chromium, a server) alternate with files that compute,
    // so that the files running at once keep both cores busy.
    longest: [
      "test/edge/admin/dashboard/dashboard.test.ts", // Chromium and a server, mostly waiting
      "test/client/browser.test.ts",
      "test/protocol/mutation.test.ts",
      "test/tcp/dead-holder.test.ts", // three probe times (3 s each) and more
      "test/docs/scale-model.test.ts",
      "test/tcp/session-events.test.ts", // a receiver failing 30 s in npm run test:full
      "test/tcp/fuzz.test.ts",
      "test/tcp/close-timing.test.ts",
      "test/protocol/differential.test.ts",
      "test/tcp/runtime-close.test.ts", // the runtime's ~10 s linger, waited out (full tier)
      "test/tcp/floods.test.ts",
      "test/client/live.test.ts",
    ],
  },
  // The probe's files before the seed's: the seed's many short files end the run.
  {
    project: "workers-probe",
    longest: [
      "test/edge/probe/size-promise.test.ts",
      "test/edge/probe/scale.test.ts",
      "test/edge/probe/fan-out-tree.test.ts",
      "test/edge/probe/size-groups.test.ts",
    ],
  },
  {
    project: "workers",
    longest: [
      "test/edge/floods/frames.test.ts",
      "test/edge/limits/limits.test.ts",
      "test/seed/size-under-churn.test.ts",
      "test/edge/host/cap-race.test.ts",
    ],
  },
];

export class ByProjectLongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification): number => {
      let g = GROUPS.findIndex((group) => group.project === f.project.name);
      if (g === -1) g = GROUPS.length; // a project not listed: last
      const longest = GROUPS[g]?.longest ?? [];
      const i = longest.findIndex((path) => f.moduleId.endsWith(`/${path}`));
      return g * 1000 + (i === -1 ? longest.length : i);
    };
    return sorted.sort((a, b) => rank(a) - rank(b)); // stable: the rest keep vitest's order
  }
}
