// What `npm run bench:scale` and `npm run bench:latency` read from a local
// `wrangler dev` server (startWranglerDev, test/support/local-server.ts), the
// server `npm start` runs: the CPU time of its
// process group, the product's /admin/metrics, and percentiles.
import type { LocalServer } from "../test/support/local-server.js";

export { groupCpuMs } from "../test/support/server/process-cpu.js";

import type { Requests } from "./scale-run.js";

export type Scrape = Map<string, number>;

/** /admin/metrics of a server started with ADMIN_SECRET = `secret`. */
export async function scrape(server: LocalServer, secret: string): Promise<Scrape> {
  const res = await fetch(`${server.url}/admin/metrics`, { headers: { Authorization: `Bearer ${secret}` } });
  const out: Scrape = new Map();
  for (const line of (await res.text()).split("\n")) {
    const m = /^(\w+(?:\{[^}]*\})?) (\d+)$/.exec(line);
    if (m) out.set(m[1] as string, Number(m[2]));
  }
  return out;
}

function delta(after: Scrape, before: Scrape, key: string): number {
  return (after.get(key) ?? 0) - (before.get(key) ?? 0);
}

/** Requests per object class, the busiest shard's, and the size pushes, between two scrapes. */
export function requests(after: Scrape, before: Scrape): Requests {
  const cls = (c: string) => delta(after, before, `sockizy_requests_total{class="${c}"}`);
  let busiestShard = 0;
  for (const key of after.keys()) {
    if (key.startsWith("sockizy_shard_requests_total"))
      busiestShard = Math.max(busiestShard, delta(after, before, key));
  }
  return {
    user: cls("UserObject"),
    lobby: cls("LobbyObject"),
    shard: cls("RegistryShard"),
    global: cls("RegistryGlobal"),
    busiestShard,
    pushes: delta(after, before, "sockizy_size_pushes_total"),
  };
}

export const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
export const median = (xs: number[]) => percentile(xs, 50);
