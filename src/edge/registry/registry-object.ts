// The REGISTRY binding's class. One class, four roles, told apart by the
// object's name (docs/scale.md#size-from-the-shards): "global" knows `size` and roots
// broadcasts (global.ts); "shard-N" counts the users whose uid
// hashes to N (shard.ts); "group-<level>-<index>" sums the counts of up to
// SIZE_FAN_IN shards or groups where there are more shards than the global
// object hears from (group.ts, docs/scale.md#the-size-tree); "fanout:<path>"
// carries a slice of a fan-out and keeps nothing (fan-out-tree.ts). One
// binding, so a deployment declares the same classes whatever the number of shards.
import { DurableObject } from "cloudflare:workers";
import type { Counters, MetricsSnapshot, ShardStats } from "../admin/metrics.js";
import type { AdminStats } from "../admin/stats.js";
import type { App, Uid } from "../app/define-app.js";
import type {
  Ask,
  Frame,
  GlobalRpc,
  GroupRpc,
  NodeRef,
  PushAnswer,
  ShardCounts,
  ShardRpc,
  SliceRpc,
  Target,
  TreeResult,
  UserState,
} from "../rpc/contracts.js";
import type { Env } from "../rpc/env.js";
import { fanOutTree } from "./fan-out-tree.js";
import { RegistryGlobal } from "./global.js";
import { RegistryGroup } from "./group.js";
import { RegistryShard } from "./shard.js";
import { RegistryStore } from "./store.js";

export function registryObjectClass(app: App) {
  return class RegistryObject extends DurableObject<Env> implements ShardRpc, GroupRpc, GlobalRpc, SliceRpc {
    private shardRole: RegistryShard | undefined;
    private groupRole: RegistryGroup | undefined;
    private globalRole: RegistryGlobal | undefined;

    /** Made at first use: a slice object keeps nothing, and must not even create tables. */
    private storeOfRole: RegistryStore | undefined;
    private get store(): RegistryStore {
      this.storeOfRole ??= new RegistryStore(this.ctx.storage);
      return this.storeOfRole;
    }

    /** The shard role; its number comes with every call (and is kept for the alarm). */
    private asShard(shard: number): RegistryShard {
      if (this.shardRole === undefined) {
        // Read before written: a broadcast wakes every shard, and must write nothing (docs/operations.md#how-they-are-kept-and-what-they-cost).
        if (this.store.getNumber("role") !== ROLE_SHARD || this.store.getNumber("shard") !== shard) {
          this.store.setNumbers({ shard, role: ROLE_SHARD });
        }
        this.shardRole = new RegistryShard(this.store, this.env, app, shard);
      }
      return this.shardRole;
    }

    /** The size group role; which group comes with every call (and is kept for the alarm). */
    private asGroup(group: NodeRef): RegistryGroup {
      if (this.groupRole === undefined) {
        const { level, index } = group;
        const s = this.store;
        if (s.getNumber("role") !== ROLE_GROUP || s.getNumber("level") !== level || s.getNumber("index") !== index) {
          s.setNumbers({ level, index, role: ROLE_GROUP });
        }
        this.groupRole = new RegistryGroup(this.store, this.env, app, group);
      }
      return this.groupRole;
    }

    private asGlobal(): RegistryGlobal {
      if (this.globalRole === undefined) {
        if (this.store.getNumber("role") !== ROLE_GLOBAL) this.store.setNumber("role", ROLE_GLOBAL);
        this.globalRole = new RegistryGlobal(this.store, this.env, app, (work) => this.ctx.waitUntil(work));
      }
      return this.globalRole;
    }

    // The shard role (ShardRpc).
    setUser(shard: number, uid: Uid, state: UserState, counters?: Counters): Promise<number> {
      return this.asShard(shard).setUser(uid, state, counters);
    }
    async eventReport(shard: number, uid: Uid, counters: Counters, failingSince: number | null): Promise<void> {
      this.asShard(shard).eventReport(uid, counters, failingSince);
    }
    async shardSize(shard: number): Promise<number> {
      return this.asShard(shard).currentSize();
    }
    shardBroadcast(shard: number, frame: Frame): Promise<TreeResult> {
      return this.asShard(shard).broadcast(frame);
    }
    shardSessionEmit(shard: number, message: unknown): Promise<TreeResult> {
      return this.asShard(shard).sessionEmit(message);
    }
    async shardStats(shard: number): Promise<ShardStats> {
      return this.asShard(shard).stats();
    }
    shardResync(shard: number): Promise<void> {
      return this.asShard(shard).resync();
    }

    // The size group role (GroupRpc).
    groupPush(group: NodeRef, child: NodeRef, counts: ShardCounts | null): Promise<PushAnswer> {
      return this.asGroup(group).push(child, counts);
    }
    groupBroadcast(group: NodeRef, frame: Frame): Promise<TreeResult> {
      return this.asGroup(group).broadcast({ frame });
    }
    groupSessionEmit(group: NodeRef, message: unknown): Promise<TreeResult> {
      return this.asGroup(group).broadcast({ session: message });
    }
    groupStats(group: NodeRef): Promise<TreeResult> {
      return this.asGroup(group).stats();
    }
    groupResync(group: NodeRef): Promise<void> {
      return this.asGroup(group).resync();
    }

    // The global role (GlobalRpc).
    async push(child: NodeRef, counts: ShardCounts | null): Promise<PushAnswer> {
      return this.asGlobal().push(child, counts);
    }
    async setLobby(shard: number, online: boolean): Promise<void> {
      this.asGlobal().setLobby(shard, online);
    }
    async size(): Promise<number> {
      return this.asGlobal().size();
    }
    broadcast(frame: Frame): Promise<TreeResult> {
      return this.asGlobal().broadcast(frame);
    }
    sessionEmitAll(message: unknown): Promise<TreeResult> {
      return this.asGlobal().sessionEmitAll(message);
    }
    metrics(): Promise<MetricsSnapshot> {
      return this.asGlobal().metrics();
    }
    stats(): Promise<AdminStats> {
      return this.asGlobal().stats();
    }

    // The slice role (SliceRpc): no storage, no counters; what it did comes back in its result.
    async fanOutSlice(path: string, targets: Target[], ask: Ask): Promise<TreeResult> {
      const result = await fanOutTree(this.env, app, path, targets, ask);
      result.slices += 1;
      return result;
    }

    /** Only a shard or a size group arms an alarm: a held-back or failed push of its counts. */
    override async alarm(): Promise<void> {
      const role = this.store.getNumber("role");
      if (role === ROLE_SHARD) await this.asShard(this.store.getNumber("shard")).alarm();
      if (role === ROLE_GROUP) {
        await this.asGroup({ level: this.store.getNumber("level"), index: this.store.getNumber("index") }).alarm();
      }
    }
  };
}

const ROLE_SHARD = 1;
const ROLE_GLOBAL = 2;
const ROLE_GROUP = 3;
