/** A counting semaphore whose waiters can give up (AbortSignal) and can be failed all at once (shutdown). */
export class Semaphore {
  private active = 0;
  private readonly waiters: { grant: () => void; fail: (err: Error) => void }[] = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`semaphore limit must be a positive integer, got ${limit}`);
  }

  get inUse(): number {
    return this.active;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  acquire(signal?: AbortSignal, onAbort?: () => Error): Promise<void> {
    if (signal?.aborted) return Promise.reject(onAbort?.() ?? new Error('aborted'));
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        grant: () => {
          signal?.removeEventListener('abort', abort);
          this.active++;
          resolve();
        },
        fail: (err: Error) => {
          signal?.removeEventListener('abort', abort);
          reject(err);
        },
      };
      const abort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(onAbort?.() ?? new Error('aborted'));
      };
      signal?.addEventListener('abort', abort, { once: true });
      this.waiters.push(waiter);
    });
  }

  release(): void {
    if (this.active <= 0) throw new Error('semaphore released more often than acquired');
    this.active--;
    const next = this.waiters.shift();
    if (next) next.grant();
  }

  failAll(err: Error): void {
    for (const w of this.waiters.splice(0)) w.fail(err);
  }
}
