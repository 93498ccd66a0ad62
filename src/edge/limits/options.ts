// The sign-in rate limits an application declares (`defineApp({ limits })`,
// docs/security.md#sign-in-rate-limits), and their defaults.

/** At most `attempts` within `windowMs`. */
export interface AttemptLimit {
  readonly attempts: number;
  readonly windowMs: number;
}

export interface LimitOptions<Data> {
  /**
   * The account a sign-in names, from its data (the seed: the login).
   * Failed sign-ins are counted per (key, client IP). Without it, or when it
   * returns null, only the per-IP count applies.
   */
  key?(data: Data): string | null | undefined;
  /** Failed sign-ins per (key, client IP). Default 10 per 15 minutes; `false`: not counted. */
  readonly perKey?: AttemptLimit | false;
  /** Failed sign-ins per client IP, over all keys. Default 100 per 15 minutes; `false`: not counted. */
  readonly perIp?: AttemptLimit | false;
  /** Sign-in attempts of any outcome on one socket (in-band). Default 5 per 10 s; `false`: unbounded. */
  readonly perSocket?: AttemptLimit | false;
}

/** The limits with defaults filled in; null means not limited. */
export interface Limits {
  readonly key: (data: unknown) => string | null | undefined;
  readonly perKey: AttemptLimit | null;
  readonly perIp: AttemptLimit | null;
  readonly perSocket: AttemptLimit | null;
}

export const LIMIT_DEFAULTS = {
  perKey: { attempts: 10, windowMs: 15 * 60_000 },
  perIp: { attempts: 100, windowMs: 15 * 60_000 },
  perSocket: { attempts: 5, windowMs: 10_000 },
} as const satisfies Record<string, AttemptLimit>;

const noKey = () => null;

export function resolveLimits(options: LimitOptions<unknown> | false | undefined): Limits {
  if (options === false) return { key: noKey, perKey: null, perIp: null, perSocket: null };
  const limit = (name: keyof typeof LIMIT_DEFAULTS): AttemptLimit | null => {
    const given = options?.[name];
    if (given === false) return null;
    const l = given ?? LIMIT_DEFAULTS[name];
    if (!(Number.isInteger(l.attempts) && l.attempts >= 1 && Number.isFinite(l.windowMs) && l.windowMs >= 1000)) {
      throw new RangeError(`limits.${name}: attempts must be a whole number >= 1 and windowMs at least 1000`);
    }
    return { attempts: l.attempts, windowMs: l.windowMs };
  };
  const key = options?.key;
  return {
    key: key ? (data) => key(data) : noKey,
    perKey: limit("perKey"),
    perIp: limit("perIp"),
    perSocket: limit("perSocket"),
  };
}
