// Serving a text asset: an ETag from its content, revalidation with
// If-None-Match (304), and headers a browser and Cloudflare's edge act on.
//
// Cache-Control is "no-cache": browsers (and the edge) keep the file but
// revalidate before each use, and get a body-less 304 while it is
// unchanged. The script carries the application's packet tables, which
// must match the server right after a deploy; a max-age would serve the
// old ids for that long.
//
// Compression: Workers compress a response on the way out when its
// Content-Type is compressible (text/javascript and text/html are) and the
// client sent Accept-Encoding, so the body here stays plain. When it does,
// the edge weakens the ETag to W/"..."; the comparison below ignores W/.

export interface Asset {
  readonly body: string;
  readonly type: string;
  readonly etag: string;
  /** Loaded cross-origin too (the original was `<script src="//host:port">`; modules need CORS). */
  readonly cors?: boolean;
  /** More headers on every answer (the admin dashboard's Content-Security-Policy). */
  readonly headers?: Readonly<Record<string, string>>;
}

export async function makeAsset(
  body: string,
  type: string,
  cors = false,
  headers?: Readonly<Record<string, string>>,
): Promise<Asset> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body));
  const hex = [...new Uint8Array(digest).slice(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return { body, type, etag: `"${hex}"`, cors, headers };
}

export function respond(request: Request, asset: Asset): Response {
  const headers = new Headers({
    "Cache-Control": "no-cache",
    ETag: asset.etag,
    Vary: "Accept-Encoding",
    "X-Content-Type-Options": "nosniff",
  });
  if (asset.cors) headers.set("Access-Control-Allow-Origin", "*");
  for (const [name, value] of Object.entries(asset.headers ?? {})) headers.set(name, value);
  if (matches(request.headers.get("If-None-Match"), asset.etag)) return new Response(null, { status: 304, headers });
  headers.set("Content-Type", asset.type);
  return new Response(request.method === "HEAD" ? null : asset.body, { status: 200, headers });
}

/** If-None-Match uses the weak comparison (RFC 9110 section 13.1.2). */
export function matches(ifNoneMatch: string | null, etag: string): boolean {
  if (ifNoneMatch === null) return false;
  if (ifNoneMatch.trim() === "*") return true;
  const bare = (tag: string) => tag.trim().replace(/^W\//, "");
  return ifNoneMatch.split(",").some((tag) => bare(tag) === bare(etag));
}
