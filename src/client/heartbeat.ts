// The heartbeat: a "#ping" text every `interval`, which the edge server's
// runtime answers with "#pong" without waking the object (so it costs the
// server nothing). Any frame from the server proves the link alive; when
// none arrives within `timeout` of an unanswered ping, the link is dead.
// A socket on a dead link (Wi-Fi gone, NAT entry expired) may otherwise
// stay "open" for minutes before the operating system notices.
//
// A busy link is not a dead one: when the ping is still queued behind data
// (the socket's bufferedAmount is not zero at the deadline) and that backlog
// has shrunk since the ping (or the last extension), the deadline is
// extended by another `timeout`; it expires once the backlog stops shrinking.

export interface HeartbeatOptions {
  /** ms between pings; 0 or less turns the heartbeat off. */
  readonly interval: number;
  /** ms of silence after a ping before the link is declared dead. */
  readonly timeout: number;
}

export class Heartbeat {
  private tick: ReturnType<typeof setTimeout> | undefined;
  private deadline: ReturnType<typeof setTimeout> | undefined;
  /** Bytes the socket had not sent when the deadline was (re)armed. */
  private backlog = 0;

  constructor(
    private readonly options: HeartbeatOptions,
    private readonly ping: () => void,
    private readonly dead: () => void,
    /** The socket's bufferedAmount. */
    private readonly buffered: () => number = () => 0,
  ) {}

  start(): void {
    this.stop();
    if (this.options.interval > 0) this.tick = setTimeout(() => this.beat(), this.options.interval);
  }

  /** A frame arrived: the link is alive. */
  heard(): void {
    clearTimeout(this.deadline);
    this.deadline = undefined;
  }

  /** Pings now (the browser went offline: find out soon whether the socket survived). */
  probe(): void {
    if (this.options.interval > 0 && this.tick !== undefined) this.beat();
  }

  stop(): void {
    clearTimeout(this.tick);
    clearTimeout(this.deadline);
    this.tick = this.deadline = undefined;
  }

  private beat(): void {
    clearTimeout(this.tick);
    this.tick = setTimeout(() => this.beat(), this.options.interval);
    this.ping();
    // The deadline counts from the first unanswered ping, not the latest.
    if (this.deadline === undefined) {
      this.backlog = this.buffered();
      this.arm();
    }
  }

  private arm(): void {
    this.deadline = setTimeout(() => this.expire(), this.options.timeout);
  }

  private expire(): void {
    const now = this.buffered();
    if (now > 0 && now < this.backlog) {
      // Still sending what was queued before the ping: busy, not dead.
      this.backlog = now;
      this.arm();
      return;
    }
    this.stop();
    this.dead();
  }
}
