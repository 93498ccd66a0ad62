// UTF-8 in and out of a byte buffer without allocating per field.
// Encoding stops before a code point that would not fit in the limit (spec
// section 2, "cut before a code point that would not fit"), and lone
// surrogates become U+FFFD, as TextEncoder and Node's Buffer#write do.

// ignoreBOM: a leading U+FEFF is content, kept as 2pack (Buffer#toString) keeps it.
const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
const encoder = new TextEncoder();

/**
 * Subarray views of one buffer, made once per (position, length). Making a
 * view costs more than writing a short string (~90 ns in Node 20), while
 * TextEncoder/TextDecoder over an existing view are the fastest way to move
 * a long string; so views are kept, up to a bound.
 */
export class Views {
  private readonly cache = new Map<number, Uint8Array>();
  constructor(readonly bytes: Uint8Array) {}

  of(pos: number, len: number): Uint8Array {
    const key = pos * 0x10000 + len;
    let view = this.cache.get(key);
    if (view === undefined) {
      view = this.bytes.subarray(pos, pos + len);
      if (this.cache.size < 1024) this.cache.set(key, view);
    }
    return view;
  }
}

// From this many chars on, TextEncoder.encodeInto (into a kept view) beats the loop below.
const LONG = 16;

/**
 * Writes `s` as UTF-8 into `views.bytes` at `pos`, at most `limit` bytes,
 * and returns the number of bytes written. encodeInto also stops before a
 * code point that would not fit and writes lone surrogates as U+FFFD.
 */
export function writeUtf8(s: string, views: Views, pos: number, limit: number): number {
  const n = s.length;
  if (n >= LONG) return encoder.encodeInto(s, views.of(pos, limit)).written;
  const buf = views.bytes;
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

// Up to this many bytes, building an ASCII string by hand beats TextDecoder
// (whose call costs ~100 ns in Node 20 before any byte is read).
const SHORT = 64;

// Incoming frames are new buffers, so views of them cannot be kept: long
// strings are copied here first, and decoded through a kept view.
const inbox = new Views(new Uint8Array(0x10000));

/** Reads `len` bytes of UTF-8 at `pos`; invalid sequences become U+FFFD. */
export function readUtf8(buf: Uint8Array, pos: number, len: number): string {
  const end = pos + len;
  if (len <= SHORT) {
    let s = "";
    let i = pos;
    // Eight ASCII bytes at a time: one fromCharCode call instead of eight.
    for (; i + 8 <= end; i += 8) {
      const a = buf[i] as number;
      const b = buf[i + 1] as number;
      const c = buf[i + 2] as number;
      const d = buf[i + 3] as number;
      const e = buf[i + 4] as number;
      const f = buf[i + 5] as number;
      const g = buf[i + 6] as number;
      const h = buf[i + 7] as number;
      if ((a | b | c | d | e | f | g | h) >= 0x80) return decodeLong(buf, pos, len);
      s += String.fromCharCode(a, b, c, d, e, f, g, h);
    }
    for (; i < end; i++) {
      const b = buf[i] as number;
      if (b >= 0x80) return decodeLong(buf, pos, len);
      s += String.fromCharCode(b);
    }
    return s;
  }
  return decodeLong(buf, pos, len);
}

function decodeLong(buf: Uint8Array, pos: number, len: number): string {
  const copy = inbox.bytes;
  if (len <= 256) for (let i = 0; i < len; i++) copy[i] = buf[pos + i] as number;
  else copy.set(buf.subarray(pos, pos + len));
  return decoder.decode(inbox.of(0, len));
}
