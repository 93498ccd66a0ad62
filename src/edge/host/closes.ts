// The close handshake, from both ends (RFC 6455 section 5.5.1 and 7.4).
import { utf8Length } from "../../protocol/utf8.js";

// Close codes that are never sent on the wire (RFC 6455 section 7.4.1).
// 1006 and 1015 mean no close frame came, so there is nothing to answer;
// 1005 means a close frame came without a code, answered without one.
const NO_CLOSE_FRAME = new Set([1006, 1015]);
const NO_CODE = 1005;
// Codes below 3000 that an endpoint may send (RFC 6455 section 7.4.1, IANA registry).
const SENDABLE_CODES = new Set([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014]);
/** What a close frame's reason can carry: 125 bytes of payload less the 2-byte code. */
const MAX_REASON_BYTES = 123;

/**
 * Answers the client's close, echoing its code when the runtime can send
 * it (it refuses e.g. 1004), else with none; never for 1005's missing code
 * or for 1006/1015, which no close frame carried.
 */
export function answerClose(ws: WebSocket, code: number, reason: string): void {
  if (NO_CLOSE_FRAME.has(code)) return;
  try {
    if (code === NO_CODE) ws.close();
    else ws.close(code, reason);
  } catch {
    try {
      ws.close();
    } catch {
      // Already answered (the runtime may reply by itself).
    }
  }
}

/**
 * Closes an open socket from the server side. A code the protocol does not
 * allow becomes 1011 and a reason is cut to what a close frame can carry,
 * so the close never throws and the socket is always really closing.
 */
export function closeFromServer(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState !== WebSocket.READY_STATE_OPEN) return;
  const sendable = SENDABLE_CODES.has(code) || (code >= 3000 && code <= 4999);
  ws.close(sendable ? code : 1011, cutUtf8(reason, MAX_REASON_BYTES));
}

/** `s` cut to at most `max` UTF-8 bytes, never inside a code point. */
function cutUtf8(s: string, max: number): string {
  if (s.length * 3 <= max || utf8Length(s) <= max) return s;
  let out = "";
  let bytes = 0;
  for (const ch of s) {
    bytes += utf8Length(ch);
    if (bytes > max) break;
    out += ch;
  }
  return out;
}
