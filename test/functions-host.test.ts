/**
 * The Functions host's side of the app: the settings it must be given
 * (local.settings.example.json), the host options every function file loads
 * (functions/setup.ts), and request bodies as the host streams them.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { HttpRequest, type HttpRequestInit } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { settingsFromEnv } from "../src/config.js";
import { uploadInventory } from "../src/handlers/inventory-upload.js";
import { handlerDepsFromEnv } from "../src/handlers/runtime.js";
import { FUNCTION_TIMEOUT_MS, QUEUE_MAX_DEQUEUE_COUNT } from "../src/run/run.js";
import { storageSettingFromEnv } from "../src/state/storage-setting.js";
import { azuriteDeps, invocation } from "./support/handlers.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const functionsDir = join(root, "functions");
const functionFiles = readdirSync(functionsDir).filter((name) => name.endsWith(".ts") && !name.endsWith(".test.ts"));

const example = JSON.parse(readFileSync(join(root, "local.settings.example.json"), "utf8")) as {
  IsEncrypted?: unknown;
  Values?: Record<string, unknown>;
};
const values = (example.Values ?? {}) as Record<string, string>;

/** MAILFLOW_GUARD_… and AzureWebJobs… names; not a prefix such as `AzureWebJobsStorage__*` in a comment. */
const SETTING_NAME = /\b(?:MAILFLOW_GUARD_|AzureWebJobs)\w*[A-Za-z0-9]\b/g;

/** Settings for the host itself, which the app's code never reads. */
const HOST_SETTINGS = ["FUNCTIONS_WORKER_RUNTIME"];

/** functions/*.ts and every file they import, transitively: the code the Functions host runs. */
function appSources(): Map<string, string> {
  const sources = new Map<string, string>();
  const pending = functionFiles.map((name) => join(functionsDir, name));
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (sources.has(file)) continue;
    const text = readFileSync(file, "utf8");
    sources.set(file, text);
    for (const [, specifier] of text.matchAll(/(?:\bfrom|\bimport|\bimport\()\s*["'](\.{1,2}\/[^"']+)["']/g)) {
      const target = resolve(dirname(file), specifier!.replace(/\.js$/, ".ts"));
      if (!existsSync(target)) throw new Error(`${relative(root, file)} imports ${specifier}, which is not a file`);
      if (target.endsWith(".ts")) pending.push(target);
    }
  }
  return sources;
}

/** Every name matching `pattern` (its first group, else the whole match) in the texts. */
function namesIn(texts: Iterable<string>, pattern: RegExp): Set<string> {
  const names = new Set<string>();
  for (const text of texts) for (const match of text.matchAll(pattern)) names.add(match[1] ?? match[0]);
  return names;
}

/** The names `run` reads from the environment it is given, which has none set. */
async function readsOf(run: (env: NodeJS.ProcessEnv) => unknown): Promise<Set<string>> {
  const names = new Set<string>();
  const env = new Proxy({} as NodeJS.ProcessEnv, {
    get: (_target, name) => {
      if (typeof name === "string") names.add(name);
      return undefined;
    },
  });
  try {
    await run(env);
  } catch {
    // Without storage settings the app refuses to start; the reads before that are what counts.
  }
  return names;
}

describe("local.settings.example.json", () => {
  const sources = appSources();
  const configSource = readFileSync(join(root, "src/config.ts"), "utf8");
  const settingsShape = /const env = z\.object\(\{([\s\S]*?)\n\}\);/.exec(configSource)?.[1] ?? "";

  it("is a local.settings.json of plain string values", () => {
    expect(example.IsEncrypted).toBe(false);
    expect(Object.keys(values).length).toBeGreaterThan(0);
    for (const [name, value] of Object.entries(values)) expect(typeof value, name).toBe("string");
  });

  it("lists every setting the app's code names", () => {
    // The scans must see the app, or they would pass for want of anything to find.
    expect([...sources.keys()].map((file) => relative(root, file))).toEqual(expect.arrayContaining(["src/config.ts", "src/handlers/runtime.ts"]));
    const named = new Set([
      ...namesIn(sources.values(), SETTING_NAME),
      ...namesIn([settingsShape], /^\s+([A-Za-z_]\w*):/gm),
      ...namesIn(
        functionFiles.map((name) => readFileSync(join(functionsDir, name), "utf8")),
        /["']%(\w+)%["']/g,
      ),
    ]);
    expect(named).toContain("M365_ENDPOINTS_BASE_URL");
    expect(named).toContain("FEED_CHECK_SCHEDULE");
    expect([...named].filter((name) => !(name in values))).toEqual([]);
  });

  it("lists every setting the app reads when it starts", async () => {
    const read = await readsOf((env) => handlerDepsFromEnv(env));
    expect(read).toContain("M365_ENDPOINTS_BASE_URL");
    expect(read).toContain("AzureWebJobsStorage");
    expect([...read].filter((name) => !(name in values))).toEqual([]);
  });

  it("lists nothing the app and the host do not read", async () => {
    const read = await readsOf((env) => handlerDepsFromEnv(env));
    const known = new Set([...read, ...namesIn(sources.values(), SETTING_NAME), ...namesIn(sources.values(), /["']%(\w+)%["']/g), ...HOST_SETTINGS]);
    expect(Object.keys(values).filter((name) => !known.has(name))).toEqual([]);
  });

  it("gives safe values: the defaults, Azurite's storage, six-field NCRONTAB schedules", () => {
    expect(values.FUNCTIONS_WORKER_RUNTIME).toBe("node");
    expect(settingsFromEnv(values)).toEqual(settingsFromEnv({}));
    expect(storageSettingFromEnv(values)).toEqual({ kind: "table", connectionString: "UseDevelopmentStorage=true", tableName: "mailflowguard" });
    const schedules = [
      ...namesIn(
        functionFiles.map((name) => readFileSync(join(functionsDir, name), "utf8")),
        /schedule:\s*["']%(\w+)%["']/g,
      ),
    ];
    expect(schedules.sort()).toEqual(["ALERT_SCHEDULE", "DRIFT_CHECK_SCHEDULE", "FEED_CHECK_SCHEDULE"]);
    for (const name of schedules) expect(values[name], name).toMatch(/^[\d*/,-]+( [\d*/,-]+){5}$/);
  });
});

describe("host.json", () => {
  it("has the function timeout and queue tries that a run's abandoned tenants are derived from", () => {
    const host = JSON.parse(readFileSync(join(root, "host.json"), "utf8")) as {
      functionTimeout: string;
      extensions: { queues: { maxDequeueCount: number } };
    };
    const [hours, minutes, seconds] = host.functionTimeout.split(":").map(Number) as [number, number, number];
    expect(((hours * 60 + minutes) * 60 + seconds) * 1000).toBe(FUNCTION_TIMEOUT_MS);
    expect(host.extensions.queues.maxDequeueCount).toBe(QUEUE_MAX_DEQUEUE_COUNT);
  });
});

describe("functions/setup.ts", () => {
  it("turns on HTTP streaming", () => {
    expect(readFileSync(join(functionsDir, "setup.ts"), "utf8")).toMatch(/^app\.setup\(\{ enableHttpStream: true \}\);$/m);
  });

  it.each(functionFiles.filter((name) => name !== "setup.ts"))("is the first import of functions/%s", (name) => {
    const firstImport = /^import\b.*$/m.exec(readFileSync(join(functionsDir, name), "utf8"))?.[0];
    expect(firstImport).toBe('import "./setup.js";');
  });
});

describe("request bodies as the host streams them", () => {
  const clock = { now: new Date("2026-11-22T05:00:00Z") };
  const demoInventory = readFileSync(join(root, "examples/demo/inventory.json"), "utf8");

  /** An HttpRequest as the library builds it with streaming on: around a fetch Request whose body is the stream. */
  function streamed(
    url: string,
    body: ReadableStream<Uint8Array>,
    headers: Record<string, string> = { "content-type": "application/json" },
  ): HttpRequest {
    const nativeRequest = new Request(url, { method: "POST", body, headers, duplex: "half" } as RequestInit);
    return new HttpRequest({ nativeRequest, params: {} } as HttpRequestInit);
  }

  function chunks(texts: string[]): ReadableStream<Uint8Array> {
    const bytes = texts.map((text) => new TextEncoder().encode(text));
    return new ReadableStream({
      pull(controller) {
        const next = bytes.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
  }

  it("registers an inventory sent in pieces", async () => {
    const deps = await azuriteDeps("http://127.0.0.1:9", clock);
    const third = Math.ceil(demoInventory.length / 3);
    const pieces = [demoInventory.slice(0, third), demoInventory.slice(third, 2 * third), demoInventory.slice(2 * third)];
    const response = await uploadInventory(async () => deps)(
      streamed("https://mfg.example.net/api/inventory", chunks(pieces)),
      invocation("inventory").context,
    );
    expect(response.status).toBe(201);
    expect(response.jsonBody).toMatchObject({ tenant: "contoso.onmicrosoft.com", instance: "Worldwide" });
  });

  it("answers 413 to an endless body without reading much past the limit, and cancels it", async () => {
    const deps = await azuriteDeps("http://127.0.0.1:9", clock);
    const limit = deps.settings.maxInventoryBytes;
    const chunk = new Uint8Array(16 * 1024).fill(0x20);
    let sent = 0;
    let cancelled = false;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
      cancel() {
        cancelled = true;
      },
    });
    const response = await uploadInventory(async () => deps)(
      streamed("https://mfg.example.net/api/inventory", endless),
      invocation("inventory").context,
    );
    expect(response.status).toBe(413);
    expect(cancelled).toBe(true);
    // The fetch Request may read ahead by a few chunks; nowhere near an unbounded body.
    expect(sent).toBeGreaterThan(limit);
    expect(sent).toBeLessThan(limit + 16 * chunk.byteLength);
    expect(await deps.store.list("inventory")).toEqual([]);
  });
});
