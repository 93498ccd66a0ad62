// The CPU time of a server's processes, from /proc (Linux): what the
// benchmarks (bench/measure.ts) and a test server's cpuMs() read.
import { readdirSync, readFileSync } from "node:fs";

interface ProcStat {
  pid: number;
  ppid: number;
  pgrp: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
}

/** Every process's /proc/<pid>/stat that could be read (a process may end meanwhile). */
function processes(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // Fields after the command name (which may hold spaces): state is field 3, ppid 4, pgrp 5, utime 14, stime 15.
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.push({ pid: Number(entry), ppid: Number(f[1]), pgrp: Number(f[2]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

const MS_PER_TICK = 10; // CLK_TCK is 100 on Linux

/**
 * CPU milliseconds used so far by every process of the process group `pgid`.
 *
 * @example
 * const before = groupCpuMs(server.pid); // a wrangler dev server (startWranglerDev)
 */
export function groupCpuMs(pgid: number): number {
  return processes().reduce((ms, p) => (p.pgrp === pgid ? ms + p.ticks * MS_PER_TICK : ms), 0);
}

/** CPU milliseconds used so far by the process `pid` (0 once it has ended). */
export function processCpuMs(pid: number): number {
  return (processes().find((p) => p.pid === pid)?.ticks ?? 0) * MS_PER_TICK;
}

/** The child of this process whose command line holds `arg` (e.g. the address Miniflare gave its workerd). */
export function childWithArg(arg: string): number | undefined {
  for (const p of processes()) {
    if (p.ppid !== process.pid) continue;
    try {
      if (readFileSync(`/proc/${p.pid}/cmdline`, "utf8").split("\0").includes(arg)) return p.pid;
    } catch {
      // ended meanwhile
    }
  }
  return undefined;
}
