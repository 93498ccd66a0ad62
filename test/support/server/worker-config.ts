// What a wrangler.toml says about the Worker it runs, in the terms Miniflare
// takes: the few fields our apps use (name, main, the compatibility date and
// flags, Durable Object bindings and the migrations that say which classes
// keep SQLite storage, vars). A field it does not read is refused by name,
// so an app never runs on the test server with part of its config dropped
// (docs/testing.md#tests-that-start-a-server).
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseToml, type TomlTable, type TomlValue } from "./toml.js";

export interface WorkerConfig {
  name: string;
  /** The entry module, an absolute path. */
  main: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  /** Binding name -> its class, and whether its storage is SQLite-backed (the migrations' new_sqlite_classes). */
  durableObjects: Record<string, { className: string; useSQLite: boolean }>;
  /** `[vars]`, as wrangler dev binds them. */
  vars: Record<string, string>;
}

/** Top-level fields that change nothing a test server runs: `npm start`'s address, telemetry. */
const IGNORED = new Set(["send_metrics", "dev"]);
const READ = new Set([
  "name",
  "main",
  "compatibility_date",
  "compatibility_flags",
  "durable_objects",
  "migrations",
  "vars",
]);

/**
 * Reads the wrangler.toml at `path`.
 *
 * @example
 * const config = readWorkerConfig("test/tcp/floods-app/wrangler.toml");
 * config.durableObjects.USERS; // { className: "UserObject", useSQLite: true }
 */
export function readWorkerConfig(path: string): WorkerConfig {
  const toml = parseToml(readFileSync(path, "utf8"), path);
  for (const key of Object.keys(toml)) {
    if (!READ.has(key) && !IGNORED.has(key))
      throw new Error(
        `${path}: "${key}" is not read by test/support/server/worker-config.ts (start this app with startWranglerDev)`,
      );
  }
  const sqlite = sqliteClasses(toml.migrations, path);
  const durableObjects: WorkerConfig["durableObjects"] = {};
  const doTable = table(toml.durable_objects ?? {}, `${path}: durable_objects`);
  only(doTable, ["bindings"], `${path}: durable_objects`);
  for (const binding of tables(doTable.bindings ?? [], `${path}: durable_objects.bindings`)) {
    only(binding, ["name", "class_name"], `${path}: a durable_objects binding`);
    const className = text(binding.class_name, `${path}: a binding's class_name`);
    durableObjects[text(binding.name, `${path}: a binding's name`)] = { className, useSQLite: sqlite.has(className) };
  }
  const vars: Record<string, string> = {};
  for (const [key, value] of Object.entries(table(toml.vars ?? {}, `${path}: vars`)))
    vars[key] = text(value, `${path}: vars.${key}`);
  return {
    name: text(toml.name, `${path}: name`),
    main: resolve(dirname(path), text(toml.main, `${path}: main`)),
    compatibilityDate: text(toml.compatibility_date, `${path}: compatibility_date`),
    compatibilityFlags: (toml.compatibility_flags === undefined ? [] : list(toml.compatibility_flags, path)).map((f) =>
      flag(text(f, `${path}: compatibility_flags`), path),
    ),
    durableObjects,
    vars,
  };
}

/** The classes the migrations made SQLite-backed (`new_sqlite_classes`); `new_classes` are the key-value backend. */
function sqliteClasses(migrations: TomlValue | undefined, path: string): Set<string> {
  const out = new Set<string>();
  for (const m of tables(migrations ?? [], `${path}: migrations`)) {
    only(m, ["tag", "new_sqlite_classes", "new_classes"], `${path}: a migration`);
    for (const c of list(m.new_sqlite_classes ?? [], path)) out.add(text(c, `${path}: new_sqlite_classes`));
  }
  return out;
}

/** A flag passed to workerd as it is; not nodejs_compat, for which wrangler also changes the bundle (Node polyfills). */
function flag(name: string, path: string): string {
  if (name.startsWith("nodejs_compat"))
    throw new Error(
      `${path}: ${name} is not run here: wrangler bundles such an app with Node polyfills (start it with startWranglerDev)`,
    );
  return name;
}

function only(t: TomlTable, keys: string[], what: string): void {
  const extra = Object.keys(t).filter((k) => !keys.includes(k));
  if (extra.length > 0)
    throw new Error(`${what}: ${extra.join(", ")} not read here (start this app with startWranglerDev)`);
}

function text(v: TomlValue | undefined, what: string): string {
  if (typeof v !== "string") throw new Error(`${what}: expected a string, found ${JSON.stringify(v)}`);
  return v;
}

function list(v: TomlValue, path: string): TomlValue[] {
  if (!Array.isArray(v)) throw new Error(`${path}: expected an array, found ${JSON.stringify(v)}`);
  return v;
}

function table(v: TomlValue, what: string): TomlTable {
  if (typeof v !== "object" || Array.isArray(v)) throw new Error(`${what}: expected a table`);
  return v;
}

function tables(v: TomlValue, what: string): TomlTable[] {
  if (!Array.isArray(v)) throw new Error(`${what}: expected [[${what.split(": ")[1]}]] tables`);
  return v.map((t) => table(t, what));
}
