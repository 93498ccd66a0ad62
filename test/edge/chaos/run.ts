// One chaos run: ops drawn from a seeded PRNG, each applied to the model
// and performed on the real system, then compared; a checkpoint every few
// ops compares size and every uid's count once quiet.
import { ChaosMismatch, converges, settle, type Where } from "./check.js";
import { Driver } from "./driver.js";
import { EventCheck } from "./events.js";
import { Expected } from "./expect.js";
import { OpGenerator } from "./generator.js";
import { type Effect, SessionModel } from "./model.js";
import { describeOp, type Op } from "./ops.js";
import { Prng } from "./prng.js";
import type { SizeOf, Wire } from "./wire.js";

export interface RunOptions {
  wire: Wire;
  seed: number;
  ops: number;
  /** The model to check against (a deliberately wrong one shows the checker fails). */
  model?: SessionModel;
  /** Ops between checkpoints. */
  checkEvery?: number;
  /** Client IPs are `${ipPrefix}.x.y`. */
  ipPrefix?: string;
  /** Compare the session events a webhook receiver got with the model's transitions (events.ts). */
  events?: boolean;
}

export interface RunStats {
  ops: number;
  ms: number;
  byOp: Record<string, number>;
  /** Time spent per kind of op. */
  msByOp: Record<string, number>;
  checkpoints: number;
  mostOpen: number;
  /** Relayed sign-ins the model saw (`SessionModel.relays`). */
  relays: SessionModel["relays"];
}

const HISTORY = 15;

export async function runChaos(options: RunOptions): Promise<RunStats> {
  const { wire, seed } = options;
  const model = options.model ?? new SessionModel(wire.rules);
  const driver = new Driver(wire, options.ipPrefix ?? "10.99");
  const generator = new OpGenerator(new Prng(seed), wire.profile, driver.mayFail);
  const checkEvery = options.checkEvery ?? 50;
  const stats: RunStats = { ops: 0, ms: 0, byOp: {}, msByOp: {}, checkpoints: 0, mostOpen: 0, relays: model.relays };
  const history: string[] = [];
  const start = Date.now();
  const where = (step: number, op: string): Where => ({ seed, step, op, history: history.slice(-HISTORY) });
  const sizeOf = replySizes(model);
  const events = options.events ? new EventCheck(wire.profile.uids) : undefined;
  await events?.start();

  /** One op: the model's prediction, the real op, the comparison. */
  async function step(n: number, op: Op): Promise<void> {
    const at = where(n, describeOp(op));
    const began = Date.now();
    const expected = new Expected();
    const gone = new Set<number>();
    let effects: Effect[] = [];
    const problems: string[] = [];
    driver.heartbeat();
    const unbinds = op.op === "signOut" || op.op === "close" || op.op === "disconnect" ? model.get(op.id).uid : null;
    const counts = events?.counts(model);
    switch (op.op) {
      case "open": {
        const ctl = op.plain !== true;
        const opened = model.connect(ctl, op.credentials);
        effects = opened.effects;
        await driver.open(opened.id, op.credentials, ctl);
        break;
      }
      case "close":
        gone.add(op.id);
        effects = model.close(op.id);
        expected.close(op.id, op.code ?? 1005);
        await driver.close(op.id, op.code);
        break;
      case "size":
        await converges("size", () => wire.size(), model.size(), at);
        if (op.via !== undefined) {
          const via = driver.client(op.via);
          const want = model.size();
          await converges(
            "size asked through a socket",
            async () => {
              const { frame, size } = await wire.askSize(via);
              expected.add(op.via as number, frame);
              return size;
            },
            want,
            at,
          );
        }
        break;
      case "hibernate":
        await driver.hibernate(wire.profile.uids, wire.registryShards);
        break;
      case "evict":
        await driver.evict(op.where);
        break;
      case "reset": {
        const members = model.relayedFrom(op.where);
        effects = model.reset(op.where);
        await driver.reset(op.where, members);
        break;
      }
      default:
        if (op.op === "signIn" && "bad" in op.credentials && model.get(op.id).uid === null) driver.failed(op.id);
        effects = predict(model, op, wire);
        problems.push(...(await wire.perform(op, driver.client, model, expected)));
    }
    if (problems.length > 0) throw new ChaosMismatch(at, problems);
    if (counts) events?.record(counts, model, op);
    if ((op.op === "close" || op.op === "disconnect") && effects.some((e) => e.kind === "session.end")) {
      // The server handles a close after the client sees it: it runs session.end (whose frames may
      // reach no one) and only then tells the registry. Size reaching the model's says it is done,
      // so what the next op opens cannot receive this one's frames.
      await converges("size after the uid's last socket closed", () => wire.size(), model.size(), at);
    }
    if (unbinds !== null) {
      // Likewise a sign-out or close the client saw nothing of (the seed answers neither), or whose
      // unbind crosses to another object (a relayed socket's): its uid's count reaching the model's
      // says the server is done, so the next op (an admin call, a sign-in) does not overtake it.
      await converges(`count(${unbinds}) after the unbind`, () => driver.count(unbinds), model.count(unbinds), at);
    }
    wire.frames(effects, model, expected, gone, sizeOf);
    await settle(driver, expected, model, at);
    history.push(`${n}: ${at.op} (${Date.now() - began} ms)`);
  }

  /** Size and every uid's count, once quiet. */
  async function checkpoint(n: number): Promise<void> {
    stats.checkpoints++;
    const live = model.live();
    await step(n, { op: "size", ...(live.length > 0 ? { via: (live[0] as { id: number }).id } : {}) });
    for (const uid of wire.profile.uids) {
      await converges(`count(${uid})`, () => driver.count(uid), model.count(uid), where(n, `checkpoint count ${uid}`));
    }
    await events?.check(where(n, "checkpoint session events"));
  }

  try {
    for (let n = 1; n <= options.ops; n++) {
      const op = generator.next(model);
      stats.byOp[op.op] = (stats.byOp[op.op] ?? 0) + 1;
      const t0 = Date.now();
      try {
        await step(n, op);
      } catch (e) {
        if (e instanceof ChaosMismatch) throw e;
        throw new ChaosMismatch(where(n, describeOp(op)), [`the op failed after ${Date.now() - t0} ms: ${e}`]);
      }
      stats.msByOp[op.op] = (stats.msByOp[op.op] ?? 0) + Date.now() - t0;
      stats.mostOpen = Math.max(stats.mostOpen, model.live().length);
      if (n % checkEvery === 0) await checkpoint(n);
    }
    await checkpoint(options.ops);
    stats.ops = options.ops;
  } finally {
    await driver.closeAll();
  }
  stats.ms = Date.now() - start;
  return stats;
}

/** The model's side of a call op. */
function predict(model: SessionModel, op: Op, wire: Wire): Effect[] {
  switch (op.op) {
    case "signIn":
      return model.signInFrame(op.id, op.credentials);
    case "signOut":
      return model.signOut(op.id);
    case "disconnect":
      return model.serverClose(op.id, wire.disconnectCode);
    case "clear":
      return model.clear(op.uid);
    case "kick":
      return model.kick(op.uid);
    case "emit":
      return model.emit(op.message, op.uid);
    default:
      return [];
  }
}

/**
 * What size a sign-in reply carries: exactly the model's. A run makes a few changes a second,
 * far below the global object's push budget, where every reply counts its own change and every
 * change that completed before it (docs/scale.md#the-promise).
 */
function replySizes(model: SessionModel): SizeOf {
  return (_uid, text) => text(model.size());
}
