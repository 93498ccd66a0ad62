// The storage of a REGISTRY object, whichever its role: a few named numbers
// and counters in SQLite, flags, and the one alarm it has.
import { bump, combine, MAXIMUM_PREFIX } from "../admin/metrics.js";

export class RegistryStore {
  readonly sql: SqlStorage;
  private readonly cache = new Map<string, number>();
  /** Counters not yet written. */
  private readonly pending = new Map<string, number>();

  constructor(private readonly storage: DurableObjectStorage) {
    this.sql = storage.sql;
    this.sql.exec("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)");
    this.sql.exec("CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)");
  }

  getNumber(name: string): number {
    return this.sql.exec<{ value: number }>("SELECT value FROM meta WHERE name = ?", name).toArray()[0]?.value ?? 0;
  }

  setNumber(name: string, value: number): void {
    this.setNumbers({ [name]: value });
  }

  /** Several at once, in one statement. */
  setNumbers(values: Record<string, number>): void {
    const changed = Object.entries(values).filter(([k, v]) => this.cache.get(k) !== v);
    if (changed.length === 0) return;
    for (const [k, v] of changed) this.cache.set(k, v);
    this.sql.exec(
      `INSERT OR REPLACE INTO meta (name, value) VALUES ${changed.map(() => "(?, ?)").join(", ")}`,
      ...changed.flat(),
    );
  }

  /**
   * Adds to a counter (docs/operations.md#how-they-are-kept-and-what-they-cost): in memory, written by the next
   * request that writes anyway (`flushCounters`, in its own transaction),
   * so a read-only request such as a broadcast writes nothing.
   */
  count(name: string, by = 1): void {
    this.pending.set(name, combine(name, this.pending.get(name) ?? 0, by));
  }

  /**
   * Writes the counters added since the last flush, in one statement per 50
   * (a Durable Object's SQL takes at most 100 bound parameters:
   * https://developers.cloudflare.com/durable-objects/platform/limits/);
   * called by requests that change state.
   */
  flushCounters(): void {
    const rows = [...this.pending];
    for (let i = 0; i < rows.length; i += 50) {
      const chunk = rows.slice(i, i + 50);
      this.sql.exec(
        `INSERT INTO counters (name, value) VALUES ${chunk.map(() => "(?, ?)").join(", ")}
         ON CONFLICT(name) DO UPDATE SET value = CASE WHEN name LIKE '${MAXIMUM_PREFIX}%'
           THEN max(value, excluded.value) ELSE value + excluded.value END`,
        ...chunk.flat(),
      );
    }
    this.pending.clear();
  }

  counters(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.sql.exec<{ name: string; value: number }>("SELECT name, value FROM counters")) {
      out[r.name] = r.value;
    }
    for (const [name, by] of this.pending) bump(out, name, by);
    return out;
  }

  async remember(flag: string): Promise<void> {
    await this.storage.put(flag, true);
  }

  async forget(flag: string): Promise<void> {
    await this.storage.delete(flag);
  }

  async remembers(flag: string): Promise<boolean> {
    return (await this.storage.get<boolean>(flag)) === true;
  }

  /** Arms the alarm for `at`, unless it is already armed for earlier. */
  async wakeAt(at: number): Promise<void> {
    const armed = await this.storage.getAlarm();
    if (armed === null || armed > at) await this.storage.setAlarm(at);
  }
}
