// The heartbeat: a "#ping" text every `interval`, which the edge server's
// runtime answers with "#pong" without waking the object (so it costs the
// server nothing). Any frame from the server proves the link alive; when
// none arrives within `timeout` of an unanswered ping, the link is dead.
// A socket on a dead link (Wi-Fi gone, NAT entry expired) may otherwise
// stay "open" for minutes before the operating system notices.

export interface HeartbeatOptions {
  /** ms between pings; 0 or less turns the heartbeat off. */
  readonly interval: number;
  /** ms of silence after a ping before the link is declared dead. */
  readonly timeout: number;
}

export class Heartbeat {
  private tick: ReturnType<typeof setTimeout> | undefined;
  private deadline: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly options: HeartbeatOptions,
    private readonly ping: () => void,
    private readonly dead: () => void,
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
    // The deadline counts from the first unanswered ping, not the latest.
    this.deadline ??= setTimeout(() => {
      this.stop();
      this.dead();
    }, this.options.timeout);
    this.ping();
  }
}
