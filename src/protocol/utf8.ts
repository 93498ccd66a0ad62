// UTF-8 in and out of a byte buffer without allocating per field.
// Encoding stops before a code point that would not fit in the limit (spec
// section 2, "cut before a code point that would not fit"), and lone
// surrogates become U+FFFD, as TextEncoder and Node's Buffer#write do.
//
// Figures below are from Node 20 on the project's 2-core machine
// (docs/protocol.md#benchmark). The costs that decide the paths: making a subarray view
// (25-90 ns, more than writing a short string), a TextDecoder call (55-150 ns
// before any byte is read), and first use of a string built by joining
// pieces of 13 chars or more, which V8 keeps as a rope and flattens then.

import type { Scratch } from "./scratch.js";

// ignoreBOM: a leading U+FEFF is content, kept as 2pack (Buffer#toString) keeps it.
const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
const encoder = new TextEncoder();

// From this many chars on, TextEncoder.encodeInto (into a kept view) beats the loop below.
const LONG = 16;

/**
 * Writes `s` as UTF-8 into `out.bytes` at `pos`, at most `limit` bytes, and
 * returns the number of bytes written. The buffer must hold `limit` bytes
 * from `pos`.
 */
export function writeUtf8(s: string, out: Scratch, pos: number, limit: number): number {
  const n = s.length;
  if (n >= LONG) {
    // encodeInto stops before a code point that does not fit and writes lone
    // surrogates as U+FFFD. The kept view runs to the end of the buffer, past
    // the limit; a text that went past it is written again into a view that
    // ends at the limit, which cuts it where the spec says.
    const written = encoder.encodeInto(s, out.tail(pos)).written;
    if (written <= limit) return written;
    return encoder.encodeInto(s, out.bytes.subarray(pos, pos + limit)).written;
  }
  const buf = out.bytes;
  // ASCII fast path: one byte per char, so a string no longer than the limit fits.
  let i = 0;
  if (n <= limit) {
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[pos + i] = c;
    }
    if (i === n) return n;
  }
  return writeUtf8From(s, i, buf, pos + i, limit - i) + i;
}

function writeUtf8From(s: string, from: number, buf: Uint8Array, pos: number, limit: number): number {
  const start = pos;
  const end = pos + limit;
  const n = s.length;
  for (let i = from; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      if (pos >= end) break;
      buf[pos++] = c;
      continue;
    }
    if (c < 0x800) {
      if (pos + 2 > end) break;
      buf[pos++] = 0xc0 | (c >> 6);
      buf[pos++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        if (pos + 4 > end) break;
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        buf[pos++] = 0xf0 | (c >> 18);
        buf[pos++] = 0x80 | ((c >> 12) & 0x3f);
        buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
        buf[pos++] = 0x80 | (c & 0x3f);
        continue;
      }
      c = 0xfffd; // a lone surrogate
    }
    if (pos + 3 > end) break;
    buf[pos++] = 0xe0 | (c >> 12);
    buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
    buf[pos++] = 0x80 | (c & 0x3f);
  }
  return pos - start;
}

/** Byte length of `s` as UTF-8 (lone surrogates count as U+FFFD, 3 bytes). */
export function utf8Length(s: string): number {
  let len = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) len += 1;
    else if (c < 0x800) len += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      len += 4;
      i++;
    } else len += 3;
  }
  return len;
}

// Below this many bytes an ASCII string is built by hand; from it on,
// TextDecoder over a kept view is faster, and returns a flat string.
// Joined pieces under 13 chars are flat; a 13-15 char rope is still cheap
// to flatten.
const SHORT = 16;

// Incoming frames are new buffers, so views of them cannot be kept: a
// frame of up to INBOX bytes is copied whole (one memmove, cheaper than a
// byte loop or a new view) into `inbox`, placed so that the text starts at
// INBOX, and decoded through a view kept per length. Larger frames get a
// view of their own.
const INBOX = 1024;
const inbox = new Uint8Array(2 * INBOX);
const texts: Uint8Array[] = []; // texts[len]: inbox[INBOX, INBOX + len)

/** Reads `len` bytes of UTF-8 at `pos`; invalid sequences become U+FFFD. */
export function readUtf8(buf: Uint8Array, pos: number, len: number): string {
  if (len < SHORT) {
    // One or two chars: a single call (one ASCII char comes from V8's table, no allocation).
    if (len === 1) {
      const a = buf[pos] as number;
      if (a < 0x80) return String.fromCharCode(a);
    } else if (len === 2) {
      const a = buf[pos] as number;
      const b = buf[pos + 1] as number;
      if ((a | b) < 0x80) return String.fromCharCode(a, b);
    }
    const text = readAscii(buf, pos, pos + len);
    if (text !== undefined) return text;
  }
  if (buf.length > INBOX) return decoder.decode(buf.subarray(pos, pos + len));
  inbox.set(buf, INBOX - pos);
  let text = texts[len];
  if (text === undefined) text = texts[len] = inbox.subarray(INBOX, INBOX + len);
  return decoder.decode(text);
}

/** The bytes [pos, end) as a string when they are all ASCII, else undefined. */
function readAscii(buf: Uint8Array, pos: number, end: number): string | undefined {
  let s = "";
  let i = pos;
  // Four bytes at a time: one fromCharCode call instead of four.
  for (; i + 4 <= end; i += 4) {
    const a = buf[i] as number;
    const b = buf[i + 1] as number;
    const c = buf[i + 2] as number;
    const d = buf[i + 3] as number;
    if ((a | b | c | d) >= 0x80) return undefined;
    s += String.fromCharCode(a, b, c, d);
  }
  for (; i < end; i++) {
    const a = buf[i] as number;
    if (a >= 0x80) return undefined;
    s += String.fromCharCode(a);
  }
  return s;
}
