// The webhook sink (docs/events.md#sinks): one POST per event, signed; a 2xx
// acknowledges it, anything else (a redirect too: none is followed) or no
// answer within `timeoutMs` leaves it to be retried.
import { SIGNATURE_HEADER, signature } from "./signature.js";
import type { Sink } from "./sink.js";

export function webhookSink(url: string, secret: string, timeoutMs: number): Sink {
  return {
    batch: 1,
    async deliver(bodies) {
      const body = bodies[0] as string;
      const headers = {
        "Content-Type": "application/json",
        [SIGNATURE_HEADER]: await signature(secret, body, Date.now()),
      };
      // A timer cleared once answered (AbortSignal.timeout's would outlive the call and keep the object busy).
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      let status: number;
      try {
        const res = await fetch(url, { method: "POST", headers, body, redirect: "manual", signal: abort.signal });
        status = res.status;
        await res.body?.cancel();
      } finally {
        clearTimeout(timer);
      }
      if (status < 200 || status > 299) throw new Error(`the webhook answered ${status}`);
    },
  };
}
