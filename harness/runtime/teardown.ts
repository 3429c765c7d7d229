/**
 * TeardownStack: the undo of every acquired resource, registered at the moment it is acquired and run
 * last-in-first-out. Contract: run() is idempotent (a second call returns the first call's result); it
 * continues past failures and returns their errors, so the caller can report them without letting them
 * hide the run's first error. Node 20/24 has no AsyncDisposableStack in our target, so this is ours.
 */
export interface TeardownFailure {
  name: string;
  error: unknown;
}

export class TeardownStack {
  private readonly undos: { name: string; undo: () => Promise<void> }[] = [];
  private result: Promise<TeardownFailure[]> | undefined;

  /** defer registers an undo; it runs before everything registered earlier. */
  defer(name: string, undo: () => Promise<void>): void {
    if (this.result) throw new Error(`internal: teardown already ran, cannot register ${name}`);
    this.undos.push({ name, undo });
  }

  /** release forgets an undo (the resource was handed over, for example retained on purpose). */
  release(name: string): void {
    const index = this.undos.findIndex((u) => u.name === name);
    if (index >= 0) this.undos.splice(index, 1);
  }

  get size(): number {
    return this.undos.length;
  }

  /** run undoes everything; onStep hears of each undo as it ends, with its wall time (ms, this host). */
  run(onStep?: (name: string, error: unknown, durationMs: number) => void): Promise<TeardownFailure[]> {
    this.result ??= (async () => {
      const failures: TeardownFailure[] = [];
      for (const { name, undo } of [...this.undos].reverse()) {
        const started = performance.now();
        try {
          await undo();
          onStep?.(name, undefined, performance.now() - started);
        } catch (error) {
          failures.push({ name, error });
          onStep?.(name, error, performance.now() - started);
        }
      }
      return failures;
    })();
    return this.result;
  }
}
