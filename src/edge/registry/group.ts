// A size group: the role of a REGISTRY object named "group-<level>-<index>"
// (docs/scale.md#the-size-tree), there only when `registryShards` is more than one object hears
// from (SIZE_FAN_IN). It sums the counts of its children (shards, or groups one level down) for
// its own parent, hands its children their push budget as the global object does, and carries
// broadcasts and scrapes down to the children that hold someone.
import { C, type GroupStats } from "../admin/metrics.js";
import type { App } from "../app/define-app.js";
import type { Ask, NodeRef, PushAnswer, ShardCounts, TreeResult } from "../rpc/contracts.js";
import type { Env } from "../rpc/env.js";
import { globalStub, groupName } from "../rpc/names.js";
import { fanOutTree } from "./fan-out-tree.js";
import { SizeSum } from "./size-sum.js";
import { topLevel } from "./size-tree.js";
import type { RegistryStore } from "./store.js";
import { resyncStrays } from "./strays.js";
import { SizeUplink } from "./uplink.js";

export class RegistryGroup {
  private readonly sum: SizeSum;
  private readonly uplink: SizeUplink;

  constructor(
    private readonly store: RegistryStore,
    private readonly env: Env,
    private readonly app: App,
    private readonly self: NodeRef,
  ) {
    this.sum = new SizeSum(store, app);
    const global = globalStub(env);
    this.uplink = new SizeUplink(
      store,
      env,
      app,
      self,
      () => this.sum.counts(),
      () => (counts) => global.push(self, counts),
    );
  }

  /**
   * A child's counts. The answer waits for this group's own push when its parent's budget allows
   * it (so a quiet system answers exactly, one call more than without the group) and answers from
   * what it last heard otherwise; a first online user or session goes up at once.
   */
  async push(child: NodeRef, counts: ShardCounts | null): Promise<PushAnswer> {
    this.store.count(C.requests("RegistryGroup"));
    this.store.count(C.pushes);
    const before = this.sum.counts();
    const waitMs = this.sum.apply(child, counts);
    const after = this.sum.counts();
    const first = (before.online === 0 && after.online > 0) || (before.users === 0 && after.users > 0);
    await this.uplink.ask(first);
    return { others: this.sum.users - (counts?.users ?? 0) + this.uplink.others, waitMs };
  }

  /** A broadcast's part below this group: its children holding an online user (a frame) or a session. */
  broadcast(ask: Ask): Promise<TreeResult> {
    this.store.count(C.requests("RegistryGroup"));
    const targets = this.sum.targets("frame" in ask ? "online" : "users");
    return fanOutTree(this.env, this.app, groupName(this.self), targets, ask);
  }

  /** A scrape's part below this group, and this group's own figures. */
  async stats(): Promise<TreeResult> {
    this.store.count(C.requests("RegistryGroup"));
    const result = await fanOutTree(this.env, this.app, groupName(this.self), this.sum.targets("all"), { stats: true });
    const own: GroupStats = {
      level: this.self.level,
      group: this.self.index,
      users: this.sum.users,
      children: this.sum.children(),
      counters: this.store.counters(),
    };
    result.groups.push(own);
    return result;
  }

  /**
   * The tree's shape changed: children that now push elsewhere are told to (all of them when
   * this group is no longer in the tree, which then leaves its parent), and this group's counts
   * go to its parent.
   */
  async resync(): Promise<void> {
    this.store.count(C.requests("RegistryGroup"));
    const gone = this.self.level >= topLevel(this.app.registryShards);
    await resyncStrays(this.env, this.sum, gone ? -1 : this.self.level - 1);
    await (gone ? this.uplink.leave() : this.uplink.now());
  }

  /** The alarm: a held-back or failed push goes now. */
  async alarm(): Promise<void> {
    this.store.count(C.requests("RegistryGroup"));
    await this.uplink.alarm();
  }
}
