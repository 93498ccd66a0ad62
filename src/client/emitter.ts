// A small event emitter with the original client's on/once/off. Firing is
// `fire`, not `emit`, because `emit` is the client's "send a packet".
// A listener that throws is reported on its own (a later tick) so that it
// cannot break the client's bookkeeping or the listeners after it.

// biome-ignore lint/suspicious/noExplicitAny: listeners of any event shape are stored together
export type Listener = (...args: any[]) => void;

interface Once extends Listener {
  listener?: Listener;
}

export class Emitter {
  private readonly listeners = new Map<string, Listener[]>();

  on(name: string, listener: Listener): void {
    const list = this.listeners.get(name);
    // Copy on write: a listener added while firing waits for the next event.
    this.listeners.set(name, list ? [...list, listener] : [listener]);
  }

  once(name: string, listener: Listener): void {
    const once: Once = (...args) => {
      this.off(name, once);
      listener(...args);
    };
    once.listener = listener;
    this.on(name, once);
  }

  /** No arguments: every listener; a name: that event's; a name and a listener: that one. */
  off(name?: string, listener?: Listener): void {
    if (name === undefined) this.listeners.clear();
    else if (listener === undefined) this.listeners.delete(name);
    else {
      const list = this.listeners.get(name)?.filter((l) => l !== listener && (l as Once).listener !== listener);
      if (list?.length) this.listeners.set(name, list);
      else this.listeners.delete(name);
    }
  }

  listenerCount(name: string): number {
    return this.listeners.get(name)?.length ?? 0;
  }

  /** Calls the listeners of `name` in order; false when there were none. */
  fire(name: string, ...args: unknown[]): boolean {
    const list = this.listeners.get(name);
    if (!list) return false;
    for (const listener of list) {
      try {
        listener(...args);
      } catch (e) {
        report(e);
      }
    }
    return true;
  }
}

/** Surfaces a listener's exception as an uncaught error, outside the client's code path. */
function report(e: unknown): void {
  const g = globalThis as { reportError?: (e: unknown) => void };
  if (typeof g.reportError === "function") g.reportError(e);
  else
    setTimeout(() => {
      throw e;
    });
}
