import { randomUUID } from "node:crypto";
import { TableClient } from "@azure/data-tables";
import { HttpRequest, InvocationContext, type Timer } from "@azure/functions";
import { inject } from "vitest";
import { settingsFromEnv } from "../../src/config.js";
import { createFeedClient } from "../../src/feed/client.js";
import type { HandlerDeps } from "../../src/handlers/deps.js";
import { clientRequestId } from "../../src/state/installation.js";
import { TableStateStore } from "../../src/state/table-store.js";
import { uniqueTableName } from "./tables.js";

/** Handler dependencies on Azurite Table Storage and a local feed service, with a clock the test moves. */
export async function azuriteDeps(feedUrl: string, clock: { now: Date }): Promise<HandlerDeps> {
  const table = TableClient.fromConnectionString(inject("azuriteTableConnectionString"), uniqueTableName("handlers"), {
    allowInsecureConnection: true,
  });
  const store = new TableStateStore(table);
  return {
    store,
    feed: createFeedClient({ baseUrl: feedUrl, clientRequestId: await clientRequestId(store), sleep: async () => {}, retries: 1 }),
    settings: settingsFromEnv({ M365_ENDPOINTS_BASE_URL: feedUrl, MAILFLOW_GUARD_MAX_INVENTORY_BYTES: "200000" }),
    now: () => clock.now,
    newRunId: randomUUID,
    log: () => {},
  };
}

export interface Logged {
  level: string;
  text: string;
}

/** An InvocationContext as the host would pass it, keeping what the handler logged. */
export function invocation(functionName: string): { context: InvocationContext; logs: Logged[] } {
  const logs: Logged[] = [];
  const context = new InvocationContext({
    functionName,
    invocationId: randomUUID(),
    logHandler: (level, ...args) => logs.push({ level, text: args.map(String).join(" ") }),
  });
  return { context, logs };
}

export const timer: Timer = { isPastDue: false, schedule: { adjustForDST: true }, scheduleStatus: { last: "", next: "", lastUpdated: "" } };

export function request(
  method: string,
  url: string,
  init: { body?: string | Uint8Array; params?: Record<string, string>; headers?: Record<string, string> } = {},
): HttpRequest {
  return new HttpRequest({
    method,
    url,
    ...(init.body === undefined ? {} : { body: typeof init.body === "string" ? { string: init.body } : { bytes: init.body } }),
    // A body is JSON unless the test says otherwise, as every client of these endpoints sends it.
    headers: init.headers ?? (init.body === undefined ? {} : { "Content-Type": "application/json" }),
    params: init.params ?? {},
  });
}
