// Looks through everything reachable from an object (properties, array
// items, Map and Set entries; not closures) for a string or a byte sequence:
// how the tests check that a client no longer holds a password.

/** Paths at which `needle` occurs, as a substring of a string or a run of bytes in a typed array or buffer. */
export function findReachable(root: unknown, needles: { text: string; bytes: Uint8Array }, limit = 500_000): string[] {
  const found: string[] = [];
  const seen = new Set<unknown>();
  const stack: [unknown, string][] = [[root, "client"]];
  while (stack.length > 0 && seen.size < limit) {
    const [value, path] = stack.pop() as [unknown, string];
    if (typeof value === "string") {
      if (value.includes(needles.text)) found.push(path);
      continue;
    }
    if (value === null || typeof value !== "object" || seen.has(value)) continue;
    seen.add(value);
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) {
      // A view's own bytes, not its whole backing store: Node's Buffers share 8 KiB pool slabs, so
      // a buffer `ws` keeps (its inflater's output) sits in a slab that may still hold bytes of an
      // unrelated, finished allocation (the frame `ws` copied to send), which the client does not keep.
      const bytes = ArrayBuffer.isView(value)
        ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
        : new Uint8Array(value);
      if (containsBytes(bytes, needles.bytes)) found.push(path);
      continue;
    }
    if (value instanceof Map) for (const [k, v] of value) stack.push([k, `${path}<key>`], [v, `${path}.get(…)`]);
    if (value instanceof Set) for (const v of value) stack.push([v, `${path}<item>`]);
    for (const key of Reflect.ownKeys(value)) {
      const d = Object.getOwnPropertyDescriptor(value, key);
      if (d && "value" in d) stack.push([d.value, `${path}.${String(key)}`]);
    }
  }
  return found;
}

function containsBytes(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}
