/**
 * A process's share of an outside service's limits: at most `max` works run
 * at once, the others wait in the order they came. Each Function instance
 * holds one per client, so the installation's total is this times the
 * instances (infra's maximumInstanceCount).
 */
export function concurrencyLimit(max: number): <T>(work: () => Promise<T>) => Promise<T> {
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`expected a concurrency of at least 1, not ${max}`);
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (work) => {
    if (running >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await work();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}
