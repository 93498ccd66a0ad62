// Deliberately wrong models, each off the spec in one small way: a run
// checked against one of them must fail, which shows the checker can.
import { type Effect, type ModelSocket, SessionModel } from "./model.js";

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
