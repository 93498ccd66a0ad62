// A user object's outbox (docs/events.md#order-and-delivery): its undelivered
// events in SQLite, by `seq`, each kept as the exact JSON body a sink gets
// (the same on every retry), and one row of state. Made at the first event
// of a deployment with a sink; without one, nothing here is ever touched.
import type { OfflineReason } from "./event.js";

/** The outbox's one row of state, read once per wake and kept in memory. */
export interface OutboxState {
  /** The last `seq` given (0: none yet). */
  seq: number;
  /** What the last event said: online (true) or offline. */
  online: boolean;
  /** An offline held back by the grace: when it happened and why (docs/events.md#grace). */
  offlineAt: number | null;
  offlineReason: OfflineReason | null;
  /** When delivery is next due (null: the outbox is empty). */
  nextAt: number | null;
  /** The audit's alarm time, when the outbox's earlier one displaced it (events/alarm-share.ts). */
  auditAt: number | null;
  /** The alarm time the outbox last set (so the alarm is known to be its own, not the audit's). */
  armedAt: number | null;
}

export interface OutboxRow {
  seq: number;
  body: string;
  at: number;
  attempts: number;
}

interface StateRow extends Record<string, SqlStorageValue> {
  seq: number;
  online: number;
  offline_at: number | null;
  offline_reason: string | null;
  next_at: number | null;
  audit_at: number | null;
  armed_at: number | null;
}

export class Outbox {
  private cached: OutboxState | undefined;

  constructor(private readonly sql: SqlStorage) {}

  /** The state row (the tables made if need be, once per wake). */
  state(): OutboxState {
    if (this.cached) return this.cached;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS session_outbox (
      seq INTEGER PRIMARY KEY, body TEXT NOT NULL, at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0
    )`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS session_outbox_state (
      one INTEGER PRIMARY KEY CHECK (one = 1), seq INTEGER NOT NULL, online INTEGER NOT NULL,
      offline_at INTEGER, offline_reason TEXT, next_at INTEGER, audit_at INTEGER, armed_at INTEGER
    )`);
    const row = this.sql.exec<StateRow>("SELECT * FROM session_outbox_state").toArray()[0];
    this.cached = row
      ? {
          seq: row.seq,
          online: row.online === 1,
          offlineAt: row.offline_at,
          offlineReason: row.offline_reason as OfflineReason | null,
          nextAt: row.next_at,
          auditAt: row.audit_at,
          armedAt: row.armed_at,
        }
      : { seq: 0, online: false, offlineAt: null, offlineReason: null, nextAt: null, auditAt: null, armedAt: null };
    return this.cached;
  }

  /** Writes the state row as it is in memory. */
  save(): void {
    const s = this.state();
    this.sql.exec(
      "INSERT OR REPLACE INTO session_outbox_state VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
      s.seq,
      s.online ? 1 : 0,
      s.offlineAt,
      s.offlineReason,
      s.nextAt,
      s.auditAt,
      s.armedAt,
    );
  }

  append(seq: number, body: string, at: number): void {
    this.sql.exec("INSERT INTO session_outbox (seq, body, at) VALUES (?, ?, ?)", seq, body, at);
  }

  /** The oldest `n` undelivered events, by seq. */
  head(n: number): OutboxRow[] {
    return this.sql
      .exec<OutboxRow & Record<string, SqlStorageValue>>(
        "SELECT seq, body, at, attempts FROM session_outbox ORDER BY seq LIMIT ?",
        n,
      )
      .toArray();
  }

  count(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM session_outbox").one().n;
  }

  /** Removes events up to `seq` (delivered, or dropped). */
  removeThrough(seq: number): void {
    this.sql.exec("DELETE FROM session_outbox WHERE seq <= ?", seq);
  }

  failed(seqs: readonly number[], attempts: number): void {
    for (const seq of seqs) this.sql.exec("UPDATE session_outbox SET attempts = ? WHERE seq = ?", attempts, seq);
  }

  /** The `at` of the oldest event whose delivery has failed at least once, or null (docs/events.md#metrics). */
  failingSince(): number | null {
    const [head] = this.head(1);
    return head && head.attempts > 0 ? head.at : null;
  }
}
