// A node of the size tree telling its parent its counts (docs/scale.md#the-promise): a registry
// shard tells its size group or the global object, a size group tells the next one up. A push
// is also the question "how many users are there outside me?", so whoever asks for `size` gets
// it exact when the push may go at once: it starts after the question came, and its answer
// counts every change its parent had heard of by then. When the parent's budget says wait, the
// push is held until the slot the parent gave (the alarm, durable), and `size` comes from what
// the node last heard, which is then at most that wait (plus the call) old.
import { C } from "../admin/metrics.js";
import type { App } from "../app/define-app.js";
import type { NodeRef, PushAnswer, ShardCounts } from "../rpc/contracts.js";
import type { Env } from "../rpc/env.js";
import { groupStub } from "../rpc/names.js";
import { parentKey } from "./size-tree.js";
import type { RegistryStore } from "./store.js";

/** A parent as a child pushes to it: `counts` null makes it forget the child. */
export type Push = (counts: ShardCounts | null) => Promise<PushAnswer>;

export class SizeUplink {
  /** The users outside this node, as its parent last said. */
  private outside = 0;
  /** What the last successful push said (in memory: after a wake, the next question pushes). */
  private pushed: ShardCounts | undefined;
  /** Whether storage may say a push failed (unknown after a wake, so true). */
  private unpushed = true;
  /** The push in flight, and the one that will follow it with what was asked meanwhile. */
  private pushing: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  /** Whether the push after the one in flight carries a first online user or session. */
  private urgent = false;
  /** When the parent's budget lets this node push again (0 after a wake: at once). */
  private grantAt = 0;
  /** The parent it last pushed to, as parentKey gives it (stored: "parent"). */
  private told: number;

  constructor(
    private readonly store: RegistryStore,
    private readonly env: Env,
    private readonly app: App,
    private readonly self: NodeRef,
    /** What this node pushes: its subtree's counts now. */
    private readonly counts: () => ShardCounts,
    /** The global object as this node calls it (a member of its role, so a test can stand another in). */
    private readonly global: () => Push,
  ) {
    this.told = store.getNumber("parent");
  }

  /** Users outside this node, as last heard. */
  get others(): number {
    return this.outside;
  }

  /**
   * Pushes in a push that starts after this call, if the parent's budget allows it now (or
   * `urgent`: a first online user or session, which a broadcast must know of before the reply);
   * else holds the counts until the parent's slot. Resolves once pushed or held; a caller waits
   * for at most two pushes however busy the node is.
   */
  ask(urgent = false): Promise<void> {
    if (this.pushing) {
      this.urgent ||= urgent;
      this.next ??= this.pushing.then(() => {
        this.next = undefined;
        const now = this.urgent;
        this.urgent = false;
        return this.pushIfGranted(now);
      });
      return this.next;
    }
    return this.pushIfGranted(urgent);
  }

  /** Pushes now, whatever the budget: the tree's shape changed, or the alarm's slot came. */
  async now(): Promise<void> {
    await (this.next ?? this.pushing);
    await this.push();
  }

  /** This node is no longer in the tree: the parent it last told forgets it. */
  async leave(): Promise<void> {
    await (this.next ?? this.pushing);
    await this.parent(this.told)(null);
    this.pushed = { users: 0, online: 0 };
  }

  /** The alarm: a held-back or failed push goes now. */
  async alarm(): Promise<void> {
    await (this.next ?? this.pushing);
    const counts = this.counts();
    const same = this.pushed?.users === counts.users && this.pushed.online === counts.online;
    if (same && this.told === this.route() && !(await this.store.remembers("unpushed"))) return;
    await this.push();
  }

  private async pushIfGranted(urgent: boolean): Promise<void> {
    if (urgent || Date.now() >= this.grantAt) return this.push();
    this.store.count(C.pushesHeld);
    await this.store.wakeAt(this.grantAt);
  }

  /** Pushes the current counts; one push at a time through one stub, so they arrive in order. */
  private push(): Promise<void> {
    this.pushing = (async () => {
      try {
        await this.move();
        const counts = this.counts();
        const answer = await this.parent(this.told)(counts);
        this.pushed = counts;
        this.outside = answer.others;
        this.grantAt = Date.now() + answer.waitMs;
        if (this.unpushed) await this.store.forget("unpushed");
        this.unpushed = false;
      } catch (e) {
        // Said again by the alarm: a failed push is repaired within sizeFlushMs.
        console.error("sockizy-edge: size push failed:", e);
        this.unpushed = true;
        await this.store.remember("unpushed");
        await this.store.wakeAt(Date.now() + this.app.sizeFlushMs);
      } finally {
        this.pushing = undefined;
      }
    })();
    return this.pushing;
  }

  /** Where this node pushes, from `registryShards` (size-tree.ts). */
  private route(): number {
    return parentKey(this.self, this.app.registryShards);
  }

  /**
   * The tree's shape changed (`registryShards` crossed a multiple of SIZE_FAN_IN): the parent
   * this node last told forgets it first, so its users are never counted twice.
   */
  private async move(): Promise<void> {
    const key = this.route();
    if (key === this.told) return;
    await this.parent(this.told)(null);
    this.told = key;
    this.store.setNumber("parent", key);
  }

  private parent(key: number): Push {
    if (key === 0) return this.global();
    const group = { level: this.self.level + 1, index: key - 1 };
    return (counts) => groupStub(this.env, group).groupPush(group, this.self, counts);
  }
}
