// An application's packet tables, built once per isolate and shared by the
// Worker and every object in it.
import { type PacketTables, serverPackets } from "../../protocol/index.js";
import type { App } from "./define-app.js";

const cache = new WeakMap<App, PacketTables<never, never>>();

export function tablesOf(app: App): PacketTables<never, never> {
  let tables = cache.get(app);
  if (tables === undefined) {
    const { unpack = {}, pack = null, shared = null } = app.packets;
    tables = serverPackets(unpack, pack, shared) as unknown as PacketTables<never, never>;
    cache.set(app, tables);
  }
  return tables;
}
