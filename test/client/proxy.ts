// A TCP proxy on 127.0.0.1 in front of the local server: the client keeps
// one address while the test cuts every connection (as a crash or a deploy
// does) or points the proxy at a restarted server.
import { createConnection, createServer, type Socket } from "node:net";

export async function startProxy(targetPort: number | null) {
  let target = targetPort;
  const open = new Set<Socket>();
  const server = createServer((inbound) => {
    open.add(inbound);
    inbound.on("close", () => open.delete(inbound));
    inbound.on("error", () => {});
    if (target === null) {
      inbound.destroy(); // nothing behind: refused, as during a restart
      return;
    }
    const outbound = createConnection({ host: "127.0.0.1", port: target });
    open.add(outbound);
    outbound.on("close", () => {
      open.delete(outbound);
      inbound.destroy();
    });
    outbound.on("error", () => {});
    inbound.on("close", () => outbound.destroy());
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}/`,
    /** Where new connections go; null refuses them. */
    retarget(port: number | null): void {
      target = port;
    },
    /** Cuts every connection, both ways, with no close handshake. */
    dropAll(): void {
      for (const s of open) s.destroy();
    },
    get connections(): number {
      return open.size;
    },
    close(): Promise<void> {
      for (const s of open) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
