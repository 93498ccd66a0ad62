// Starts the local server the way `npm start` does (wrangler dev, which
// runs the Worker under miniflare) on a free loopback port: the benchmarks'
// server (bench/), which measures `npm start`'s. Tests use the same Worker
// without wrangler's start-up cost (miniflare-server.ts,
// docs/testing.md#tests-that-start-a-server). It stops with its caller, and by
// itself if it does not come up in time.
import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { groupCpuMs } from "./process-cpu.js";
import { freePort, type LocalServer, projectRoot, starter } from "./shared.js";

/**
 * `vars` become `--var KEY:VALUE`.
 *
 * @example
 * const server = await startWranglerDev({ ADMIN_SECRET: "s" }, 90_000, "bench/baseline/wrangler.toml");
 * const cpu = server.cpuMs(); // wrangler's and workerd's
 */
export const startWranglerDev = starter(startWithState);

async function startWithState(
  vars: Record<string, string>,
  timeoutMs: number,
  state: string,
  config?: string,
): Promise<LocalServer> {
  const port = await freePort();
  const args = [
    "wrangler",
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(await freePort()),
  ];
  args.push("--persist-to", state);
  if (config) args.push("--config", config);
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  const child: ChildProcess = spawn("npx", args, {
    cwd: projectRoot(),
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group, so stop() ends workerd too
  });
  let log = "";
  child.stdout?.on("data", (d) => (log += d));
  child.stderr?.on("data", (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await end();
    rmSync(state, { recursive: true, force: true });
  };
  const restart = async () => {
    await end();
    return startWithState(vars, timeoutMs, state, config);
  };
  const end = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    try {
      process.kill(-(child.pid as number), "SIGTERM");
    } catch {
      return;
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null) {
      try {
        process.kill(-(child.pid as number), "SIGKILL");
      } catch {}
    }
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${log}`);
    try {
      const res = await fetch(`${url}/`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      const pid = child.pid as number;
      return { url, port, pid, cpuMs: () => groupCpuMs(pid), log: () => log, stop, restart };
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not answer on ${url} within ${timeoutMs} ms:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
