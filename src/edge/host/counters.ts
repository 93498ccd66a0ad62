// A socket-holding object's metric counters (docs/operations.md#metrics):
// an integer add in memory per request, stored only with writes the object
// makes anyway. A user object hands them to its registry shard with the
// report it makes anyway; a lobby keeps them and is read by a scrape.
import { bump, C, type Counters, type ObjectClass, type SignInMetric } from "../admin/metrics.js";

export class ObjectCounters {
  /** Counted since the last store or hand-over. Storage's "metrics" holds what was stored and not yet handed on. */
  private pending: Counters = {};
  /** Whether storage holds "metrics" (undefined: not known since the wake), so a hand-over with none stored reads nothing. */
  private stored: boolean | undefined;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly objectClass: ObjectClass,
  ) {}

  /** Whether storage held "metrics" at the wake, when the object read it with its other facts. */
  seed(stored: boolean): void {
    this.stored ??= stored;
  }

  /** One more request handled: an integer add, stored with the next write. */
  request(): void {
    bump(this.pending, C.requests(this.objectClass));
  }

  /** Adds to any counter (a rare event: a flood close, a refused upgrade, a session event), in memory; stored or handed on with what follows. */
  count(name: string, by = 1): void {
    bump(this.pending, name, by);
  }

  /** A sign-in outcome: rare enough to be stored at once, with the requests counted so far. */
  async outcome(outcome: SignInMetric | "resume-refused"): Promise<void> {
    bump(this.pending, C.signIn(outcome === "resume-refused" ? "resume_refused" : outcome));
    // "ok" goes out with the registry report that follows it (and is stored if that fails).
    if (outcome !== "ok") await this.store();
  }

  /** Counters stored and in memory, without handing them on (a lobby's scrape). Neither is read at a wake. */
  async all(): Promise<Counters> {
    const all = { ...((await this.storage.get<Counters>("metrics")) ?? {}) };
    for (const [k, v] of Object.entries(this.pending)) bump(all, k, v);
    return all;
  }

  /** Hands the counters on (with a registry report); `restore` puts them back if that call failed. */
  async take(): Promise<{ counters: Counters; restore: () => Promise<void> }> {
    const stored = this.stored === false ? undefined : await this.storage.get<Counters>("metrics");
    const counters = stored ?? {};
    for (const [k, v] of Object.entries(this.pending)) bump(counters, k, v);
    this.pending = {};
    if (stored) await this.storage.delete("metrics");
    this.stored = false;
    const restore = async () => {
      for (const [k, v] of Object.entries(counters)) bump(this.pending, k, v);
      await this.store();
    };
    return { counters, restore };
  }

  private async store(): Promise<void> {
    const stored = (await this.storage.get<Counters>("metrics")) ?? {};
    for (const [k, v] of Object.entries(this.pending)) bump(stored, k, v);
    this.pending = {};
    this.stored = true;
    await this.storage.put("metrics", stored);
  }
}
