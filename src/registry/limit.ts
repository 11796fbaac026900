/** At most `n` tasks at once (downloads, uploads); the rest wait their turn in order. */
export class Limit {
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly n: number) {}

  /** Whether a task starting now would have to wait. */
  get full(): boolean {
    return this.running >= this.n;
  }

  async acquire(): Promise<() => void> {
    if (this.running >= this.n) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      if (next) next();
      else this.running--;
    };
  }
}
