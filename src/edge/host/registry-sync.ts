// How a socket-holding object keeps the registry told what it holds
// (docs/architecture.md): one call when that changes (connect, close, bind,
// unbind), never per message; what it last said is kept in storage ("reg"),
// so a wake compares with it and a failed call is said again by the next
// sync or the audit (docs/architecture.md#no-ghost-sessions).
import type { Uid } from "../app/packet-maps.js";
import type { GlobalRpc, ShardRpc, UserState } from "../rpc/contracts.js";
import type { Env } from "../rpc/env.js";
import { globalStub, shardStub, stubCache } from "../rpc/names.js";
import type { ObjectCounters } from "./counters.js";

/** What an object last told the registry about itself (kept in storage under "reg"). */
export interface Told {
  /** The registry shard told (a user object), or the lobby's own number. */
  where: number;
  /** The part of the state that object reports (all of it for a user, `online` for a lobby). */
  said: string;
}

/**
 * The registry calls objects make, one stub per target kept for the
 * object's life, so calls to one target arrive in the order they were made.
 */
export interface RegistryClient {
  setUser: ShardRpc["setUser"];
  eventReport: ShardRpc["eventReport"];
  shardSize(shard: number): Promise<number>;
  setLobby(shard: number, online: boolean): Promise<void>;
}

export function registryClient(env: Env): RegistryClient {
  const shard = stubCache((n: number) => shardStub(env, n));
  // Made at first use: only lobbies call the global object, and a stub costs an idFromName.
  let global: GlobalRpc | undefined;
  return {
    setUser: (n, uid, state, counters) => shard(n).setUser(n, uid, state, counters),
    eventReport: (n, uid, counters, since) => shard(n).eventReport(n, uid, counters, since),
    shardSize: (n) => shard(n).shardSize(n),
    setLobby: (n, online) => {
      global ??= globalStub(env);
      return global.setLobby(n, online);
    },
  };
}

/** What the object reports, and how (a user object and a lobby differ). */
export interface Reporter {
  /** What the object holds now. */
  holding(): UserState;
  /** Which registry object hears about this one: a user's shard, or the lobby's own number for the global object. */
  target(): number;
  /** The part of what it holds that this object reports (a change of it means a call). */
  reported(state: UserState): unknown;
  /** Makes the registry call; resolves to `size` when the call gives it. */
  report(where: number, state: UserState): Promise<number | undefined>;
}

/** What an object that holds no socket reports. */
const NOTHING_HELD: UserState = { session: false, online: false, bound: 0, sockets: 0 };

export class RegistrySync {
  /**
   * What storage's "reg" holds, read once per wake (undefined: not read yet;
   * null: nothing): every write goes through here, so a sync compares with
   * memory instead of reading storage on every sign-in and close.
   */
  private told: Told | null | undefined;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly auditMs: number,
    private readonly reporter: Reporter,
  ) {}

  /** What storage's "reg" held at the wake, when the object read it with its other facts. */
  seed(told: Told | undefined): void {
    this.told ??= told ?? null;
  }

  /**
   * Whether the registry may count this object as holding something: what
   * it was last told says so, or that is unknown (never told, or a call
   * failed). Then a wake that is not the audit's keeps the audit even when
   * the object holds nothing now: a reset that dropped its sockets without
   * close events left the registry counting them, and only the audit tells
   * it (docs/architecture.md#no-ghost-sessions).
   */
  mayBeCounted(): boolean {
    if (!this.told) return true;
    return this.told.said !== JSON.stringify(this.reporter.reported(NOTHING_HELD));
  }

  /**
   * Tells the registry what this object now holds, if that changed since
   * it last did; resolves to `size` when it called.
   */
  async sync(): Promise<number | undefined> {
    const state = this.reporter.holding();
    const told: Told = { where: this.reporter.target(), said: JSON.stringify(this.reporter.reported(state)) };
    // No "reg" means unknown (never told, or a call failed): tell it.
    this.told ??= (await this.storage.get<Told>("reg")) ?? null;
    const last = this.told;
    if (last && last.where === told.where && last.said === told.said) return undefined;
    // Stored before the call, so a sync that starts meanwhile compares with what is being said.
    this.told = told;
    await this.storage.put("reg", told);
    // The audit's alarm, armed while the object holds anything (docs/architecture.md#no-ghost-sessions),
    // unless an alarm comes sooner (the outbox may hold it for later: docs/events.md#cost).
    if (state.online || state.session) {
      const armed = await this.storage.getAlarm();
      const audit = Date.now() + this.auditMs;
      if (armed === null || armed > audit) await this.storage.setAlarm(audit);
    }
    try {
      return await this.reporter.report(told.where, state);
    } catch (e) {
      // The registry may not have heard: the next sync, or the audit, says it again.
      this.told = null;
      await this.storage.delete("reg");
      throw e;
    }
  }
}

/**
 * A user object's reports to its uid's shard, with the counters it took
 * since its last one (put back if the call fails). If the uid was last told
 * to another shard (`registryShards` changed), that one forgets it first:
 * the uid is re-homed, never counted twice or stranded. "home" is kept
 * until the old shard has heard, so a failed call is retried by the audit;
 * it is read from storage once per wake.
 */
export class UserReports {
  private home: number | null | undefined;

  constructor(
    private readonly storage: DurableObjectStorage,
    /** Read at each call: a test may stand another registry client in. */
    private readonly registry: () => RegistryClient,
    private readonly counters: ObjectCounters,
  ) {}

  /** What storage's "home" held at the wake, when the object read it with its other facts. */
  seed(home: number | undefined): void {
    this.home ??= home ?? null;
  }

  /** The outbox's counters and backlog after a delivery pass (docs/events.md#metrics), to the uid's shard. */
  async events(uid: Uid, where: number, failingSince: number | null): Promise<void> {
    const { counters, restore } = await this.counters.take();
    try {
      await this.registry().eventReport(where, uid, counters, failingSince);
    } catch (e) {
      await restore();
      throw e;
    }
  }

  async report(uid: Uid, where: number, state: UserState): Promise<number> {
    this.home ??= (await this.storage.get<number>("home")) ?? null;
    const home = this.home;
    if (home !== null && home !== where) {
      await this.registry().setUser(home, uid, { session: false, online: false, bound: 0, sockets: 0 });
    }
    if (home !== where) {
      this.home = where;
      await this.storage.put("home", where);
    }
    const { counters, restore } = await this.counters.take();
    try {
      return await this.registry().setUser(where, uid, state, counters);
    } catch (e) {
      await restore();
      throw e;
    }
  }
}
