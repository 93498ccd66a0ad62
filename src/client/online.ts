// The browser's online/offline events. Offline: stop spending reconnection
// attempts (they would fail and count against reconnectionAttempts) and
// probe the open socket. Online: reconnect soon (a short random delay, so
// the pages of a network that came back do not all reconnect in the same
// instant) instead of waiting out the backoff. Outside a browser there is
// nothing to watch. Reconnection (reconnection.ts) does the acting.

interface EventSource {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

/** The page's window, when there is one with online/offline events. */
export function pageWindow(): EventSource | undefined {
  const g = globalThis as { addEventListener?: unknown; navigator?: { onLine?: unknown } };
  if (typeof g.addEventListener !== "function" || typeof g.navigator?.onLine !== "boolean") return undefined;
  return g as unknown as EventSource;
}

/** False only when the browser says it has no network. */
export function isOnline(): boolean {
  return (globalThis as { navigator?: { onLine?: unknown } }).navigator?.onLine !== false;
}

/** Subscribes; returns the unsubscribe. */
export function watchOnline(target: EventSource | undefined, on: { online(): void; offline(): void }): () => void {
  if (target === undefined) return () => {};
  const online = () => on.online();
  const offline = () => on.offline();
  target.addEventListener("online", online);
  target.addEventListener("offline", offline);
  return () => {
    target.removeEventListener("online", online);
    target.removeEventListener("offline", offline);
  };
}
