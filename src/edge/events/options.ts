// What an application says about its session events (`defineApp({ events })`,
// docs/events.md#options): the grace before an offline is reported, and how
// the outbox delivers and gives up. Which sink (a webhook, a Queue) is the
// deployment's choice, in its env (docs/events.md#sinks).

export interface EventOptions {
  /** An `offline` followed within this many ms by a new socket of the uid is reported as neither. Default 0. */
  readonly offlineGraceMs?: number;
  /** An event not delivered this long after its `at` is dropped, logged and counted (its `seq` is then missing). Default 24 h. */
  readonly maxAgeMs?: number;
  /** Undelivered events one uid keeps; one more drops the oldest, as `maxAgeMs` does. Default 1,000. */
  readonly maxPending?: number;
  /** The wait before the first retry, in ms; each retry doubles it up to `retryMaxMs`, jittered. Default 1 s. */
  readonly retryBaseMs?: number;
  /** The longest wait between retries, in ms. Default 5 min. */
  readonly retryMaxMs?: number;
  /** How long a webhook call may take before it counts as failed, in ms. Default 10 s. */
  readonly timeoutMs?: number;
}

export type Events = Required<EventOptions>;

export const EVENT_DEFAULTS = {
  offlineGraceMs: 0,
  maxAgeMs: 24 * 60 * 60_000,
  maxPending: 1_000,
  retryBaseMs: 1_000,
  retryMaxMs: 5 * 60_000,
  timeoutMs: 10_000,
} as const satisfies Events;

export function resolveEvents(options: EventOptions = {}): Events {
  const out = { ...EVENT_DEFAULTS, ...options };
  for (const [name, value] of Object.entries(out)) {
    const least = name === "offlineGraceMs" ? 0 : 1;
    if (!(Number.isInteger(value) && value >= least)) {
      throw new RangeError(`events.${name} must be a whole number of at least ${least}`);
    }
  }
  if (out.retryMaxMs < out.retryBaseMs) throw new RangeError("events.retryMaxMs must be at least events.retryBaseMs");
  return out;
}
