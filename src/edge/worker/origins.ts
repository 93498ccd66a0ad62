// The origin allowlist (docs/security.md#origin-allowlist). A browser sends the page's
// Origin with every WebSocket upgrade (RFC 6455 section 4.1, item 8) and,
// unlike fetch, applies no CORS check to it: without this check any page on
// the web can open a socket to the server with its visitor's cookies and IP.
// Non-browser clients need not send Origin at all.
/** One allowed origin, or a family of them (`*.example.com`). */
export type OriginPattern =
  | { readonly kind: "any" }
  | { readonly kind: "null" }
  | {
      readonly kind: "host";
      /** null: http or https. */
      readonly scheme: string | null;
      /** Lower case, without `*.`; a bracketed IPv6 address stays bracketed. */
      readonly host: string;
      /** `*.host`: any name under host, not host itself. */
      readonly subdomains: boolean;
      /** "" for the scheme's default port, as browsers serialize origins. */
      readonly port: string;
    };

const PATTERN =
  /^(?:([a-z][a-z0-9+.-]*):\/\/)?(\*\.)?([a-z0-9_-]+(?:\.[a-z0-9_-]+)*|\[[0-9a-f:.]+\])(?::(\d{1,5}))?\/?$/;
// An origin as browsers serialize it (RFC 6454 section 6.2): scheme://host[:port], no path.
const ORIGIN = /^([a-z][a-z0-9+.-]*):\/\/([^/:[\]]+|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/;

/** Parses one allowlist entry; throws a RangeError naming `where` for a malformed one. */
export function parseOriginPattern(entry: string, where: string): OriginPattern {
  const text = entry.trim().toLowerCase();
  if (text === "*") return { kind: "any" };
  if (text === "null") return { kind: "null" };
  const m = PATTERN.exec(text);
  if (m === null) {
    throw new RangeError(
      `${where}: ${JSON.stringify(entry)} is not an origin (https://app.example.com, *.example.com, null or *)`,
    );
  }
  return { kind: "host", scheme: m[1] ?? null, subdomains: m[2] !== undefined, host: m[3] as string, port: m[4] ?? "" };
}

function matches(p: OriginPattern, origin: string): boolean {
  if (p.kind === "any") return true;
  if (p.kind === "null") return origin === "null";
  const m = ORIGIN.exec(origin);
  if (m === null) return false;
  const [, scheme, host, port = ""] = m as unknown as [string, string, string, string | undefined];
  if (p.scheme === null ? scheme !== "http" && scheme !== "https" : scheme !== p.scheme) return false;
  if (port !== p.port) return false;
  return p.subdomains ? host.endsWith(`.${p.host}`) : host === p.host;
}

// ALLOWED_ORIGINS is parsed once per isolate (it only changes with a deploy).
let parsedVar: { text: string; patterns: OriginPattern[] } | undefined;

/**
 * The deployment's list: ALLOWED_ORIGINS, comma-separated. A malformed
 * entry is logged and allows nothing, so a typo never opens the door.
 */
function fromVar(text: string): OriginPattern[] {
  if (parsedVar?.text !== text) {
    const patterns: OriginPattern[] = [];
    for (const entry of text.split(",")) {
      if (entry.trim() === "") continue;
      try {
        patterns.push(parseOriginPattern(entry, "ALLOWED_ORIGINS"));
      } catch (e) {
        console.error(`sockizy-edge: ${(e as Error).message}; that entry allows nothing`);
      }
    }
    parsedVar = { text, patterns };
  }
  return parsedVar.patterns;
}

/**
 * Whether an upgrade with this Origin header (null: none) may proceed. The
 * deployment variable, when set, replaces the application's list; with
 * neither, every origin is allowed.
 */
export function originAllowed(origins: Origins, allowedVar: string | undefined, origin: string | null): boolean {
  if (origin === null) return origins.allowMissing;
  const allowed = allowedVar !== undefined && allowedVar.trim() !== "" ? fromVar(allowedVar) : origins.allowed;
  if (allowed === null) return true;
  const o = origin.trim().toLowerCase();
  return allowed.some((p) => matches(p, o));
}

export interface OriginOptions {
  /**
   * Origins allowed to open a WebSocket: `https://app.example.com`,
   * `https://*.example.com` (any subdomain), `*.example.com` (either
   * scheme), `null` (the literal Origin `null`). Default: every origin. The
   * deployment variable `ALLOWED_ORIGINS` (comma-separated), when set,
   * replaces this list.
   */
  readonly allowed?: readonly string[];
  /** Whether an upgrade without an Origin header (not a browser) is allowed. Default true. */
  readonly allowMissing?: boolean;
}

/** The origin rules with defaults filled in; `allowed` null means every origin. */
export interface Origins {
  readonly allowed: readonly OriginPattern[] | null;
  readonly allowMissing: boolean;
}

/** The app's `origins` option, checked and with defaults filled in. */
export function resolveOrigins(options: OriginOptions | undefined): Origins {
  return {
    allowed: options?.allowed ? options.allowed.map((p) => parseOriginPattern(p, "origins.allowed")) : null,
    allowMissing: options?.allowMissing ?? true,
  };
}
