import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { InvocationContext } from "@azure/functions";
import { expect } from "vitest";
import { driftCheckQueueOutput } from "../../src/handlers/bindings.js";
import { dailyDriftCheck } from "../../src/handlers/daily-drift-check.js";
import type { DriftCheckMessage, HandlerDeps } from "../../src/handlers/deps.js";
import { driftCheckWorker } from "../../src/handlers/drift-check-worker.js";
import { uploadInventory } from "../../src/handlers/inventory-upload.js";
import type { StateStore } from "../../src/state/store.js";
import { azuriteDeps, type Logged, request, timer } from "./handlers.js";

export const API = "https://mfg.example.net/api";
export const CONTOSO = "contoso.onmicrosoft.com";
export const FABRIKAM = "fabrikam.onmicrosoft.com";
const demoInventory = readFileSync(new URL("../../examples/demo/inventory.json", import.meta.url), "utf8");
const rawConnectors = readFileSync(new URL("../../examples/get-receiveconnector.json", import.meta.url), "utf8");

/** Handler dependencies on a table of their own, with CONTOSO and FABRIKAM registered. */
export async function twoTenants(feedUrl: string, clock: { now: Date }): Promise<HandlerDeps> {
  const deps = await azuriteDeps(feedUrl, clock);
  for (const [url, body] of [
    [`${API}/inventory`, demoInventory],
    [`${API}/inventory?tenant=${FABRIKAM}&mode=exact`, rawConnectors],
  ] as const) {
    const response = await uploadInventory(async () => deps)(request("POST", url, { body }), invocation("inventory").context);
    expect(response.status).toBe(201);
  }
  return deps;
}

/** An InvocationContext as the host passes it, with the queue's dequeue count when given, keeping what was logged. */
export function invocation(functionName: string, dequeueCount?: number): { context: InvocationContext; logs: Logged[] } {
  const logs: Logged[] = [];
  const context = new InvocationContext({
    functionName,
    invocationId: randomUUID(),
    logHandler: (level, ...args) => logs.push({ level, text: args.map(String).join(" ") }),
    ...(dequeueCount === undefined ? {} : { triggerMetadata: { dequeueCount } }),
  });
  return { context, logs };
}

/** One firing of the daily timer: the messages it queued (undefined for none), its log, and what it threw. */
export async function fire(deps: HandlerDeps) {
  const { context, logs } = invocation("dailyDriftCheck");
  const error = await settled(dailyDriftCheck(async () => deps, driftCheckQueueOutput)(timer, context));
  return { messages: context.extraOutputs.get(driftCheckQueueOutput) as DriftCheckMessage[] | undefined, logs, error };
}

/** One delivery of a message to the worker (`dequeueCount` as the queue counts it): its log and what it threw. */
export async function deliver(deps: HandlerDeps, message: unknown, dequeueCount?: number) {
  const { context, logs } = invocation("driftCheckWorker", dequeueCount);
  return { logs, error: await settled(driftCheckWorker(async () => deps)(message, context)) };
}

/** The store with `get` or `put` replaced; every other call goes through. */
export function intercepted(store: StateStore, over: Partial<Pick<StateStore, "get" | "put">>): StateStore {
  return {
    description: store.description,
    get: over.get ?? ((kind, key) => store.get(kind, key)),
    put: over.put ?? ((kind, key, value, condition) => store.put(kind, key, value, condition)),
    delete: (kind, key, condition) => store.delete(kind, key, condition),
    list: (kind, options) => store.list(kind, options),
    removeLeftovers: (before) => store.removeLeftovers(before),
  };
}

/** What a promise rejected with, or undefined when it resolved. */
function settled(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}
