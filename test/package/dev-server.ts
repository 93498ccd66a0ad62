// `wrangler dev` for an application folder other than this repository's
// (test/support/local-server.ts starts the seed's): a free loopback port,
// its own inspector port and --persist-to folder, its own process group so
// stop() ends workerd too, and a deadline for coming up.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";

export interface DevServer {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** What it printed so far. */
  log(): string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts `wrangler` (the path of its bin) in `cwd`, state in `state`;
 * resolves once /sockizy.js answers. `extra`: more arguments of `wrangler
 * dev`; `port`: the port to listen on (default: a free one).
 */
export async function startDevServer(
  wrangler: string,
  cwd: string,
  state: string,
  timeoutMs = 60_000,
  options: { extra?: string[]; port?: number } = {},
): Promise<DevServer> {
  // A free port may be taken between freePort() and wrangler's bind (other tests start servers at
  // the same time): a start that failed on that alone is tried again on other ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(wrangler, cwd, state, timeoutMs, options);
    } catch (e) {
      const taken = e instanceof Error && e.message.includes("Address already in use");
      if (!taken || options.port !== undefined || attempt === 3) throw e;
    }
  }
}

async function startOnce(
  wrangler: string,
  cwd: string,
  state: string,
  timeoutMs: number,
  { extra = [], port }: { extra?: string[]; port?: number },
): Promise<DevServer> {
  port ??= await freePort();
  const inspector = String(await freePort());
  const args = ["dev", ...extra, "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", inspector];
  const child: ChildProcess = spawn(wrangler, [...args, "--persist-to", state], {
    cwd,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let log = "";
  child.stdout?.on("data", (d) => (log += d));
  child.stderr?.on("data", (d) => (log += d));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    const kill = (signal: NodeJS.Signals) => {
      try {
        process.kill(-(child.pid as number), signal);
      } catch {}
    };
    kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null && child.signalCode === null) kill("SIGKILL");
  };
  const url = `http://127.0.0.1:${port}`;
  const server: DevServer = { url, log: () => log, stop };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${log}`);
    try {
      const res = await fetch(`${url}/sockizy.js`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.ok) return server;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not answer in ${join(cwd)} within ${timeoutMs} ms:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
