// An application frame to the page's events (docs/client.md#events): text as
// `message`, `text` and `json`; binary as `message`, then `arraybuffer` or,
// when nobody listens to that, its packets decoded in order, each as its own
// event (through `packet` and its `accept()` while someone listens there).
// The protocol's own frames ("#pong", control frames) never get here.
import type { PacketTable } from "../protocol/index.js";
import type { Emitter } from "./emitter.js";
import type { SocketMessageEvent } from "./socket.js";

export function deliverText(events: Emitter, data: string, event: SocketMessageEvent): void {
  events.fire("message", data, event);
  events.fire("text", data, event);
  if (events.listenerCount("json") === 0) return;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return; // text, not JSON
  }
  events.fire("json", value, event);
}

/** Throws the codec's DecodeError for a frame that does not decode: then no packet of it was delivered. */
export function deliverBinary(
  events: Emitter,
  table: PacketTable,
  buffer: ArrayBuffer,
  event: SocketMessageEvent,
): void {
  events.fire("message", buffer, event);
  if (events.fire("arraybuffer", buffer, event)) return;
  // A frame is delivered whole or not at all: decoded first, then fired.
  const packets = table.decodeBundle(new Uint8Array(buffer));
  for (const { name, data } of packets) {
    if (events.listenerCount("packet") > 0) {
      events.fire("packet", name, data, () => events.fire(name, data));
    } else {
      events.fire(name, data);
    }
  }
}
