/**
 * The parts of the Azure Functions host (queues extension 5.x) a run goes
 * through, on a real queue:
 *
 * - the queue output binding: what a function sets on `extraOutputs` goes out
 *   after it returns, one message per array item, JSON, base64-encoded (the
 *   extension's default `messageEncoding`), sent one after another; and the
 *   host tells its own listener of the queue at once (its SharedQueueWatcher),
 *   so it does not wait out a poll interval;
 * - the queue trigger's listener: it takes up to `batchSize` messages at a
 *   time, hidden for 10 minutes while they run, and fetches the next batch
 *   when no more than `newBatchThreshold` are still running (so at most
 *   batchSize + newBatchThreshold at once); an empty queue is polled again
 *   after 100 ms, doubling (randomised) up to `maxPollingInterval`. A message
 *   is decoded from base64 and parsed as JSON when it is JSON, as the worker
 *   hands it to the function; `triggerMetadata` carries its dequeueCount, id,
 *   times and pop receipt. A function that returns deletes it. One that throws
 *   makes it visible again after `visibilityTimeout` (0 by default), so its
 *   dequeueCount goes up at the next receive; after `maxDequeueCount` tries
 *   it is copied to `<queue>-poison` and deleted. A message received with a
 *   dequeueCount already past the limit goes there without being run.
 *
 * The host's options come from host.json (`extensions.queues`), with the
 * extension's defaults for what it leaves out.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import azureFunctions, { type InvocationContext, type LogLevel } from "@azure/functions";
import type { QueueClient, ReceivedMessageItem } from "@azure/storage-queue";

// The package is CommonJS, and Node finds only some of its names as ESM exports.
const { InvocationContext: Invocation } = azureFunctions;

export interface QueueHostOptions {
  batchSize: number;
  newBatchThreshold: number;
  maxDequeueCount: number;
  visibilityTimeoutMs: number;
  maxPollingIntervalMs: number;
  messageEncoding: "base64" | "none";
}

/** How long a received message stays hidden while its function runs (the host renews it at half time; no try here runs that long). */
const RUNNING_VISIBILITY_S = 600;
const MIN_POLLING_INTERVAL_MS = 100;

/**
 * `extensions.queues` of host.json with the extension's defaults. The default
 * newBatchThreshold is batchSize/2 per vCPU, where the host counts one vCPU on
 * the Consumption and Flex Consumption plans (infra/ deploys Flex, FC1);
 * `vcpus` overrides that count.
 */
export function queueHostOptions(hostJsonPath: string, vcpus = 1): QueueHostOptions {
  const host = JSON.parse(readFileSync(hostJsonPath, "utf8")) as { extensions?: { queues?: Record<string, unknown> } };
  const queues = host.extensions?.queues ?? {};
  const number = (name: string, fallback: number) => (typeof queues[name] === "number" ? (queues[name] as number) : fallback);
  const batchSize = number("batchSize", 16);
  return {
    batchSize,
    newBatchThreshold: number("newBatchThreshold", Math.floor((vcpus * batchSize) / 2)),
    maxDequeueCount: number("maxDequeueCount", 5),
    visibilityTimeoutMs: timeSpanMs(queues.visibilityTimeout, 0),
    maxPollingIntervalMs: timeSpanMs(queues.maxPollingInterval, 60_000),
    messageEncoding: queues.messageEncoding === "none" ? "none" : "base64",
  };
}

/** `hh:mm:ss(.fff)` as host.json writes a TimeSpan, or milliseconds. */
function timeSpanMs(value: unknown, fallback: number): number {
  if (typeof value === "number") return value;
  if (typeof value !== "string") return fallback;
  const match = /^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(value.trim());
  return match ? ((Number(match[1]) * 60 + Number(match[2])) * 60 + Number(match[3])) * 1000 : fallback;
}

export type QueueFunction = (queueItem: unknown, context: InvocationContext) => Promise<unknown>;

/** What the host does with a function's queue output: sends each message after the function returned. */
export class QueueOutputBinding {
  private readonly listeners: QueueListener[] = [];

  constructor(
    private readonly queue: QueueClient,
    private readonly encoding: QueueHostOptions["messageEncoding"],
  ) {}

  /** A listener of the same queue on this host, to tell of new messages. */
  watch(listener: QueueListener): void {
    this.listeners.push(listener);
  }

  async send(output: unknown): Promise<number> {
    if (output === undefined) return 0;
    const messages = Array.isArray(output) ? output : [output];
    for (const message of messages) {
      const text = typeof message === "string" ? message : JSON.stringify(message);
      await this.queue.sendMessage(this.encoding === "base64" ? Buffer.from(text, "utf8").toString("base64") : text);
      for (const listener of this.listeners) listener.notify();
    }
    return messages.length;
  }
}

export interface ListenerStats {
  /** Function invocations, and how they ended. */
  invocations: number;
  succeeded: number;
  threw: number;
  /** Messages moved to the poison queue. */
  poisoned: number;
  /** Messages done with: deleted after success, or poisoned. */
  completed: number;
  maxConcurrent: number;
  /** performance.now() of the last completion. */
  lastCompletedAt: number;
  /** Wall time of each invocation, ms. */
  durations: number[];
  /** Why invocations threw, by message. */
  errors: Map<string, number>;
  /** Log lines by level, and the first few warnings and errors. */
  logs: Map<LogLevel, number>;
  warnings: string[];
}

/** The queue trigger of one function on one host instance. */
export class QueueListener {
  readonly stats: ListenerStats = {
    invocations: 0,
    succeeded: 0,
    threw: 0,
    poisoned: 0,
    completed: 0,
    maxConcurrent: 0,
    lastCompletedAt: 0,
    durations: [],
    errors: new Map(),
    logs: new Map(),
    warnings: [],
  };
  private readonly running = new Set<Promise<void>>();
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private pollDelayMs = MIN_POLLING_INTERVAL_MS;
  private readonly completionWaiters: (() => void)[] = [];

  constructor(
    private readonly functionName: string,
    private readonly queue: QueueClient,
    private readonly poisonQueue: QueueClient,
    private readonly options: QueueHostOptions,
    private readonly handler: QueueFunction,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** New messages are on the queue: poll now rather than after the back-off. */
  notify(): void {
    this.pollDelayMs = MIN_POLLING_INTERVAL_MS;
    this.wake?.();
  }

  /** Resolves once `count` messages are done with (deleted or poisoned), or after `timeoutMs`; true when they are. */
  async completedAtLeast(count: number, timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (this.stats.completed < count) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        this.completionWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  /** Stops polling and waits for the invocations still running. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await Promise.all(this.running);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      while (this.running.size > this.options.newBatchThreshold) await Promise.race(this.running);
      let batch: ReceivedMessageItem[];
      try {
        batch = (await this.queue.receiveMessages({ numberOfMessages: this.options.batchSize, visibilityTimeout: RUNNING_VISIBILITY_S }))
          .receivedMessageItems;
      } catch (error) {
        this.count(this.stats.errors, `receive: ${error instanceof Error ? error.message : String(error)}`);
        batch = [];
      }
      if (batch.length === 0) {
        await this.sleep(this.pollDelayMs);
        // Randomised exponential back-off: doubled, ±20%, at most the maximum.
        this.pollDelayMs = Math.min(this.options.maxPollingIntervalMs, this.pollDelayMs * 2 * (0.8 + Math.random() * 0.4));
        continue;
      }
      this.pollDelayMs = MIN_POLLING_INTERVAL_MS;
      for (const message of batch) {
        const work: Promise<void> = this.process(message).finally(() => this.running.delete(work));
        this.running.add(work);
        this.stats.maxConcurrent = Math.max(this.stats.maxConcurrent, this.running.size);
      }
    }
  }

  private async sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
    this.wake = undefined;
  }

  private async process(message: ReceivedMessageItem): Promise<void> {
    try {
      if (message.dequeueCount > this.options.maxDequeueCount) {
        await this.poison(message);
        return;
      }
      const ok = await this.invoke(message);
      if (ok) await this.queue.deleteMessage(message.messageId, message.popReceipt);
      else if (message.dequeueCount >= this.options.maxDequeueCount) await this.poison(message);
      else await this.queue.updateMessage(message.messageId, message.popReceipt, undefined, Math.floor(this.options.visibilityTimeoutMs / 1000));
      if (ok) this.completed();
    } catch (error) {
      // The host logs and leaves the message to reappear when its visibility runs out.
      this.count(this.stats.errors, `host: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async invoke(message: ReceivedMessageItem): Promise<boolean> {
    const text = this.options.messageEncoding === "base64" ? Buffer.from(message.messageText, "base64").toString("utf8") : message.messageText;
    let item: unknown = text;
    try {
      item = JSON.parse(text);
    } catch {
      // Not JSON: the function gets the string.
    }
    const context = new Invocation({
      functionName: this.functionName,
      invocationId: randomUUID(),
      logHandler: (level, ...args) => this.log(level, args),
      triggerMetadata: {
        dequeueCount: message.dequeueCount,
        expirationTime: message.expiresOn.toISOString(),
        id: message.messageId,
        insertionTime: message.insertedOn.toISOString(),
        nextVisibleTime: message.nextVisibleOn.toISOString(),
        popReceipt: message.popReceipt,
        queueTrigger: text,
      },
      options: { trigger: { type: "queueTrigger", name: "queueItem", queueName: this.queue.name, connection: "AzureWebJobsStorage" } },
    });
    this.stats.invocations++;
    const started = performance.now();
    try {
      await this.handler(item, context);
      this.stats.succeeded++;
      return true;
    } catch (error) {
      this.stats.threw++;
      this.count(this.stats.errors, error instanceof Error ? error.message.slice(0, 200) : String(error));
      return false;
    } finally {
      this.stats.durations.push(performance.now() - started);
    }
  }

  private async poison(message: ReceivedMessageItem): Promise<void> {
    await this.poisonQueue.sendMessage(message.messageText);
    await this.queue.deleteMessage(message.messageId, message.popReceipt);
    this.stats.poisoned++;
    this.completed();
  }

  private completed(): void {
    this.stats.completed++;
    this.stats.lastCompletedAt = performance.now();
    for (const waiter of this.completionWaiters.splice(0)) waiter();
  }

  private log(level: LogLevel, args: unknown[]): void {
    this.count(this.stats.logs, level);
    if ((level === "warning" || level === "error") && this.stats.warnings.length < 5)
      this.stats.warnings.push(`${level}: ${args.map(String).join(" ")}`);
  }

  private count<K>(map: Map<K, number>, key: K): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }
}
