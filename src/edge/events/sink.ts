// What every sink of session events is (docs/events.md#sinks).

/** A sink delivers events' JSON bodies, oldest first; it resolves once they are acknowledged, else throws. */
export interface Sink {
  /** The most events one `deliver` takes. */
  readonly batch: number;
  deliver(bodies: readonly string[]): Promise<void>;
}
