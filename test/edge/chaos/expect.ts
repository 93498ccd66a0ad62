// What one operation must make clients receive: frames per socket (as a
// multiset: frames one op sends to one socket may interleave), frames that
// exactly one of several sockets gets, and closes. `match` compares that
// with what arrived and names what is missing and what is extra.

/** A frame as the checker sees it: texts as they are, binary frames described by the app's wire. */
export type Frame = string;

/** A frame whose text may vary within what the server promises (a reply's `size` under load). */
export interface FrameLike {
  readonly describe: string;
  test(frame: Frame): boolean;
}

export type FrameMatch = Frame | FrameLike;

const describe = (m: FrameMatch) => (typeof m === "string" ? m : m.describe);
const fits = (m: FrameMatch, f: Frame) => (typeof m === "string" ? m === f : m.test(f));

export class Expected {
  readonly frames = new Map<number, FrameMatch[]>();
  readonly oneOf: { ids: number[]; frame: Frame }[] = [];
  readonly closes = new Map<number, number>();

  add(id: number, frame: FrameMatch): void {
    const list = this.frames.get(id) ?? [];
    list.push(frame);
    this.frames.set(id, list);
  }

  addEach(ids: Iterable<number>, frame: FrameMatch): void {
    for (const id of ids) this.add(id, frame);
  }

  /** Exactly one of `ids` gets `frame` (spec: "one of them gets session.end"). */
  addOneOf(ids: number[], frame: Frame): void {
    if (ids.length === 1) this.add(ids[0] as number, frame);
    else if (ids.length > 1) this.oneOf.push({ ids, frame });
  }

  close(id: number, code: number): void {
    this.closes.set(id, code);
  }
}

export interface Received {
  frames: Frame[];
  closeCode: number | undefined;
}

export interface Verdict {
  missing: string[];
  extra: string[];
}

/** Compares what each socket received during one op with what was expected. */
export function match(expected: Expected, received: Map<number, Received>, openInModel: Set<number>): Verdict {
  const missing: string[] = [];
  const extra: string[] = [];
  const left = new Map<number, Frame[]>();
  for (const [id, r] of received) left.set(id, [...r.frames]);
  const take = (id: number, m: FrameMatch): boolean => {
    const frames = left.get(id) ?? [];
    const i = frames.findIndex((f) => fits(m, f));
    if (i < 0) return false;
    frames.splice(i, 1);
    return true;
  };
  // Exact texts first, so a loose match cannot take a frame an exact one needs.
  for (const [id, list] of expected.frames) {
    const ordered = [...list].sort((a, b) => Number(typeof a !== "string") - Number(typeof b !== "string"));
    for (const m of ordered) if (!take(id, m)) missing.push(`socket ${id}: ${describe(m)}`);
  }
  for (const { ids, frame } of expected.oneOf) {
    if (!ids.some((id) => take(id, frame))) missing.push(`one of sockets ${ids.join(",")}: ${frame}`);
  }
  for (const [id, frames] of left) for (const f of frames) extra.push(`socket ${id}: ${f}`);
  for (const [id, r] of received) {
    const want = expected.closes.get(id);
    if (want !== undefined && r.closeCode !== want) missing.push(`socket ${id}: close ${want} (has ${r.closeCode})`);
    if (want === undefined && r.closeCode !== undefined && openInModel.has(id)) {
      extra.push(`socket ${id}: close ${r.closeCode} while the model has it open`);
    }
  }
  return { missing, extra };
}
