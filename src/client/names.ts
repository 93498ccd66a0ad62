// Packet names the client refuses: a packet fires the event of its name, so
// one named like a built-in event ("text", "unrestored", ...) would be
// delivered to that event's listeners. The codec already reserves the
// original's event names (RESERVED_NAMES in src/protocol/table.ts); this
// adds the ones only this client fires. And the error for a name `emit`
// cannot send.
import { EncodeError, type PacketTable, SchemaError } from "../protocol/index.js";
import type { BuiltinEvents } from "./types.js";

/** Every event the client fires itself. */
const BUILTIN = [
  "open",
  "close",
  "disconnected",
  "terminated",
  "restoring",
  "restored",
  "unrestored",
  "message",
  "text",
  "json",
  "arraybuffer",
  "packet",
  "error",
] as const satisfies readonly (keyof BuiltinEvents<unknown>)[];

// Fails to compile when BuiltinEvents gains an event that is not listed above.
const complete: Exclude<keyof BuiltinEvents<unknown>, (typeof BUILTIN)[number]> extends never ? true : never = true;
void complete;

export const CLIENT_EVENTS: ReadonlySet<string> = new Set(BUILTIN);

/** Throws a SchemaError naming the first packet of the tables whose name is a client event. */
export function refuseEventNames(...tables: PacketTable[]): void {
  for (const table of tables) {
    const name = table.names.find((n) => CLIENT_EVENTS.has(n));
    if (name !== undefined) throw new SchemaError("this name is one of the client's events", name);
  }
}

/** What `emit` throws for a packet name the send tables lack: it names the packet and what can be sent. */
export function unknownPacket(name: string, sendable: readonly string[]): EncodeError {
  const shown = sendable.slice(0, 20).join(", ") + (sendable.length > 20 ? ", ..." : "");
  const known = sendable.length === 0 ? "none declared" : shown;
  return new EncodeError(`not a packet this client sends (packets(pack, unpack, shared): ${known})`, name);
}
