import { existsSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Timer } from "@azure/functions";
import { QueueServiceClient } from "@azure/storage-queue";
import { loadFindingState } from "../src/alerts/finding-state.js";
import { StateStoreError } from "../src/errors.js";
import { alertsApi } from "../src/handlers/alerts.js";
import { DRIFT_CHECK_QUEUE, driftCheckQueueOutput } from "../src/handlers/bindings.js";
import { dailyDriftCheck } from "../src/handlers/daily-drift-check.js";
import type { DriftCheckMessage, HandlerDeps } from "../src/handlers/deps.js";
import { driftCheckWorker } from "../src/handlers/drift-check-worker.js";
import { uploadInventory } from "../src/handlers/inventory-upload.js";
import { startResync } from "../src/handlers/resync.js";
import { handlerDepsFromEnv } from "../src/handlers/runtime.js";
import { loadRun, type RunRecord } from "../src/run/run.js";
import { SERVICES, startAzurite } from "../test/support/azurite-process.js";
import { callHttp, invocation, queryString, request } from "./scale-calls.js";
import { countHttpRequests, countingStore, fmtS, MemorySampler, mib, quantile, Tally, total } from "./scale-counters.js";
import { type QueueFunction, type QueueHostOptions, QueueListener, QueueOutputBinding, queueHostOptions } from "./scale-host.js";
import { azuriteMemory, cpuFigures, cpuSpent, describeCpu } from "./scale-machine.js";
import { startProfiler } from "./scale-profile.js";
import { startFeedStandIn, startWebhookStandIn } from "./scale-stand-ins.js";
import { type BenchTenant, benchTenants } from "./scale-tenants.js";

const GOAL_MS = 60_000;
const GOAL_TENANTS = 1000;
const FINAL = ["in-sync", "drift", "failed"] as const;
/** What only a check reads and writes (the timer and the re-sync do not), where `--faults` strikes. */
const CHECK_READS = new Set(["inventory", "alert-config", "finding-state"]);
const CHECK_WRITES = new Set(["report", "finding-state"]);
const root = fileURLToPath(new URL("../../", import.meta.url));
const TIMER: Timer = { isPastDue: false, schedule: { adjustForDST: true }, scheduleStatus: { last: "", next: "", lastUpdated: "" } };

// ---- options ----

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const inline = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  return inline?.slice(name.length + 3) ?? (i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback);
}
function count(name: string, fallback: number): number {
  const value = Number(option(name, String(fallback)));
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name}: expected a whole number, got ${option(name, "")}`);
  return value;
}
const TENANTS = count("tenants", GOAL_TENANTS);
const COMPARE = Math.min(count("compare", 100), TENANTS);
const LATENCY_MS = count("latency", 50);
const DEADLINE_MS = count("deadline", 600) * 1000;
const SEED = count("seed", 2026);
const VCPUS = count("vcpus", 1);
const LAYOUT = option("azurite", "split") === "single" ? "single" : "split";
/** Storage failures to inject in the checks: this share of their calls, and tenants whose inventory can never be read (see `faults`). */
const FAULT_RATE = Number(option("faults", "0"));
const FAILING = count("failing", 0);
if (!(FAULT_RATE >= 0 && FAULT_RATE < 1)) throw new Error(`--faults: expected a share from 0 to below 1, got ${option("faults", "")}`);
/** Where to write a CPU profile of this process during the run (open it in Chrome DevTools), and print its top functions. */
const PROFILE = option("profile", "");

// ---- set-up ----

const fmtMs = (ms: number) => `${ms.toFixed(0)} ms`;
const per = (n: number, d: number) => (d === 0 ? "–" : (n / d).toFixed(2));

console.log(
  `mailflow-guard scale benchmark · Node ${process.version} · ${cpus().length} CPUs · ${TENANTS.toLocaleString("en")} tenants · ` +
    `${LATENCY_MS} ms stand-in latency · Azurite ${LAYOUT}`,
);

const memory = new MemorySampler(100);
const azurite = await startAzurite(LAYOUT);
const feed = await startFeedStandIn(LATENCY_MS);
const webhooks = await startWebhookStandIn(LATENCY_MS);
const portNames = new Map<number, string>(SERVICES.map((service) => [azurite.ports[service], service]));
portNames.set(Number(new URL(feed.url).port), "feed");
portNames.set(Number(new URL(webhooks.url).port), "webhook");
const http = new Tally();
countHttpRequests(portNames, http);

const env = { AzureWebJobsStorage: azurite.connectionString, M365_ENDPOINTS_BASE_URL: feed.url };
const storeCalls = new Tally();
const storeMs = new Tally();
const built = await handlerDepsFromEnv(env);
const failing = new Set<string>();
const injected = new Tally();
/** Faults are injected during the run only. */
let faultsOn = false;
const deps: HandlerDeps = { ...built, store: countingStore(built.store, storeCalls, storeMs, faults), log: () => {} };
/** As appDeps: built once per host process and shared by its functions. */
const appDeps = () => Promise.resolve(deps);

const host = queueHostOptions(`${root}host.json`, VCPUS);
const queues = QueueServiceClient.fromConnectionString(azurite.connectionString);
const queue = queues.getQueueClient(DRIFT_CHECK_QUEUE);
const poisonQueue = queues.getQueueClient(`${DRIFT_CHECK_QUEUE}-poison`);
await queue.createIfNotExists();
await poisonQueue.createIfNotExists();
const poisonHandler = await loadPoisonHandler();

console.log(
  `host: batchSize ${host.batchSize}, newBatchThreshold ${host.newBatchThreshold} (up to ${host.batchSize + host.newBatchThreshold} at once), ` +
    `maxDequeueCount ${host.maxDequeueCount}, visibilityTimeout ${host.visibilityTimeoutMs} ms, messageEncoding ${host.messageEncoding}; ` +
    `poison queue function: ${poisonHandler ? "src/handlers/drift-check-poison.ts" : "none (poisoned messages are counted)"}`,
);
storeCalls.take();
storeMs.take();
http.take();
memory.take();

// ---- registering ----

const tenants = benchTenants(TENANTS, SEED);
// Spread over the run, never the first (the comparison re-syncs those).
for (let i = 1; i <= FAILING; i++) failing.add(tenants[Math.floor((i * TENANTS) / (FAILING + 1))]!.tenant);
const registerStarted = performance.now();
await inParallel(tenants, 8, async (t) => {
  const answer = await callHttp(uploadInventory(appDeps), "inventory", "POST", `https://bench.local/api/inventory${queryString(t.query)}`, t.body);
  if (answer.status !== 201) throw new Error(`uploading ${t.tenant}: ${answer.status} ${JSON.stringify(answer.jsonBody ?? answer.body)}`);
  if (!t.teams) return;
  const webhookUrl = `${webhooks.url}/workflows/${encodeURIComponent(t.tenant)}/triggers/manual/paths/invoke?api-version=1&sig=bench-${t.tenant.length}`;
  const body = JSON.stringify({ teams: { webhookUrl } });
  const put = await callHttp(alertsApi(appDeps), "alerts", "PUT", `https://bench.local/api/alerts/${t.tenant}`, body, { tenant: t.tenant });
  if (put.status !== 200) throw new Error(`alert channel of ${t.tenant}: ${put.status} ${JSON.stringify(put.jsonBody)}`);
});
const registerMs = performance.now() - registerStarted;
const registerCalls = storeCalls.take();
storeMs.take();
http.take();
const sizes = tenants.map((t) => t.entries).sort((a, b) => a - b);
console.log(
  `\nregistered ${TENANTS} inventories in ${fmtS(registerMs)} (${(TENANTS / (registerMs / 1000)).toFixed(1)}/s): ` +
    `entries median ${quantile(sizes, 0.5)}, p95 ${quantile(sizes, 0.95)}, max ${sizes.at(-1)}; ` +
    `${tenants.filter((t) => t.query.tenant).length} raw Get-ReceiveConnector uploads; ${tenants.filter((t) => t.teams).length} Teams channels; ` +
    `built drifted: ${tenants.filter((t) => t.drift !== "in-sync").length}; ` +
    `${per(total(registerCalls), TENANTS)} store calls per upload (list inventory: ${total(registerCalls, (k) => k === "list inventory")})`,
);

// ---- the run ----

faultsOn = true;
const loadBefore = loadavg();
const profiler = PROFILE ? await startProfiler() : undefined;
const cpuBefore = cpuFigures(azurite.processes);
const run = await hostedRun("timer", host, async (output) => {
  const context = invocation("dailyDriftCheck");
  await dailyDriftCheck(appDeps, driftCheckQueueOutput)(TIMER, context.context);
  const messages = context.context.extraOutputs.get(driftCheckQueueOutput) as DriftCheckMessage[] | undefined;
  const timerMs = performance.now() - context.started;
  const sent = await output.send(messages);
  return { runId: messages?.[0]?.runId, sent, timerMs, warnings: context.warnings };
});
const cpuAfter = cpuFigures(azurite.processes);
const spent = cpuSpent(cpuBefore, cpuAfter);
faultsOn = false;
const injectedRun = injected.take();
if (profiler) console.log(`\nCPU profile of the run: ${await profiler.stop(PROFILE)}`);
const runMemory = memory.take();

const stored = run.runId ? await loadRun(built.store, run.runId, new Date()) : undefined;
const states = finalStates(stored, tenants);
const versionCalls = versionCallsOf(run.feed);
const findingStates = await findingStatesOf(stored, run.runId);
const runTenants = stored ? Object.keys(stored.tenants).length : 0;

console.log(`\nrun ${run.runId ?? "(none)"}: ${TENANTS} tenants, timer to last final state ${fmtS(run.wallMs)}`);
console.log(
  `  timer ${fmtS(run.timerMs)} (feed sync, ${TENANTS} queued records, pruning), queue output ${fmtS(run.sendMs)} ` +
    `(${run.sent} messages, one at a time), checks until ${fmtS(run.wallMs)}`,
);
console.log(
  `  ${(TENANTS / (run.wallMs / 1000)).toFixed(1)} tenants/s; ${run.worker.invocations} invocations, ${run.worker.threw} threw, ` +
    `${run.worker.poisoned} poisoned${poisonLine(run)}; up to ${run.worker.maxConcurrent} at once; per check p50 ${fmtMs(quantile(run.durations, 0.5))}, ` +
    `p95 ${fmtMs(quantile(run.durations, 0.95))}, max ${fmtMs(run.durations.at(-1) ?? 0)}`,
);
if (FAULT_RATE > 0 || FAILING > 0)
  console.log(
    `  injected: ${total(injectedRun, (k) => k === "random")} random storage failures (${(FAULT_RATE * 100).toFixed(1)}% of the checks' reads and ` +
      `writes: ${[...injectedRun]
        .filter(([k]) => k.includes(" "))
        .map(([k, n]) => `${k} ×${n}`)
        .join(", ")}), ` +
      `${total(injectedRun, (k) => k === "failing")} on the ${FAILING} tenants whose inventory never reads (${[...failing].join(", ")})`,
  );
if (run.worker.errors.size > 0) for (const [message, n] of run.worker.errors) console.log(`  threw ${n}×: ${message}`);
for (const line of [...run.timerWarnings, ...run.worker.warnings].slice(0, 5)) console.log(`  ${line}`);
console.log(
  `  finding states: ${findingStates.kept} of ${findingStates.checked} tenants checked (in-sync or drift) kept this run's` +
    (findingStates.lost.length ? `; LOST for ${findingStates.lost.length}: ${findingStates.lost.slice(0, 3).join(", ")}` : ""),
);
console.log(
  `  final states: ${FINAL.map((s) => `${states.counts.get(s) ?? 0} ${s}`).join(", ")}; ${states.unfinished.length} unfinished` +
    `${states.unfinished.length ? ` (${states.unfinished.slice(0, 5).join(", ")})` : ""}; run status ${stored?.status ?? "missing"}` +
    `; drift as built ${tenants.filter((t) => t.drift !== "in-sync").length}`,
);
const byService = SERVICES.map(
  (service) =>
    `${service} ${per(
      total(run.http, (k) => k.startsWith(`${service} `)),
      TENANTS,
    )}`,
);
console.log(
  `  storage: ${per(total(run.store), TENANTS)} state store calls per tenant, ` +
    `${per(total(run.http, isStorage), TENANTS)} storage requests per tenant (${byService.join(", ")})`,
);
for (const [key, n] of [...run.store].sort((a, b) => b[1] - a[1])) {
  console.log(
    `    ${key.padEnd(26)} ${per(n, TENANTS).padStart(6)}/tenant ${String(n).padStart(7)} calls  ${fmtMs((run.storeMs.get(key) ?? 0) / n).padStart(6)} avg`,
  );
}
console.log(
  `  feed service: ${[...run.feed].map(([k, n]) => `${k} ×${n}`).join(", ") || "no calls"}; ` +
    `webhooks: ${total(run.webhooks)} posts (${tenants.filter((t) => t.teams && t.drift !== "in-sync").length} drifted tenants with Teams)`,
);
console.log(
  `  memory: peak RSS ${mib(runMemory.rss)}, peak heap ${mib(runMemory.heapUsed)} (this process; max RSS ${mib(process.resourceUsage().maxRSS * 1024)})` +
    `; Azurite peak RSS ${azuriteMemory(azurite.processes)}`,
);
console.log(`  CPU during the run: ${describeCpu(spent, run.wallMs)}; load average before ${loadBefore.map((l) => l.toFixed(1)).join(" ")}`);
console.log(
  `  CPU per tenant: ${fmtMs(spent.ours / TENANTS)} this process + ${fmtMs(spent.azuriteTotal / TENANTS)} Azurite; ` +
    `on ${cpus().length} idle CPUs that alone takes ${fmtS((spent.ours + spent.azuriteTotal) / cpus().length)} for ${TENANTS} tenants`,
);
if (spent.machine && spent.others !== undefined && spent.others > 0.25 * spent.machine.all)
  console.log(
    `  NOTE: other processes took ${((spent.others / spent.machine.all) * 100).toFixed(0)}% of the machine's CPU during the run, ` +
      "so the wall time is longer than on an idle machine; CPU per tenant is the steadier figure",
  );

// ---- comparison ----

const comparisons: { title: string; tenantsPerSecond: number; wallMs: number; unfinished: number; version: number }[] = [];
if (COMPARE > 0) {
  console.log(`\nre-sync of the first ${COMPARE} tenants (POST /api/resync; their second, then third check), the same host:`);
  const subset = tenants.slice(0, COMPARE).map((t) => t.tenant);
  const serial: QueueHostOptions = { ...host, batchSize: 1, newBatchThreshold: 0 };
  for (const [title, options] of [
    ["one at a time (batchSize 1)", serial],
    [`batched (batchSize ${host.batchSize} + ${host.newBatchThreshold})`, host],
  ] as const) {
    const resync = await hostedRun("resync", options, async (output) => {
      const context = invocation("resync");
      const answer = await startResync(appDeps, driftCheckQueueOutput)(
        request("POST", "https://bench.local/api/resync", JSON.stringify({ tenants: subset })),
        context.context,
      );
      const messages = context.context.extraOutputs.get(driftCheckQueueOutput) as DriftCheckMessage[] | undefined;
      const timerMs = performance.now() - context.started;
      if (answer.status !== 202) throw new Error(`re-sync: ${answer.status} ${JSON.stringify(answer.jsonBody)}`);
      return { runId: messages?.[0]?.runId, sent: await output.send(messages), timerMs, warnings: context.warnings };
    });
    const record = resync.runId ? await loadRun(built.store, resync.runId, new Date()) : undefined;
    const unfinished = finalStates(record, tenants.slice(0, COMPARE)).unfinished.length;
    const tenantsPerSecond = COMPARE / (resync.wallMs / 1000);
    comparisons.push({ title, tenantsPerSecond, wallMs: resync.wallMs, unfinished, version: total(resync.feed, (k) => k.includes("/version")) });
    console.log(
      `  ${title.padEnd(30)} ${fmtS(resync.wallMs).padStart(7)}  ${tenantsPerSecond.toFixed(1).padStart(6)} tenants/s  ` +
        `p50 ${fmtMs(quantile(resync.durations, 0.5))} per check, ${resync.worker.threw} threw, ` +
        `${resync.worker.poisoned} poisoned${poisonLine(resync)}, ${unfinished} unfinished, ` +
        `${per(total(resync.store), COMPARE)} store calls/tenant, /version ×${total(resync.feed, (k) => k.includes("/version"))}`,
    );
  }
  const [one, batched] = comparisons;
  if (one && batched) console.log(`  batched is ${(batched.tenantsPerSecond / one.tenantsPerSecond).toFixed(1)}× the one-at-a-time rate`);
}

// ---- goals ----

const missed: string[] = [];
if (run.wallMs > GOAL_MS) {
  const loaded =
    spent.machine && spent.others !== undefined ? ` (other processes took ${((spent.others / spent.machine.all) * 100).toFixed(0)}% of the CPU)` : "";
  missed.push(`the run took ${fmtS(run.wallMs)}, over ${fmtS(GOAL_MS)}${loaded}`);
}
for (const [instance, n] of versionCalls) if (n > 1) missed.push(`${n} /version calls for ${instance} in one run`);
if (states.unfinished.length > 0) missed.push(`${states.unfinished.length} tenants left without a final state`);
if (findingStates.lost.length > 0 && FAULT_RATE === 0) missed.push(`${findingStates.lost.length} checked tenants without this run's finding state`);
if (runTenants !== TENANTS) missed.push(`the run has ${runTenants} tenant records, not ${TENANTS}`);
for (const c of comparisons) {
  if (c.unfinished > 0) missed.push(`${c.unfinished} tenants of the re-sync (${c.title}) left without a final state`);
  if (c.version > 1) missed.push(`${c.version} /version calls in the re-sync (${c.title})`);
}
const goalNote = TENANTS === GOAL_TENANTS ? "" : ` (goals are set for ${GOAL_TENANTS} tenants)`;
console.log(missed.length === 0 ? `\ngoals met${goalNote}` : `\nGOALS MISSED${goalNote}:\n${missed.map((m) => `  - ${m}`).join("\n")}`);
const version = [...versionCalls].map(([instance, n]) => `${n} /version call${n === 1 ? "" : "s"} (${instance})`).join(", ") || "0 /version calls";
console.log(
  `bench:scale ${TENANTS} tenants in ${fmtS(run.wallMs)}: ${(TENANTS / (run.wallMs / 1000)).toFixed(1)} tenants/s, ` +
    `${(total(run.store) / TENANTS).toFixed(1)} storage ops/tenant, ${version}, peak RSS ${mib(runMemory.rss)}, ` +
    `${states.unfinished.length} left unfinished`,
);

memory.stop();
await Promise.all([feed.close(), webhooks.close()]);
await azurite.stop();
process.exit(missed.length === 0 ? 0 : 1);

// ---- helpers ----

interface HostedRun {
  runId: string | undefined;
  sent: number;
  timerMs: number;
  sendMs: number;
  wallMs: number;
  timerWarnings: string[];
  worker: QueueListener["stats"];
  /** The poison queue's function, when there is one. */
  poison: QueueListener["stats"] | undefined;
  durations: number[];
  store: Map<string, number>;
  storeMs: Map<string, number>;
  http: Map<string, number>;
  feed: Map<string, number>;
  webhooks: Map<string, number>;
}

/**
 * One run on the host: the listener of the checks' queue (and of the poison
 * queue, with its function) is up before `start` invokes the function that
 * fans the run out; the run ends when every message it sent is done with.
 */
async function hostedRun(
  name: string,
  options: QueueHostOptions,
  start: (output: QueueOutputBinding) => Promise<{ runId: string | undefined; sent: number; timerMs: number; warnings: string[] }>,
): Promise<HostedRun> {
  const worker = new QueueListener("driftCheckWorker", queue, poisonQueue, options, driftCheckWorker(appDeps));
  const poison =
    poisonHandler &&
    new QueueListener("driftCheckPoison", poisonQueue, queues.getQueueClient(`${DRIFT_CHECK_QUEUE}-poison-poison`), options, poisonHandler);
  if (poison) await queues.getQueueClient(`${DRIFT_CHECK_QUEUE}-poison-poison`).createIfNotExists();
  const output = new QueueOutputBinding(queue, options.messageEncoding);
  output.watch(worker);
  worker.start();
  poison?.start();
  storeCalls.take();
  storeMs.take();
  http.take();
  feed.take();
  webhooks.take();
  const started = performance.now();
  const begun = await start(output);
  const sendMs = performance.now() - started - begun.timerMs;
  const done = await worker.completedAtLeast(begun.sent, DEADLINE_MS);
  if (!done) console.log(`  ${name}: not every message was done with after ${fmtS(DEADLINE_MS)}; stopping`);
  if (poison) {
    // The poison function's own messages: one per poisoned check, which it may take a poll interval to see.
    poison.notify();
    await poison.completedAtLeast(worker.stats.poisoned, DEADLINE_MS);
  }
  const ended = Math.max(worker.stats.lastCompletedAt, poison?.stats.lastCompletedAt ?? 0, started + begun.timerMs + sendMs);
  await worker.stop();
  await poison?.stop();
  return {
    runId: begun.runId,
    sent: begun.sent,
    timerMs: begun.timerMs,
    sendMs,
    wallMs: ended - started,
    timerWarnings: begun.warnings,
    worker: worker.stats,
    poison: poison?.stats,
    durations: [...worker.stats.durations].sort((a, b) => a - b),
    store: storeCalls.take(),
    storeMs: storeMs.take(),
    http: http.take(),
    feed: feed.take(),
    webhooks: webhooks.take(),
  };
}

/**
 * The failures `--faults` and `--failing` inject while the run is on: a
 * transient StateStoreError (a store that failed, so the worker throws and
 * the queue retries) on that share of the checks' own reads and writes (not
 * the timer's: its function has no retries), and on every read of a failing
 * tenant's inventory, so that its message ends in the poison queue.
 */
function faults(method: string, args: unknown[]): Error | undefined {
  if (!faultsOn) return undefined;
  const [kind, key] = args;
  if (method === "get" && kind === "inventory" && typeof key === "string" && failing.has(key)) {
    injected.add("failing");
    return new StateStoreError(`bench: the inventory of ${key} cannot be read (injected)`);
  }
  const ofChecks = (method === "get" && CHECK_READS.has(String(kind))) || (method === "put" && CHECK_WRITES.has(String(kind)));
  if (!ofChecks || Math.random() >= FAULT_RATE) return undefined;
  injected.add("random");
  injected.add(`${method} ${String(kind)}`);
  return new StateStoreError(`bench: storage failed (injected) on ${method} ${String(kind)}`);
}

function poisonLine(run: HostedRun): string {
  if (!run.poison) return " (no poison function to take them)";
  return run.poison.invocations === 0 ? "" : ` (the poison function ran ${run.poison.invocations}×, ${run.poison.threw} threw)`;
}

/** The poison queue's function, when src/handlers/drift-check-poison.ts exists: its first exported factory, given the deps. */
async function loadPoisonHandler(): Promise<QueueFunction | undefined> {
  const file = fileURLToPath(new URL("../src/handlers/drift-check-poison.js", import.meta.url));
  if (!existsSync(file)) return undefined;
  const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const factory = Object.entries(module).find(([key, value]) => typeof value === "function" && /poison/i.test(key))?.[1] as
    | ((deps: () => Promise<HandlerDeps>) => unknown)
    | undefined;
  const handler = factory?.(appDeps);
  if (typeof handler !== "function") throw new Error(`${file} exports no factory of a queue function (expected e.g. driftCheckPoison(deps))`);
  return handler as QueueFunction;
}

function finalStates(record: RunRecord | undefined, expected: readonly BenchTenant[]): { counts: Map<string, number>; unfinished: string[] } {
  const counts = new Map<string, number>();
  const unfinished: string[] = [];
  for (const { tenant } of expected) {
    const status = record?.tenants[tenant]?.status;
    counts.set(status ?? "missing", (counts.get(status ?? "missing") ?? 0) + 1);
    if (!(FINAL as readonly string[]).includes(status ?? "")) unfinished.push(`${tenant} ${status ?? "missing"}`);
  }
  return { counts, unfinished };
}

/** Whether each tenant the run checked (in-sync or drift) has the finding state that check wrote: what the next run classifies against and alerts from. */
async function findingStatesOf(record: RunRecord | undefined, runId: string | undefined): Promise<{ checked: number; kept: number; lost: string[] }> {
  const checked = Object.entries(record?.tenants ?? {}).filter(([, t]) => t.status === "in-sync" || t.status === "drift");
  const lost: string[] = [];
  for (let i = 0; i < checked.length; i += 16) {
    await Promise.all(
      checked.slice(i, i + 16).map(async ([tenant]) => {
        const { state } = await loadFindingState(built.store, tenant);
        if (state?.runId !== runId) lost.push(tenant);
      }),
    );
  }
  return { checked: checked.length, kept: checked.length - lost.length, lost };
}

/** /version calls by instance (`all` for /version without one). */
function versionCallsOf(calls: ReadonlyMap<string, number>): Map<string, number> {
  const byInstance = new Map<string, number>();
  for (const [key, n] of calls) {
    const match = /^GET \/version(?:\/([^/]+))?\/?$/i.exec(key);
    if (match) byInstance.set(match[1] ?? "all", (byInstance.get(match[1] ?? "all") ?? 0) + n);
  }
  return byInstance;
}

function isStorage(key: string): boolean {
  return SERVICES.some((service) => key.startsWith(`${service} `));
}

async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}
