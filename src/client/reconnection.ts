// Whether and when the client tries again after a drop
// (docs/client.md#reconnection, docs/client.md#onlineoffline): not at all
// with `reconnection: false` or after `reconnectionAttempts` in a row, else
// after a full-jitter backoff (backoff.ts); the attempt count and its reset
// once a connection stayed open `stableAfter`; and the browser's
// online/offline hints. It keeps the timers and fires `restoring` and
// `unrestored(n, "attempts")`; the link (link.ts) decides whether a close is
// final and makes the connection.
import { CLOSE } from "../protocol/control.js";
import { backoffDelay, floodDelay } from "./backoff.js";
import type { Emitter } from "./emitter.js";
import { isOnline, pageWindow, watchOnline } from "./online.js";
import type { Settings } from "./options.js";

type Timer = ReturnType<typeof setTimeout>;

/** What reconnection asks of the link. */
export interface Reconnectable {
  /** Reconnection is off or its attempts are spent: the client stays closed. */
  giveUp(): void;
  /** An attempt is due: a connection opens, unless the page has one or stopped meanwhile. */
  reopen(): void;
  /** The browser went offline: pings the open socket now to find out whether it survived; false when none is open. */
  probe(): boolean;
}

export class Reconnection {
  /** Reconnection attempts since the last stable connection. */
  attempts = 0;
  private retry: Timer | undefined;
  private stable: Timer | undefined;
  private unwatch: () => void = () => {};

  constructor(
    private readonly settings: Settings,
    private readonly events: Emitter,
    private readonly link: Reconnectable,
  ) {}

  /** The page wants a connection: the browser's online/offline hints count from now. */
  watch(): void {
    if (this.settings.watchOnline) {
      this.unwatch = watchOnline(pageWindow(), { online: () => this.online(), offline: () => this.offline() });
    }
  }

  /** The page no longer wants a connection: nothing is planned, and online/offline go unheard. */
  stop(): void {
    this.cancel();
    this.unwatch();
    this.unwatch = () => {};
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

  /**
   * The connection dropped, and the close was not final: plans the next
   * attempt, or gives up. After a flood close (`code` 1008) it waits at
   * least half of `reconnectionDelayMax` (backoff.ts `floodDelay`).
   */
  dropped(code?: number): void {
    const s = this.settings;
    if (!s.reconnection) {
      this.link.giveUp();
      return;
    }
    if (this.attempts >= s.reconnectionAttempts) {
      this.link.giveUp();
      this.events.fire("unrestored", this.attempts, "attempts");
      return;
    }
    clearTimeout(this.retry);
    // Offline, an attempt would fail at once: wait for the "online" event,
    // and try at the cap anyway in case that event never comes.
    const cap = s.reconnectionDelayMax * 1000;
    const backoff = { base: s.reconnectionDelay * 1000, cap };
    const wait = code === CLOSE.flood ? floodDelay(cap, s.random) : backoffDelay(this.attempts, backoff, s.random);
    const delay = isOnline() ? wait : cap;
    this.retry = setTimeout(() => this.due(), delay);
  }

  /** No attempt is planned any more. */
  cancel(): void {
    clearTimeout(this.retry);
    this.retry = undefined;
  }

  /** The browser is online again: a pending attempt is made soon rather than after the rest of its backoff. */
  private online(): void {
    if (this.retry === undefined) return;
    // Soon, not at once: every page of a network that came back would otherwise reconnect in the same instant.
    clearTimeout(this.retry);
    const s = this.settings;
    this.retry = setTimeout(() => this.due(), Math.floor(s.random() * s.reconnectionDelay * 1000));
  }

  /** The browser went offline: a pending attempt is planned again, now at the cap. */
  private offline(): void {
    if (!this.link.probe() && this.retry !== undefined) this.dropped();
  }

  private due(): void {
    this.retry = undefined;
    this.events.fire("restoring", this.attempts);
    // One made while the browser says it is offline (at the cap, in case the
    // "online" event never comes) does not count against reconnectionAttempts.
    if (isOnline()) this.attempts++;
    this.link.reopen();
  }
}
