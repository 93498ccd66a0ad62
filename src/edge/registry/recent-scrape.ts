// The global object's latest scrape of every shard and lobby, for
// /admin/stats (docs/dashboard.md#what-a-poll-costs): a poll within
// `maxAgeMs` of the last scrape reuses it, and polls that arrive while a
// scrape is under way wait for that one, so dashboards polling every few
// seconds cost at most one scrape per `maxAgeMs` between them. In memory
// only: after the object is evicted the next poll scrapes again.

export class RecentScrape<T> {
  private last: { at: number; value: Promise<T> } | undefined;

  constructor(private readonly maxAgeMs: number) {}

  /** The latest scrape and when it started, or a new one from `scrape` when that is older than `maxAgeMs`. */
  async get(scrape: () => Promise<T>, now = Date.now()): Promise<{ at: number; value: T }> {
    if (this.last === undefined || now - this.last.at > this.maxAgeMs) this.keep(now, scrape());
    const { at, value } = this.last as { at: number; value: Promise<T> };
    return { at, value: await value };
  }

  /** A scrape started at `at`, kept for the polls after it (also one made for GET /admin/metrics). */
  keep(at: number, value: Promise<T>): void {
    const entry = { at, value };
    this.last = entry;
    // A failed scrape is not kept: the next poll tries again (its caller sees the failure).
    value.catch(() => {
      if (this.last === entry) this.last = undefined;
    });
  }
}
