// The sockizy packet codec. Free of Worker, Node and DOM APIs so that the
// Worker, the Durable Objects and the browser client share it.
export { DecodeError, type DecodeErrorCode, EncodeError, SchemaError } from "./errors.js";
export { DEFAULT_LIMIT, MAX_LIMIT, type Schema } from "./schema.js";
export {
  clientPackets,
  MAX_PACKETS,
  PacketTable,
  type PacketTables,
  RESERVED_NAMES,
  serverPackets,
} from "./table.js";
export type { Merge, Packet, PacketData, PacketInput, SchemaMap, StripHint } from "./types.js";
