// The Queue sink (docs/events.md#sinks): events go to the Cloudflare Queue of
// the producer binding SESSION_EVENTS, a batch per call. The Queue's
// acceptance ends the outbox's part; the Queue then delivers to its consumer
// until the consumer acknowledges, which stands for the webhook's 2xx.
import type { SessionEvent } from "./event.js";
import type { Sink } from "./sink.js";

/** Events per `sendBatch` (a Queue takes at most 100 messages, 256 KB, per batch; an event is about 150 bytes). */
export const QUEUE_BATCH = 25;

export function queueSink(queue: Queue<SessionEvent>): Sink {
  return {
    batch: QUEUE_BATCH,
    async deliver(bodies) {
      await queue.sendBatch(bodies.map((body) => ({ body: JSON.parse(body) as SessionEvent, contentType: "json" })));
    },
  };
}
