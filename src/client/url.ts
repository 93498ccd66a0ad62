// The WebSocket URL from what a page passes to io(): nothing (the page's
// own host, as the original's `<script src="//host">` + io("host") did),
// "host:port", "//host", "ws(s)://...", or "http(s)://..." (the address of
// the page that serves the script).

interface PageLocation {
  readonly protocol: string;
  readonly host: string;
}

/** `secure` forces wss (true) or ws (false), as the original's option did; by default the URL or the page decides. */
export function resolveUrl(url: string | undefined, secure?: boolean): string {
  const page = (globalThis as { location?: PageLocation }).location;
  let rest = (url ?? "").trim();
  if (rest === "") {
    if (!page?.host) throw new TypeError("io(): pass the server's URL (there is no page to take the host from)");
    rest = page.host;
  }
  const scheme = /^(wss?|https?):\/\//i.exec(rest)?.[1]?.toLowerCase();
  rest = rest.replace(/^([a-z]+:)?\/\//i, "");
  const tls = secure ?? (scheme === undefined ? page?.protocol === "https:" : scheme === "wss" || scheme === "https");
  // URL() adds the "/" path when there is none and rejects what is not a URL.
  return new URL(`${tls ? "wss" : "ws"}://${rest}`).href;
}

/**
 * The URL a connection opens: a ping interval other than the default is
 * told to the server (`?hb=<seconds>`, 0 when the heartbeat is off), which
 * judges a silent socket by it (docs/architecture.md#dead-holders).
 */
export function connectionUrl(target: string, pingInterval: number, defaultInterval: number): string {
  if (pingInterval === defaultInterval) return target;
  const url = new URL(target);
  // Whole seconds, as the server takes them (0 to 9999).
  url.searchParams.set("hb", String(Math.min(9999, Math.max(0, Math.ceil(pingInterval)))));
  return url.href;
}
