/**
 * Runs tasks with bounded concurrency while keeping the tasks of one key (a NATS subject = one
 * aggregate) strictly sequential and in arrival order. Keys take turns: after one task a busy
 * key goes to the back of the line, so a hot aggregate cannot starve the others.
 */
export class SubjectScheduler<T> {
  private readonly queues = new Map<string, T[]>();
  private readonly ready: string[] = [];
  private readonly running = new Set<string>();
  private pendingCount = 0;
  private idleWaiters: (() => void)[] = [];
  private capacityWaiters: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    /** Upper bound of accepted-but-unfinished tasks; `whenCapacity` waits below it. */
    private readonly maxPending: number,
    private readonly run: (item: T) => Promise<void>,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be >= 1');
    if (maxPending < concurrency) throw new RangeError('maxPending must be >= concurrency');
  }

  /** Accepted tasks not finished yet (queued or running). */
  get pending(): number {
    return this.pendingCount;
  }

  push(key: string, item: T): void {
    const queue = this.queues.get(key);
    if (queue === undefined) {
      this.queues.set(key, [item]);
      if (!this.running.has(key)) this.ready.push(key);
    } else {
      queue.push(item);
    }
    this.pendingCount += 1;
    this.schedule();
  }

  /** Removes and returns every task that has not started yet. */
  takeQueued(): T[] {
    const taken: T[] = [];
    for (const [key, queue] of this.queues) {
      taken.push(...queue);
      this.queues.delete(key);
    }
    this.ready.length = 0;
    this.pendingCount -= taken.length;
    this.notify();
    return taken;
  }

  /** Resolves when fewer than maxPending tasks are pending. */
  whenCapacity(): Promise<void> {
    if (this.pendingCount < this.maxPending) return Promise.resolve();
    return new Promise((resolve) => this.capacityWaiters.push(resolve));
  }

  /** Resolves when nothing is queued or running. */
  whenIdle(): Promise<void> {
    if (this.pendingCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    while (this.running.size < this.concurrency) {
      const key = this.ready.shift();
      if (key === undefined) return;
      const queue = this.queues.get(key);
      const item = queue?.shift();
      if (queue === undefined || item === undefined) continue;
      if (queue.length === 0) this.queues.delete(key);
      this.running.add(key);
      void this.execute(key, item);
    }
  }

  private async execute(key: string, item: T): Promise<void> {
    try {
      await this.run(item);
    } catch {
      // run() settles its own failures; nothing may stop the scheduler.
    } finally {
      this.running.delete(key);
      this.pendingCount -= 1;
      if (this.queues.has(key)) this.ready.push(key);
      this.notify();
      this.schedule();
    }
  }

  private notify(): void {
    if (this.pendingCount < this.maxPending && this.capacityWaiters.length > 0) {
      const waiters = this.capacityWaiters;
      this.capacityWaiters = [];
      waiters.forEach((w) => w());
    }
    if (this.pendingCount === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      waiters.forEach((w) => w());
    }
  }
}
