// Resume tickets: after a drop or a deploy, a signed-in client reconnects
// with one instead of its password (docs/sign-in.md#session-resume). A ticket is
// `<uid>.<exp>.<epoch>.<sig>`: the uid as base64url JSON, the expiry in ms
// since the epoch, the user object's session epoch (bumped by a clear, so a
// kick also voids tickets), and an HMAC-SHA256 over the rest.
import { fromBase64Url, toBase64Url } from "../../protocol/control.js";
import type { Uid } from "../app/define-app.js";

const enc = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

function keyFor(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (key === undefined) {
    key = crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    keys.set(secret, key);
  }
  return key;
}

export async function issueTicket(
  secret: string,
  uid: Uid,
  epoch: number,
  ttlMs: number,
  now = Date.now(),
): Promise<{ ticket: string; exp: number }> {
  const exp = now + ttlMs;
  const body = `${toBase64Url(enc.encode(JSON.stringify(uid)))}.${exp}.${epoch}`;
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", await keyFor(secret), enc.encode(body)));
  return { ticket: `${body}.${toBase64Url(sig)}`, exp };
}

/** The uid and epoch of a genuine, unexpired ticket; null for anything else. */
export async function verifyTicket(
  secret: string,
  ticket: string,
  now = Date.now(),
): Promise<{ uid: Uid; epoch: number } | null> {
  const parts = ticket.split(".");
  if (parts.length !== 4) return null;
  const [uidPart, expPart, epochPart, sigPart] = parts as [string, string, string, string];
  const sig = fromBase64Url(sigPart);
  if (sig === undefined) return null;
  // crypto.subtle.verify compares the MAC in constant time.
  const body = enc.encode(`${uidPart}.${expPart}.${epochPart}`);
  if (!(await crypto.subtle.verify("HMAC", await keyFor(secret), sig, body))) return null;
  const exp = Number(expPart);
  if (!(exp > now)) return null;
  try {
    const uid = JSON.parse(new TextDecoder().decode(fromBase64Url(uidPart))) as unknown;
    if (typeof uid !== "string" && typeof uid !== "number") return null;
    return { uid, epoch: Number(epochPart) };
  } catch {
    return null;
  }
}
