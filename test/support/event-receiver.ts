// A session-event webhook receiver on 127.0.0.1 (docs/events.md#sinks), for
// tests over real TCP: it records every POST (raw body, signature header,
// what it answered) and answers 500 while told to fail, 200 otherwise.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Delivery {
  body: string;
  signature: string | undefined;
  contentType: string | undefined;
  status: number;
  /** When it arrived (ms). */
  at: number;
}

export interface EventReceiver {
  /** http://127.0.0.1:<port>/hook */
  readonly url: string;
  readonly received: Delivery[];
  /** Answers 500 until `until` (ms since the epoch), 200 from then. */
  failUntil(until: number): void;
  close(): Promise<void>;
}

export async function startEventReceiver(): Promise<EventReceiver> {
  const received: Delivery[] = [];
  let failing = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const status = Date.now() < failing ? 500 : 200;
      received.push({
        body: Buffer.concat(chunks).toString("utf8"),
        signature: req.headers["sockizy-signature"] as string | undefined,
        contentType: req.headers["content-type"],
        status,
        at: Date.now(),
      });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    failUntil: (until) => {
      failing = until;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
