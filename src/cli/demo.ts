import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import azureFunctions, { type InvocationContext as Context } from "@azure/functions";
import { z } from "zod";
import { loadArtifacts } from "../check/report-store.js";
import { settingsFromEnv } from "../config.js";
import type { CheckReport } from "../core/check.js";
import { MailflowGuardError } from "../errors.js";
import { createFeedClient } from "../feed/client.js";
import { startFeedServer } from "../feed/stand-in-service.js";
import { driftCheckQueueOutput } from "../handlers/bindings.js";
import { dailyDriftCheck } from "../handlers/daily-drift-check.js";
import type { DriftCheckMessage, HandlerDeps } from "../handlers/deps.js";
import { driftCheckWorker } from "../handlers/drift-check-worker.js";
import { feedVersionCheck } from "../handlers/feed-version-check.js";
import { feedVersionSchema } from "../ids.js";
import { saveInventory } from "../inventory/inventory-store.js";
import { parseInventory } from "../inventory/parse.js";
import { jsonReport } from "../outputs/json.js";
import { FileStateStore } from "../state/file-store.js";
import { clientRequestId } from "../state/installation.js";
import { validate } from "../validation.js";
import type { Flags } from "./cli.js";
import { humanSummary } from "./commands.js";
import type { CliIo } from "./context.js";
import { EXIT } from "./exit.js";
import { packageRoot, readJsonFile, writeFiles } from "./files.js";

// @azure/functions is CommonJS and Node's ESM loader cannot see this class as a named export.
const { InvocationContext } = azureFunctions;

const recording = z.object({ instance: z.literal("Worldwide"), version: feedVersionSchema, endpoints: z.string() });

/**
 * The daily drift check of the example tenant, end to end and offline: the
 * recorded Microsoft feed is served on 127.0.0.1 with the real service's
 * shapes, and the deployed functions' own handlers run in order: the hourly
 * feed check, the daily check that fans out, and the worker for each tenant.
 * State lives in a temporary directory; the outputs go to ./out.
 */
export async function demoCommand(flags: Flags, io: CliIo): Promise<number> {
  const examples = join(packageRoot(), "examples", "demo");
  const feedDir = join(examples, "feed");
  const meta = validate(recording, await readJsonFile(join(feedDir, "recording.json")), join(feedDir, "recording.json"));
  const server = await startFeedServer({ Worldwide: { version: meta.version, endpoints: await readJsonFile(join(feedDir, meta.endpoints)) } });
  const stateDir = await mkdtemp(join(tmpdir(), "mailflow-guard-demo-"));
  try {
    const store = new FileStateStore(stateDir);
    const settings = settingsFromEnv({ M365_ENDPOINTS_BASE_URL: server.url });
    const deps: HandlerDeps = {
      store,
      settings,
      feed: createFeedClient({ baseUrl: server.url, clientRequestId: await clientRequestId(store) }),
      now: () => new Date(),
      newRunId: randomUUID,
      log: () => {},
    };
    const inventoryFile = join(examples, "inventory.json");
    const inventory = parseInventory(await readJsonFile(inventoryFile), { source: inventoryFile });
    await saveInventory(store, inventory);
    io.stdout(`mailflow-guard demo: ${inventory.tenant} against the recorded ${meta.instance} feed, served at ${server.url}\n\n`);

    const timer = { isPastDue: false, schedule: { adjustForDST: true }, scheduleStatus: { last: "", next: "", lastUpdated: "" } };
    const getDeps = async () => deps;
    await feedVersionCheck(getDeps)(timer, context("feedVersionCheck", io));
    const daily = context("dailyDriftCheck", io);
    await dailyDriftCheck(getDeps, driftCheckQueueOutput)(timer, daily);
    const messages = (daily.extraOutputs.get(driftCheckQueueOutput) ?? []) as DriftCheckMessage[];
    for (const message of messages) await driftCheckWorker(getDeps)(message, context("driftCheckWorker", io));

    const [first] = messages;
    const artifacts = first && (await loadArtifacts(store, first.tenant, first.runId));
    if (!artifacts) throw new MailflowGuardError("the demo run produced no report; see the log lines above");
    const outDir = resolve(io.cwd, typeof flags.out === "string" ? flags.out : "out");
    await writeFiles(outDir, artifacts);
    io.stdout(`\n${humanSummary(JSON.parse(artifacts[jsonReport.file]!) as CheckReport, outDir)}`);
    return EXIT.ok;
  } finally {
    await server.close();
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** An invocation context whose log lines go to the terminal, as the host would show them. */
function context(functionName: string, io: CliIo): Context {
  return new InvocationContext({
    functionName,
    invocationId: randomUUID(),
    logHandler: (level, ...args) => io.stdout(`  [${functionName}] ${level === "information" ? "" : `${level}: `}${args.map(String).join(" ")}\n`),
  });
}
