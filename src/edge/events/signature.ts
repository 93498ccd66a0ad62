// The webhook's signature (docs/events.md#the-signature): `Sockizy-Signature:
// t=<ms>,v1=<hex>`, hex being HMAC-SHA256 with the secret over `<t>.<raw body>`.

/** The header's name. */
export const SIGNATURE_HEADER = "Sockizy-Signature";

const keys = new Map<string, Promise<CryptoKey>>();

function keyOf(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (key === undefined) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
    keys.set(secret, key);
  }
  return key;
}

/**
 * The header value signing `body` at time `t` (ms).
 *
 * @example
 * ```ts
 * const header = await signature("whsec", '{"id":"..."}', Date.now()); // "t=1767225600000,v1=5f0c..."
 * ```
 */
export async function signature(secret: string, body: string, t: number): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await keyOf(secret), new TextEncoder().encode(`${t}.${body}`));
  return `t=${t},v1=${toHex(new Uint8Array(mac))}`;
}

function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return hex;
}
