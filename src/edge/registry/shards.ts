// Which registry shard a uid belongs to (docs/scale.md#registry-shards). The hash is part
// of the deployment's state: user objects remember the shard they told, so
// a change of `registryShards` re-homes users through the audit.

/** FNV-1a (32 bits) over the UTF-16 code units of String(uid): stable across runtimes and deploys. */
export function hashUid(uid: string | number): number {
  const s = String(uid);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The registry shard (0 .. shards-1) that counts uid. */
export function shardOf(uid: string | number, shards: number): number {
  return hashUid(uid) % shards;
}
