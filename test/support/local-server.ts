// Starts the local server the way `npm start` does (wrangler dev, which
// runs the Worker under miniflare) on a free loopback port, for tests that
// talk to it over real TCP. It stops with the test file, and by itself if
// it does not come up in time.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export interface LocalServer {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** Its process group (wrangler and workerd), for reading their CPU time. */
  readonly pid: number;
  /** What wrangler dev printed so far. */
  log(): string;
  /** Stops it and removes its state. */
  stop(): Promise<void>;
  /** A deploy: this server stops and a new one starts on another port with the same state (storage survives). */
  restart(): Promise<LocalServer>;
}

/** The project's folder: the nearest one up from this file with a wrangler.toml (this file may be bundled into dist/). */
function projectRoot(): string {
  let dir = dirname(new URL(import.meta.url).pathname);
  while (!existsSync(join(dir, "wrangler.toml")) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/**
 * Where servers keep their state: a memory-backed folder when the machine
 * has one, so tests and benchmarks measure the server, not the disk's
 * fsync (6 ms per 4 KiB synchronous write on the project's machine, where
 * every Durable Object write transaction would pay it).
 */
function stateBase(): string {
  return existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * `vars` become `--var KEY:VALUE` (for secrets a test needs, e.g.
 * ADMIN_SECRET); `config` is another wrangler.toml than the project's.
 */
export function startLocalServer(
  vars: Record<string, string> = {},
  timeoutMs = 60_000,
  config?: string,
): Promise<LocalServer> {
  // Its own state folder: no sessions left over from an earlier run, none shared with another server.
  return startWithState(vars, timeoutMs, mkdtempSync(join(stateBase(), "sockizy-edge-state-")), config);
}

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
      return { url, port, pid: child.pid as number, log: () => log, stop, restart };
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
