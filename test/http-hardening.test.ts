/**
 * The HTTP endpoints against what callers send that they should not: names
 * every object inherits, bodies that are not what they say, the wrong
 * Content-Type; and what the endpoints must not tell: storage endpoints,
 * accounts and settings. Also GET /api/health.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { RestError, TableClient } from "@azure/data-tables";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ConcurrencyError, StateStoreError } from "../src/errors.js";
import { startFeedServer } from "../src/feed/stand-in-service.js";
import { alertsApi } from "../src/handlers/alerts.js";
import { driftCheckQueueOutput } from "../src/handlers/bindings.js";
import { dailyDriftCheck } from "../src/handlers/daily-drift-check.js";
import type { DriftCheckMessage, HandlerDeps } from "../src/handlers/deps.js";
import { driftCheckWorker } from "../src/handlers/drift-check-worker.js";
import { feedVersionCheck } from "../src/handlers/feed-version-check.js";
import { health } from "../src/handlers/health.js";
import { uploadInventory } from "../src/handlers/inventory-upload.js";
import { resyncStatus, startResync } from "../src/handlers/resync.js";
import { handlerDepsFromEnv } from "../src/handlers/runtime.js";
import type { StateStore } from "../src/state/store.js";
import { TableStateStore } from "../src/state/table-store.js";
import { worldwide } from "./support/feed.js";
import { azuriteDeps, invocation, type Logged, request, timer } from "./support/handlers.js";
import { uniqueTableName } from "./support/tables.js";

const API = "https://mfg.example.net/api";
const CONTOSO = "contoso.onmicrosoft.com";
const FABRIKAM = "fabrikam.onmicrosoft.com";
const JSON_TYPE = { "Content-Type": "application/json" };
const demoInventory = readFileSync(new URL("../examples/demo/inventory.json", import.meta.url), "utf8");
const fabrikamInventory = demoInventory.replace(CONTOSO, FABRIKAM);

type Handler = (deps: () => Promise<HandlerDeps>) => (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

const resync: Handler = (deps) => startResync(deps, driftCheckQueueOutput);

let server: Awaited<ReturnType<typeof startFeedServer>>;
let deps: HandlerDeps;
const clock = { now: new Date("2026-11-22T05:00:00Z") };
const getDeps = async () => deps;
/** A finished run of both tenants, with their outputs. */
let runId: string;

beforeAll(async () => {
  server = await startFeedServer({ Worldwide: { version: "2025060100", endpoints: worldwide() } });
  deps = await azuriteDeps(server.url, clock);
  for (const body of [demoInventory, fabrikamInventory]) expect((await call(uploadInventory, "POST", "inventory", { body })).status).toBe(201);
  const daily = invocation("dailyDriftCheck");
  await dailyDriftCheck(getDeps, driftCheckQueueOutput)(timer, daily.context);
  const messages = daily.context.extraOutputs.get(driftCheckQueueOutput) as DriftCheckMessage[];
  for (const message of messages) await driftCheckWorker(getDeps)(message, invocation("driftCheckWorker").context);
  runId = messages[0]!.runId;
});
afterAll(() => server.close());

/** Calls a handler as the host would; a body is sent as application/json unless `headers` say otherwise. */
async function call(
  handler: Handler,
  method: string,
  path: string,
  init: { body?: string | Uint8Array; params?: Record<string, string>; headers?: Record<string, string>; deps?: () => Promise<HandlerDeps> } = {},
) {
  const { context, logs } = invocation(path.split(/[/?]/)[0]!);
  const headers = init.headers ?? (init.body === undefined ? {} : JSON_TYPE);
  const response = await handler(init.deps ?? getDeps)(
    request(method, `${API}/${path}`, { ...(init.body === undefined ? {} : { body: init.body }), params: init.params ?? {}, headers }),
    context,
  );
  const error = (response.jsonBody as { error?: unknown } | undefined)?.error;
  return { status: response.status, response, body: response.jsonBody as Record<string, unknown>, error, context, logs };
}

/** An error body of one line, as every refusal must be. */
function expectOneLine(error: unknown): string {
  expect(typeof error).toBe("string");
  expect(error as string).not.toMatch(/[\r\n]/);
  return error as string;
}

const getRun = (query: string, id = runId) => call(resyncStatus, "GET", `resync/${id}${query}`, { params: { runId: id } });

describe("lookups by name find only what was stored", () => {
  it("hands out a stored file, so the refusals below are not the only answer", async () => {
    const found = await getRun(`?tenant=${CONTOSO}&file=report.md`);
    expect(found.status).toBe(200);
    expect(String(found.response.body)).toContain("# ");
  });

  it.each(["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"])("?file=%s answers 404 with one line", async (file) => {
    const { status, error, response } = await getRun(`?tenant=${CONTOSO}&file=${file}`);
    expect(status).toBe(404);
    const line = expectOneLine(error);
    expect(line.startsWith(`run ${runId} has no file "${file}" for ${CONTOSO} (it has `)).toBe(true);
    expect(line).toMatch(/\(it has [^()]*\breport\.md\b[^()]*\)$/);
    expect(response.body).toBeUndefined();
  });

  it.each(["constructor", "toString", "__proto__", "hasOwnProperty"])(
    "?tenant=%s answers 404 with one line, with or without ?file=",
    async (tenant) => {
      for (const query of [`?tenant=${tenant}`, `?tenant=${tenant}&file=report.md`]) {
        const { status, error } = await getRun(query);
        expect(status, query).toBe(404);
        expect(expectOneLine(error)).toBe(`run ${runId} has no tenant "${tenant.toLowerCase()}" (it has ${CONTOSO}, ${FABRIKAM})`);
      }
    },
  );

  it("?file= without ?tenant= is a 400 naming the run's tenants", async () => {
    const { status, error } = await getRun("?file=report.md");
    expect(status).toBe(400);
    expect(expectOneLine(error)).toBe(`?file= needs ?tenant= naming one of the run's tenants (${CONTOSO}, ${FABRIKAM})`);
  });

  it("a run id that is not a GUID is a 400, an unknown one a 404, each one line", async () => {
    const malformed = await getRun("", "constructor");
    expect(malformed.status).toBe(400);
    expect(expectOneLine(malformed.error)).toBe('run id "constructor" is not a run id (expected a GUID)');
    const unknown = await getRun("", "5f1c2f7e-8f0a-4a51-9d9e-0c6a3b1d2e4f");
    expect(unknown.status).toBe(404);
    expect(expectOneLine(unknown.error)).toBe("run 5f1c2f7e-8f0a-4a51-9d9e-0c6a3b1d2e4f does not exist");
  });

  it.each(["constructor", "__proto__", "toString"])(
    "DELETE /alerts/{tenant}/snooze/%s answers 404: nothing inherited is a snooze",
    async (finding) => {
      const { status, error } = await call(alertsApi, "DELETE", `alerts/${CONTOSO}/snooze/${finding}`, {
        params: { tenant: CONTOSO, action: "snooze", finding },
      });
      expect(status).toBe(404);
      expect(expectOneLine(error)).toBe(`"${finding}" is not snoozed`);
    },
  );
});

describe("POST /api/resync bodies", () => {
  const NOT_AN_OBJECT =
    /^request body: expected an object such as \{"tenant": "contoso\.onmicrosoft\.com"\} or \{"tenants": \[…\]\}, or an empty body/;

  it.each([
    ["null", "null", NOT_AN_OBJECT],
    ["an array", "[]", NOT_AN_OBJECT],
    ["a string", '"contoso.onmicrosoft.com"', NOT_AN_OBJECT],
    ["a number", "1", NOT_AN_OBJECT],
    ["an empty tenant", '{"tenant":""}', /^request body: tenant: expected a tenant name such as contoso\.onmicrosoft\.com$/],
    ["a blank tenant", '{"tenant":"  "}', /^request body: tenant: expected a tenant name/],
    ["a tenant that is not text", '{"tenant":42}', /^request body: tenant: /],
    ["no tenants", '{"tenants":[]}', /^request body: tenants: expected at least one tenant name \(an empty body re-syncs every tenant\)$/],
    ["an empty name among tenants", `{"tenants":["${CONTOSO}",""]}`, /^request body: tenants\[1\]: expected a tenant name/],
    [
      "a tenant listed twice in different spellings",
      '{"tenants":["A.onmicrosoft.com","a.onmicrosoft.com "]}',
      /^request body: tenants\[1\]: "a\.onmicrosoft\.com" is listed twice \(tenants\[0\] too\)$/,
    ],
    ["both tenant and tenants", '{"tenant":"x","tenants":["y"]}', /^request body: tenants: expected "tenant" or "tenants", not both$/],
    ["an unknown key", `{"tenant":"${CONTOSO}","force":true}`, /^request body: has an unknown key "force" \(a typo\?\)$/],
  ])("refuses %s with a 400 of one line naming the field, and starts no run", async (_what, body, message) => {
    const before = await deps.store.list("run");
    const { status, error, context } = await call(resync, "POST", "resync", { body });
    expect(status).toBe(400);
    expect(expectOneLine(error)).toMatch(message);
    expect(context.extraOutputs.get(driftCheckQueueOutput)).toBeUndefined();
    expect(await deps.store.list("run")).toEqual(before);
  });

  it.each([
    ["no body and no Content-Type", {}],
    // Bytes, so that nothing fills the Content-Type in.
    ["a blank body and no Content-Type", { body: new TextEncoder().encode(" \r\n"), headers: {} }],
    ["an empty object", { body: "{}" }],
  ])("re-syncs every tenant for %s", async (_what, init) => {
    const { status, body } = await call(resync, "POST", "resync", init);
    expect(status).toBe(202);
    expect(body.tenants).toEqual([CONTOSO, FABRIKAM]);
  });

  it("takes names as stored: trimmed and in lower case", async () => {
    const { status, body } = await call(resync, "POST", "resync", { body: JSON.stringify({ tenants: [" Contoso.onmicrosoft.com", FABRIKAM] }) });
    expect(status).toBe(202);
    expect(body.tenants).toEqual([CONTOSO, FABRIKAM]);
  });
});

describe("Content-Type of uploads", () => {
  const config = JSON.stringify({ mail: { to: ["exchange-admins@contoso.com"] } });
  const uploads: [string, Handler, string, string, string, Record<string, string>][] = [
    ["POST /api/inventory", uploadInventory, "POST", "inventory", demoInventory, {}],
    ["POST /api/resync", resync, "POST", "resync", JSON.stringify({ tenant: CONTOSO }), {}],
    ["PUT /api/alerts/{tenant}", alertsApi, "PUT", `alerts/${CONTOSO}`, config, { tenant: CONTOSO }],
  ];
  const refused = [
    "text/plain",
    "text/plain;charset=UTF-8",
    "application/x-www-form-urlencoded",
    "text/json",
    "application/merge-patch+json",
    "application/jsonl",
    "application/json; charset=iso-8859-1",
  ];

  /** The inventory also takes Export-Clixml output as XML. */
  const expectedType = (path: string) =>
    path === "inventory"
      ? "expected application/json, or application/xml or text/xml for Export-Clixml output (optionally with ; charset=utf-8 or utf-16)"
      : "expected application/json (optionally with ; charset=utf-8 or utf-16)";

  it.each(uploads.flatMap(([what, ...rest]) => refused.map((type) => [what, type, ...rest] as const)))(
    "%s refuses %s with a 415 saying what is expected",
    async (_what, type, handler, method, path, body, params) => {
      const { status, error } = await call(handler, method, path, { body, params, headers: { "Content-Type": type } });
      expect(status).toBe(415);
      expect(expectOneLine(error)).toBe(`request body: Content-Type ${JSON.stringify(type)} is not accepted; ${expectedType(path)}`);
    },
  );

  it.each(uploads)("%s refuses a body without Content-Type with a 415", async (_what, handler, method, path, body, params) => {
    // Bytes, so that nothing fills the Content-Type in.
    const { status, error } = await call(handler, method, path, { body: new TextEncoder().encode(body), params, headers: {} });
    expect(status).toBe(415);
    expect(expectOneLine(error)).toBe(`request body: has no Content-Type; ${expectedType(path)}`);
  });

  it.each(["application/json", "Application/JSON; charset=UTF-8", 'application/json;charset="utf-8"', "application/json; charset=utf-16"])(
    "takes %s, and a refused upload changed nothing",
    async (type) => {
      const tenant = "northwind.onmicrosoft.com";
      const body = demoInventory.replace(CONTOSO, tenant);
      expect((await call(uploadInventory, "POST", "inventory", { body, headers: { "Content-Type": "text/plain" } })).status).toBe(415);
      expect(await deps.store.list("inventory")).not.toContain(tenant);
      expect((await call(uploadInventory, "POST", "inventory", { body, headers: { "Content-Type": type } })).status).toBeLessThan(300);
      expect(await deps.store.list("inventory")).toContain(tenant);
      await deps.store.delete("inventory", tenant);
    },
  );

  it("the snooze body is held to the same type", async () => {
    const snooze = { finding: "nope", reason: "r", by: "b", until: "2026-12-29T06:00:00Z" };
    const params = { tenant: CONTOSO, action: "snooze" };
    const plain = await call(alertsApi, "POST", `alerts/${CONTOSO}/snooze`, {
      body: JSON.stringify(snooze),
      params,
      headers: { "Content-Type": "text/plain" },
    });
    expect(plain.status).toBe(415);
    // Sent as JSON, it gets as far as the finding.
    const json = await call(alertsApi, "POST", `alerts/${CONTOSO}/snooze`, { body: JSON.stringify(snooze), params });
    expect(json.status).toBe(400);
    expect(json.error).toMatch(/has no open finding "nope"/);
  });
});

/** A port nothing listens on: one that was just free. */
async function closedPort(): Promise<number> {
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const { port } = listener.address() as { port: number };
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  return port;
}

/** Azurite's connection string with the table endpoint moved to `port`. */
function connectionStringAt(port: number): string {
  return inject("azuriteTableConnectionString").replace(/TableEndpoint=http:\/\/127\.0\.0\.1:\d+/, `TableEndpoint=http://127.0.0.1:${port}`);
}

/** A store on a closed port, without the SDK's retries so the tests do not wait for them. */
function unreachableStore(port: number): StateStore {
  return new TableStateStore(
    TableClient.fromConnectionString(connectionStringAt(port), uniqueTableName("closed"), {
      allowInsecureConnection: true,
      retryOptions: { maxRetries: 0 },
    }),
  );
}

/** A store whose every call fails with `error()`, whatever the interface grows. */
function failingStore(error: () => Error): StateStore {
  return new Proxy(deps.store, {
    get: (target, name) =>
      name === "description"
        ? target.description
        : async () => {
            throw error();
          },
  });
}

/** Nothing a caller gets back may name where the state lives. */
function expectNoStorage(body: unknown, port?: number): void {
  const text = JSON.stringify(body);
  for (const leak of ["127.0.0.1", "devstoreaccount1", "table.core.windows.net", "acct", "Table Storage", "AccountKey", "sig="]) {
    expect(text).not.toContain(leak);
  }
  if (port !== undefined) expect(text).not.toContain(String(port));
}

describe("what errors tell the caller", () => {
  const calls: [string, Handler, string, string, { body?: string; params?: Record<string, string> }][] = [
    ["POST /api/inventory", uploadInventory, "POST", "inventory", { body: demoInventory }],
    ["POST /api/resync", resync, "POST", "resync", {}],
    [
      "GET /api/resync/{runId}",
      resyncStatus,
      "GET",
      "resync/5f1c2f7e-8f0a-4a51-9d9e-0c6a3b1d2e4f",
      { params: { runId: "5f1c2f7e-8f0a-4a51-9d9e-0c6a3b1d2e4f" } },
    ],
    ["GET /api/alerts/{tenant}", alertsApi, "GET", `alerts/${CONTOSO}`, { params: { tenant: CONTOSO } }],
  ];

  function expectInternalError(result: Awaited<ReturnType<typeof call>>, logged: RegExp): void {
    expect(result.status).toBe(500);
    expect(result.body).toEqual({ error: `internal error; see the function log for invocation ${result.context.invocationId}` });
    expect(result.logs).toContainEqual({ level: "error", text: expect.stringMatching(logged) });
  }

  it.each(calls)(
    "%s answers 500 without the endpoint when the store is on a closed port, and logs why",
    async (_what, handler, method, path, init) => {
      const port = await closedPort();
      const broken = { ...deps, store: unreachableStore(port) };
      const result = await call(handler, method, path, { ...init, deps: async () => broken });
      expectInternalError(result, /failed: Table Storage: could not create the table \w+: .*ECONNREFUSED/);
      expectNoStorage(result.body, port);
    },
  );

  it("a storage error quoting the entity's URL: 500 without it; the log keeps the URL for the operator", async () => {
    const url = "https://acct.table.core.windows.net/mailflowguard(PartitionKey='inventory',RowKey='contoso.onmicrosoft.com')";
    const broken = { ...deps, store: failingStore(() => new RestError(`Server failed to authenticate the request: ${url}`, { statusCode: 403 })) };
    const result = await call(uploadInventory, "POST", "inventory", { body: demoInventory, deps: async () => broken });
    expectInternalError(result, /failed: Server failed to authenticate the request: https:\/\/acct\.table\.core\.windows\.net\/mailflowguard/);
    expectNoStorage(result.body);
  });

  it("a SAS token in a quoted URL stays out of the log too", async () => {
    const broken = { ...deps, store: failingStore(() => new Error("GET https://acct.table.core.windows.net/t?sv=2024-01-01&sig=c2VjcmV0 failed")) };
    const result = await call(uploadInventory, "POST", "inventory", { body: demoInventory, deps: async () => broken });
    expectInternalError(result, /failed: GET https:\/\/acct\.table\.core\.windows\.net\/t failed$/);
    expectNoStorage(result.body);
    expect(result.logs.map((l) => l.text).join("\n")).not.toContain("c2VjcmV0");
  });

  it("a StateStoreError naming the store: 500 without it", async () => {
    const text = 'run "x" in Table Storage http://127.0.0.1:10002/devstoreaccount1/mailflowguard is incomplete';
    const broken = { ...deps, store: failingStore(() => new StateStoreError(text)) };
    const result = await call(resyncStatus, "GET", `resync/${runId}`, { params: { runId }, deps: async () => broken });
    expectInternalError(result, /is incomplete/);
    expectNoStorage(result.body);
  });

  it("a write that kept losing to other writers: 409 to try again, without the store's text", async () => {
    const broken = {
      ...deps,
      store: failingStore(
        () => new ConcurrencyError("inventory in Table Storage http://127.0.0.1:10002/devstoreaccount1/t was changed by another writer"),
      ),
    };
    const result = await call(uploadInventory, "POST", "inventory", { body: demoInventory, deps: async () => broken });
    expect(result.status).toBe(409);
    expect(result.body).toEqual({ error: "another request changed the same data at the same time; try again" });
    expectNoStorage(result.body);
    expect(result.logs).toContainEqual({ level: "warning", text: expect.stringMatching(/changed by another writer/) });
  });

  const badSettings: [string, NodeJS.ProcessEnv, RegExp, string][] = [
    [
      "a storage account name that is not one",
      { AzureWebJobsStorage__accountName: "Not_An_Account" },
      /^inventory failed on the app settings: app settings: AzureWebJobsStorage__accountName: "Not_An_Account" is not a storage account name/,
      "Not_An_Account",
    ],
    [
      "a feed URL that is not http(s)",
      { M365_ENDPOINTS_BASE_URL: "ftp://feed.example.net", AzureWebJobsStorage: "UseDevelopmentStorage=true" },
      /^inventory failed on the app settings: settings: M365_ENDPOINTS_BASE_URL: expected an http\(s\) URL$/,
      "M365_ENDPOINTS_BASE_URL",
    ],
    ["no storage at all", {}, /^inventory failed on the app settings: app settings: no state storage configured/, "AzureWebJobsStorage"],
  ];

  it.each(badSettings)("a bad setting (%s) is a 500 with the line in the log, not a 400 about settings", async (_what, env, logged, secret) => {
    const result = await call(uploadInventory, "POST", "inventory", { body: demoInventory, deps: () => handlerDepsFromEnv(env) });
    expectInternalError(result, logged);
    expect(JSON.stringify(result.body)).not.toContain(secret);
    expect(JSON.stringify(result.body)).not.toMatch(/settings/i);
  });

  it.each(calls)("%s answers a bad setting with the same 500", async (_what, handler, method, path, init) => {
    const result = await call(handler, method, path, {
      ...init,
      deps: () => handlerDepsFromEnv({ AzureWebJobsStorage__accountName: "Not_An_Account" }),
    });
    expectInternalError(result, /failed on the app settings: app settings: AzureWebJobsStorage__accountName: /);
    expect(JSON.stringify(result.body)).not.toContain("Not_An_Account");
  });
});

describe("GET /api/health", () => {
  const healthOf = (getHealthDeps: () => Promise<HandlerDeps>) => call(() => health(getHealthDeps), "GET", "health");
  const HOUR = 3600_000;

  it("answers 200 ok with the feed in force, its version and age, and says when it gets too old", async () => {
    // A table of its own, so the times are this test's.
    const own = await azuriteDeps(server.url, { now: new Date("2026-12-01T05:00:00Z") });
    let now = new Date("2026-12-01T05:00:00Z");
    const fresh = { ...own, now: () => now };
    const empty = await healthOf(async () => fresh);
    expect(empty.status).toBe(200);
    expect(empty.response.headers).toMatchObject({ "Cache-Control": "no-store" });
    expect(empty.body).toMatchObject({ status: "ok", checks: { settings: "ok", store: "ok" } });
    expect(empty.body.feeds).toEqual([
      { instance: "Worldwide", version: null, fetchedAt: null, lastVersionCheckAt: null, confirmedAt: null, ageSeconds: null },
    ]);
    expect(empty.body.warnings).toEqual(["Worldwide feed: none accepted yet; checks fail until one is"]);

    await feedVersionCheck(async () => fresh)(timer, invocation("feedVersionCheck").context);
    now = new Date(now.getTime() + 2 * HOUR);
    const current = await healthOf(async () => fresh);
    expect(current.status).toBe(200);
    expect(current.body).toEqual({
      status: "ok",
      checkedAt: "2026-12-01T07:00:00.000Z",
      checks: { settings: "ok", store: "ok" },
      feeds: [
        {
          instance: "Worldwide",
          version: "2025060100",
          fetchedAt: "2026-12-01T05:00:00.000Z",
          lastVersionCheckAt: "2026-12-01T05:00:00.000Z",
          confirmedAt: "2026-12-01T05:00:00.000Z",
          ageSeconds: 7200,
        },
      ],
    });

    now = new Date(now.getTime() + 8 * 24 * HOUR);
    const old = await healthOf(async () => fresh);
    expect(old.status).toBe(200);
    expect(old.body.status).toBe("ok");
    expect(old.body.warnings).toEqual([
      "Worldwide feed: last confirmed current 194 hours ago, longer than checks accept (168 hours) when the feed service cannot be reached",
    ]);
  });

  function expectFailing(result: Awaited<ReturnType<typeof call>>, checks: Record<string, string>, error: string, logged: RegExp, logs: Logged[]) {
    expect(result.status).toBe(503);
    expect(result.body).toMatchObject({
      status: "failing",
      checks,
      errors: [`${error}; see the function log for invocation ${result.context.invocationId}`],
    });
    for (const line of result.body.errors as unknown[]) expectOneLine(line);
    expect(logs).toContainEqual({ level: "error", text: expect.stringMatching(logged) });
  }

  it("answers 503 when the store is unreachable, without its endpoint", async () => {
    const port = await closedPort();
    const broken = { ...deps, store: unreachableStore(port) };
    const result = await healthOf(async () => broken);
    expectFailing(result, { settings: "ok", store: "failed" }, "state store: not reachable or failing", /ECONNREFUSED/, result.logs);
    expectNoStorage(result.body, port);
  });

  it("answers 503 when the store cannot be reached as the app starts, with the settings good", async () => {
    const port = await closedPort();
    const result = await healthOf(() => handlerDepsFromEnv({ AzureWebJobsStorage: connectionStringAt(port) }));
    expectFailing(result, { settings: "ok", store: "failed" }, "state store: not reachable or failing", /Table Storage: /, result.logs);
    expectNoStorage(result.body, port);
  }, 60_000);

  it("answers 503 for bad settings without quoting them", async () => {
    const result = await healthOf(() => handlerDepsFromEnv({ AzureWebJobsStorage__accountName: "Not_An_Account" }));
    expectFailing(
      result,
      { settings: "failed", store: "not checked" },
      "settings: the app settings are not valid",
      /AzureWebJobsStorage__accountName: "Not_An_Account" is not a storage account name/,
      result.logs,
    );
    expect(JSON.stringify(result.body)).not.toContain("Not_An_Account");
    expect(JSON.stringify(result.body)).not.toContain("AzureWebJobsStorage");
  });

  it("answers 503 when a feed state cannot be read, without the store's text", async () => {
    const text = 'feed "Worldwide" in Table Storage http://127.0.0.1:10002/devstoreaccount1/t is incomplete';
    const listing = {
      ...deps,
      store: new Proxy(deps.store, {
        get: (t, name) => (name === "get" ? async () => Promise.reject(new StateStoreError(text)) : Reflect.get(t, name, t)),
      }),
    };
    const result = await healthOf(async () => listing);
    expectFailing(
      result,
      { settings: "ok", store: "failed" },
      "state store: the Worldwide feed state could not be read",
      /is incomplete/,
      result.logs,
    );
    expectNoStorage(result.body);
  });
});

describe("functions/", () => {
  /** Every app.http registration: its name, methods, auth level and route. */
  const registrations = readdirSync(new URL("../functions/", import.meta.url))
    .filter((name) => name.endsWith(".ts"))
    .flatMap((name) => {
      const text = readFileSync(new URL(`../functions/${name}`, import.meta.url), "utf8");
      return [...text.matchAll(/app\.http\("(\w+)", \{\s*methods: (\[[^\]]*\]),\s*authLevel: "(\w+)",\s*route: "([^"]+)"/g)].map((m) => ({
        name: m[1],
        methods: JSON.parse(m[2]!) as string[],
        authLevel: m[3],
        route: m[4],
      }));
    });

  it("registers the HTTP endpoints with function keys, the run's status only for a GUID, and the health endpoint", () => {
    expect(registrations.sort((a, b) => String(a.name).localeCompare(String(b.name)))).toEqual([
      { name: "alerts", methods: ["GET", "PUT", "POST", "DELETE"], authLevel: "function", route: "alerts/{tenant}/{action?}/{finding?}" },
      { name: "health", methods: ["GET"], authLevel: "function", route: "health" },
      { name: "inventory", methods: ["POST"], authLevel: "function", route: "inventory" },
      { name: "resync", methods: ["POST"], authLevel: "function", route: "resync" },
      { name: "resyncStatus", methods: ["GET"], authLevel: "function", route: "resync/{runId:guid}" },
    ]);
  });
});
