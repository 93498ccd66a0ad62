// Deliberately wrong models, each off the spec in one small way: a run
// checked against one of them must fail, which shows the checker can.
import { env } from "cloudflare:workers";
import { type Effect, type ModelSocket, SessionModel, type Uid } from "./model.js";

/** Admits a sign-in while `cap` sockets are already bound (cap + 1 per uid). */
export class OffByOneCapModel extends SessionModel {
  protected override admits(others: number): boolean {
    return others <= this.rules.cap;
  }
}

/** Forgets that a socket that closes is unbound: its slot stays taken. */
export class SlotKeptOnCloseModel extends SessionModel {
  protected override unbindOnClose(_s: ModelSocket): Effect[] {
    return [];
  }
}

/** Forgets relayed sockets in the cap: a sign-in meets only the sockets its uid's object holds itself. */
export class RelayUncountedModel extends SessionModel {
  protected override seats(uid: Uid, s: ModelSocket): ModelSocket[] {
    return super.seats(uid, s).filter((o) => !this.relayed(o));
  }
}

/**
 * Forgets that the uid's object lets go of a relayed member whose holder was
 * reset (its audit finds the socket gone): the member keeps its slot.
 */
export class RelayGhostKeptModel extends SessionModel {
  protected override lostMember(_s: ModelSocket): Effect[] {
    return [];
  }
}

/**
 * The wrong models a file checks against: every one in the full tier, the first in the quick
 * one (`CHAOS_WRONG_MODELS`, vitest.config.ts), which still shows the checker failing.
 */
export function wrongModels<T>(all: readonly T[]): T[] {
  const which = (env as unknown as Record<string, unknown>).CHAOS_WRONG_MODELS;
  return which === "first" ? all.slice(0, 1) : [...all];
}
