// When the client tries again after a drop (docs/client.md#reconnection,
// docs/client.md#onlineoffline): full-jitter backoff (backoff.ts), the attempt count and
// its reset once a connection stayed open `stableAfter`, and the browser's
// online/offline hints. It keeps the timers; the link (link.ts) decides
// whether to reconnect at all and makes the connection.
import { backoffDelay } from "./backoff.js";
import { isOnline } from "./online.js";
import type { Settings } from "./options.js";

type Timer = ReturnType<typeof setTimeout>;

export class Reconnection {
  /** Reconnection attempts since the last stable connection. */
  attempts = 0;
  private retry: Timer | undefined;
  private stable: Timer | undefined;

  constructor(
    private readonly settings: Settings,
    /** Time for the next attempt. */
    private readonly attempt: () => void,
  ) {}

  /** An attempt is planned. */
  get pending(): boolean {
    return this.retry !== undefined;
  }

  /** True once `reconnectionAttempts` attempts were made in a row. */
  get exhausted(): boolean {
    return this.attempts >= this.settings.reconnectionAttempts;
  }

  /** A connection opened: once it has stayed open `stableAfter`, the count (and the backoff) start over. */
  opened(): void {
    clearTimeout(this.stable);
    this.stable = setTimeout(() => {
      this.attempts = 0;
    }, this.settings.stableAfter * 1000);
  }

  /** The connection is gone or being replaced: it will not become stable. */
  unstable(): void {
    clearTimeout(this.stable);
  }

  /** Plans the next attempt after the backoff delay. */
  schedule(): void {
    const s = this.settings;
    clearTimeout(this.retry);
    // Offline, an attempt would fail at once: wait for the "online" event,
    // and try at the cap anyway in case that event never comes.
    const cap = s.reconnectionDelayMax * 1000;
    const delay = isOnline() ? backoffDelay(this.attempts, { base: s.reconnectionDelay * 1000, cap }, s.random) : cap;
    this.retry = setTimeout(() => this.due(), delay);
  }

  /** No attempt is planned any more. */
  cancel(): void {
    clearTimeout(this.retry);
    this.retry = undefined;
  }

  /**
   * Counts the attempt being made, after its `restoring` event: one made
   * while the browser says it is offline (at the cap, in case the "online"
   * event never comes) does not count against reconnectionAttempts.
   */
  count(): void {
    if (isOnline()) this.attempts++;
  }

  /** The browser is online again: a pending attempt is made soon rather than after the rest of its backoff. */
  online(): void {
    if (this.retry === undefined) return;
    // Soon, not at once: every page of a network that came back would otherwise reconnect in the same instant.
    clearTimeout(this.retry);
    const s = this.settings;
    this.retry = setTimeout(() => this.due(), Math.floor(s.random() * s.reconnectionDelay * 1000));
  }

  private due(): void {
    this.retry = undefined;
    this.attempt();
  }
}
