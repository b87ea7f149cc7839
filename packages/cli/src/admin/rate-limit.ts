// Failed token attempts per client address: after `max` failures in `windowMs`, further requests get
// 429 until the oldest failure leaves the window, so the admin API cannot be used to guess tokens.
export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly max = 10,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
    private readonly maxClients = 10_000,
  ) {}

  blocked(client: string): boolean {
    return this.retryAfter(client) > 0;
  }

  /** Milliseconds until this client may try again; 0 when it is not blocked. */
  retryAfter(client: string): number {
    const list = this.recent(client);
    if (list.length < this.max) return 0;
    return Math.max(1, list[list.length - this.max] + this.windowMs - this.now());
  }

  fail(client: string): void {
    const list = this.recent(client);
    list.push(this.now());
    this.failures.delete(client);
    this.failures.set(client, list);
    // Bounded memory: forget the client whose failures are the oldest (the map keeps insertion order).
    if (this.failures.size > this.maxClients) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
  }

  private recent(client: string): number[] {
    const since = this.now() - this.windowMs;
    const list = (this.failures.get(client) ?? []).filter((t) => t > since);
    if (list.length === 0) this.failures.delete(client);
    else this.failures.set(client, list);
    return list;
  }
}
