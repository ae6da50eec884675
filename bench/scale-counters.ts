/**
 * What the scale benchmark counts: state store calls (by method and document
 * kind, with the time spent in them), HTTP requests this process makes (by
 * the service their port belongs to, from Node's diagnostics channel, so the
 * Azure SDKs' own requests are seen without touching them), and peak memory.
 */
import { subscribe } from "node:diagnostics_channel";
import type { ClientRequest } from "node:http";
import type { StateStore } from "../src/state/store.js";

/** Counts and sums by key; `take()` hands over what was counted since the last take. */
export class Tally {
  private counts = new Map<string, number>();

  add(key: string, amount = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + amount);
  }

  take(): Map<string, number> {
    const taken = this.counts;
    this.counts = new Map();
    return taken;
  }
}

export function total(counts: ReadonlyMap<string, number>, where: (key: string) => boolean = () => true): number {
  let sum = 0;
  for (const [key, n] of counts) if (where(key)) sum += n;
  return sum;
}

/**
 * The store with every method call counted as `method kind` in `calls` and
 * its milliseconds summed in `ms`. A Proxy, so methods the store gains later
 * are counted too; the calls go to the store itself, unless `fault` gives an
 * error to fail the call with instead (counted as a call all the same).
 */
export function countingStore(
  store: StateStore,
  calls: Tally,
  ms: Tally,
  fault?: (method: string, args: unknown[]) => Error | undefined,
): StateStore {
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const key = typeof args[0] === "string" && property !== "removeLeftovers" ? `${String(property)} ${args[0]}` : String(property);
        calls.add(key);
        const failure = fault?.(String(property), args);
        if (failure) return Promise.reject(failure);
        const started = performance.now();
        const result: unknown = value.apply(target, args);
        if (result instanceof Promise) {
          return result.finally(() => ms.add(key, performance.now() - started));
        }
        ms.add(key, performance.now() - started);
        return result;
      };
    },
  });
}

/** Counts every HTTP request this process sends (node:http, which the Azure SDKs use), by the name `portNames` gives its port. */
export function countHttpRequests(portNames: ReadonlyMap<number, string>, into: Tally): void {
  subscribe("http.client.request.start", (message) => {
    const request = (message as { request: ClientRequest }).request;
    const host = String(request.getHeader("host") ?? request.host ?? "");
    const port = Number(/:(\d+)$/.exec(host)?.[1] ?? Number.NaN);
    into.add(`${portNames.get(port) ?? "other"} ${request.method}`);
  });
}

/** Samples process.memoryUsage() every `everyMs`; the peaks since the last `take()`. */
export class MemorySampler {
  private peakRss = 0;
  private peakHeap = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(everyMs = 100) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  sample(): void {
    const { rss, heapUsed } = process.memoryUsage();
    this.peakRss = Math.max(this.peakRss, rss);
    this.peakHeap = Math.max(this.peakHeap, heapUsed);
  }

  take(): { rss: number; heapUsed: number } {
    this.sample();
    const peaks = { rss: this.peakRss, heapUsed: this.peakHeap };
    const now = process.memoryUsage();
    this.peakRss = now.rss;
    this.peakHeap = now.heapUsed;
    return peaks;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
export const fmtS = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The value at fraction `q` of sorted numbers. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
