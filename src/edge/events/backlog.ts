// A registry shard's view of its users' undelivered session events
// (docs/events.md#metrics): for each user whose outbox has an event that
// failed to be delivered, that event's `at`. A table made at the first such
// report, so shards of a deployment whose sink never fails have none.

export class EventBacklog {
  /** Whether the table exists (read once per wake). */
  private exists: boolean | undefined;

  constructor(private readonly sql: SqlStorage) {}

  private table(make: boolean): boolean {
    this.exists ??=
      this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'event_backlog'").toArray().length > 0;
    if (!this.exists && make) {
      this.sql.exec("CREATE TABLE event_backlog (uid TEXT PRIMARY KEY, since INTEGER NOT NULL)");
      this.exists = true;
    }
    return this.exists;
  }

  /** What uid's object said: the `at` of its oldest failing event, or null (none). */
  set(uid: string, since: number | null): void {
    if (since === null) {
      if (this.table(false)) this.sql.exec("DELETE FROM event_backlog WHERE uid = ?", uid);
    } else if (this.table(true)) {
      this.sql.exec("INSERT OR REPLACE INTO event_backlog (uid, since) VALUES (?, ?)", uid, since);
    }
  }

  /** The oldest of them, or null. */
  oldest(): number | null {
    if (!this.table(false)) return null;
    return this.sql.exec<{ since: number | null }>("SELECT MIN(since) AS since FROM event_backlog").one().since;
  }
}
