// What the two ways of starting a local server (server/miniflare-server.ts,
// server/wrangler-dev.ts) share: the interface tests hold, the project's
// folder, where state is kept, a free port.
import { existsSync, mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export interface LocalServer {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** Its process: workerd's pid (startLocalServer), or the process group of wrangler and workerd (startWranglerDev). */
  readonly pid: number;
  /** CPU milliseconds its processes have used so far (workerd; wrangler's too under startWranglerDev). */
  cpuMs(): number;
  /** What it printed so far: the runtime's and the Worker's logs. */
  log(): string;
  /** Stops it and removes its state. */
  stop(): Promise<void>;
  /** A deploy: this server stops and a new one starts on another port with the same state (storage survives). */
  restart(): Promise<LocalServer>;
}

/** The project's folder: the nearest one up from this file with a wrangler.toml (this file may be bundled into dist/). */
export function projectRoot(): string {
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
export function stateBase(): string {
  return existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
}

/** Starts a server with its storage in `state` (a restart() starts the next one with the same). */
export type StartWithState = (
  vars: Record<string, string>,
  timeoutMs: number,
  state: string,
  config?: string,
) => Promise<LocalServer>;

/**
 * The public start of a way of starting servers: `vars` for the Worker
 * (secrets a test needs, e.g. ADMIN_SECRET), a bound on the start, `config`
 * another wrangler.toml than the project's (relative to the project), and a
 * state folder of its own: no sessions left over from an earlier run, none
 * shared with another server.
 */
export function starter(start: StartWithState) {
  return (vars: Record<string, string> = {}, timeoutMs = 60_000, config?: string): Promise<LocalServer> =>
    start(vars, timeoutMs, mkdtempSync(join(stateBase(), "sockizy-edge-state-")), config);
}

export async function freePort(): Promise<number> {
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
