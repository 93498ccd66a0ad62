// The Worker of a wrangler.toml in workerd, started through Miniflare in
// this process and listening on 127.0.0.1 over real TCP: what `wrangler dev`
// runs, without spawning wrangler (npx, its imports and its proxy Worker
// cost ~4.7 s of CPU a start; this ~1.6 s with Miniflare's import:
// docs/testing.md#tests-that-start-a-server).
import { rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Log, LogLevel, Miniflare } from "miniflare";
import { bundleWorker } from "./bundle.js";
import { childWithArg, processCpuMs } from "./process-cpu.js";
import { freePort, type LocalServer, projectRoot, starter, stateBase } from "./shared.js";
import { readWorkerConfig } from "./worker-config.js";

/** Miniflare's own messages into the server's log, not the test's output. */
class BufferedLog extends Log {
  constructor(private readonly write: (line: string) => void) {
    super(LogLevel.INFO);
  }
  protected override log(message: string): void {
    this.write(`${message}\n`);
  }
}

/** Ports taken between freePort() and workerd's bind are tried again, this many times. */
const PORT_TRIES = 3;

/**
 * Starts the Worker `config` describes (the project's wrangler.toml by
 * default) with `vars` bound as wrangler dev's `--var KEY:VALUE` binds them.
 *
 * @example
 * const server = await startMiniflareServer({ ADMIN_SECRET: "s" }, 60_000, "test/tcp/floods-app/wrangler.toml");
 * await fetch(`${server.url}/admin/size`, { headers: { Authorization: "Bearer s" } });
 * await server.stop();
 */
export const startMiniflareServer = starter(startWithState);

async function startWithState(
  vars: Record<string, string>,
  timeoutMs: number,
  state: string,
  config = "wrangler.toml",
): Promise<LocalServer> {
  const { worker, script } = await prepare(config).catch((e: unknown) => {
    rmSync(state, { recursive: true, force: true }); // a config it refuses, or a build error: no state left behind
    throw e;
  });
  let log = "";
  const write = (line: string) => {
    log += line;
  };
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const mf = new Miniflare({
      host: "127.0.0.1",
      port,
      // Where wrangler dev --persist-to <state> keeps it, so a restart() finds the same storage.
      defaultPersistRoot: join(state, "v3"),
      cf: false, // no fetch of request.cf's data from the network; nothing here reads request.cf
      log: new BufferedLog(write),
      handleStructuredLogs: ({ level, message }: { level: string; message: string }) =>
        write(`${level === "log" ? "" : `[${level}] `}${message}\n`),
      workers: [
        {
          name: worker.name,
          modules: true,
          scriptPath: script,
          modulesRoot: dirname(script), // module names are relative to it, and workerd refuses a ".." in one
          compatibilityDate: worker.compatibilityDate,
          compatibilityFlags: worker.compatibilityFlags,
          durableObjects: worker.durableObjects,
          bindings: { ...worker.vars, ...vars },
        },
      ],
    });
    const started = await ready(mf, timeoutMs);
    if (started === "address in use" && attempt < PORT_TRIES) continue;
    if (started !== "ready") {
      rmSync(state, { recursive: true, force: true });
      throw new Error(`Miniflare (${config}) ${started}:\n${log}`);
    }
    const url = `http://127.0.0.1:${port}`;
    // workerd, Miniflare's child, named by the address it was given: its CPU for cpuMs().
    const pid = childWithArg(`--socket-addr=entry=127.0.0.1:${port}`) ?? 0;
    const end = () => mf.dispose();
    return {
      url,
      port,
      pid,
      cpuMs: () => processCpuMs(pid),
      log: () => log,
      async stop() {
        await end();
        rmSync(state, { recursive: true, force: true });
      },
      async restart() {
        await end();
        return startWithState(vars, timeoutMs, state, config);
      },
    };
  }
}

/** The app's config and its bundle: read again at each start, so a restart() runs the app's code as it is then. */
async function prepare(config: string) {
  const root = projectRoot();
  const worker = readWorkerConfig(resolve(root, config));
  return { worker, script: await bundleWorker(worker.main, join(stateBase(), "sockizy-edge-bundles"), root) };
}

/** "ready", or why not: Miniflare's error, or not within `timeoutMs` (then it is disposed of). */
async function ready(mf: Miniflare, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((r) => {
    timer = setTimeout(() => r(`did not start within ${timeoutMs} ms`), timeoutMs);
  });
  const outcome = await Promise.race([
    mf.ready.then(
      () => "ready",
      (e: unknown) => ((e as { code?: string }).code === "ERR_ADDRESS_IN_USE" ? "address in use" : `failed: ${e}`),
    ),
    late,
  ]).finally(() => clearTimeout(timer));
  if (outcome !== "ready") await mf.dispose().catch(() => {});
  return outcome;
}
