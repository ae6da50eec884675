import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { runChecks, feedSyncOptions, type CheckDeps } from "../check/pipeline.js";
import type { TenantCheck } from "../check/evaluate.js";
import { InputError, MailflowGuardError, MissingFeedError } from "../errors.js";
import { parseInstance } from "../feed/instances.js";
import { syncFeed, syncFeedFromFile, type FeedSyncResult } from "../feed/sync.js";
import { saveInventory } from "../inventory/inventory-store.js";
import { parseInventory } from "../inventory/parse.js";
import type { CheckReport } from "../report/report.js";
import { cliSettings, liveFeed, openStore, type CliIo } from "./context.js";
import { eopFromFile, parseEndpointsFile } from "./feed-file.js";
import { readJsonFile, writeFiles } from "./files.js";

/** Exit codes, as `terraform plan -detailed-exitcode`: 0 in sync, 2 drift, 1 error. */
export const EXIT = { ok: 0, error: 1, drift: 2 } as const;

type Flags = Record<string, string | boolean | undefined>;
const str = (flags: Flags, name: string): string | undefined => (typeof flags[name] === "string" ? (flags[name] as string) : undefined);

export async function feedCommand(flags: Flags, io: CliIo): Promise<number> {
  const instance = parseInstance(str(flags, "instance") ?? "Worldwide");
  const file = str(flags, "feed-file");
  let version: string | null = null;
  let ranges: string[];
  let setIds: number[];
  if (file !== undefined) {
    const eop = await eopFromFile(resolve(io.cwd, file));
    ranges = eop.eop.toCidrs();
    setIds = eop.setIds;
  } else {
    const store = openStore({ storage: str(flags, "storage"), state: str(flags, "state") }, io);
    const settings = cliSettings(io, {});
    const result = await syncFeed(await liveFeed(store, settings), instance, { ...feedSyncOptions({ store, now: () => new Date(), settings, log: () => {} }, true) });
    const good = result.state.lastGood;
    if (result.outcome === "refused" && !good) throw new MissingFeedError(instance, result.state.refused?.reason);
    if (!good) throw new MailflowGuardError(result.message);
    if (result.outcome === "refused") io.stderr(`${result.message}; showing version ${good.version} in force\n`);
    version = good.version;
    ranges = good.eopRanges;
    setIds = good.setIds;
  }
  if (flags.json) io.stdout(JSON.stringify({ instance, version, ranges, setIds }, null, 2) + "\n");
  else io.stdout(`${instance} ${version === null ? "(saved feed, no version)" : `version ${version}`}: EOP SMTP set (endpoint set ${setIds.join(", ")}), ${ranges.length} ranges\n${ranges.map((r) => `  ${r}\n`).join("")}`);
  return EXIT.ok;
}

export async function diffCommand(flags: Flags, io: CliIo): Promise<number> {
  const from = str(flags, "from");
  const to = str(flags, "to");
  if (from === undefined || to === undefined) throw new InputError("diff needs --from FILE and --to FILE (two saved /endpoints responses)");
  const before = await eopFromFile(resolve(io.cwd, from));
  const after = await eopFromFile(resolve(io.cwd, to));
  const added = after.eop.subtract(before.eop).toCidrs();
  const removed = before.eop.subtract(after.eop).toCidrs();
  if (flags.json) io.stdout(JSON.stringify({ added, removed }, null, 2) + "\n");
  else if (added.length + removed.length === 0) io.stdout("The EOP SMTP set is the same in both feeds.\n");
  else io.stdout([...added.map((r) => `+ ${r}\n`), ...removed.map((r) => `- ${r}\n`)].join(""));
  return EXIT.ok;
}

export async function checkCommand(flags: Flags, io: CliIo): Promise<number> {
  const inventoryFile = str(flags, "inventory");
  if (inventoryFile === undefined) throw new InputError("check needs --inventory FILE");
  const mode = str(flags, "mode");
  if (mode !== undefined && mode !== "exact" && mode !== "superset") throw new InputError(`--mode ${JSON.stringify(mode)}: expected "exact" or "superset"`);
  const inventoryPath = resolve(io.cwd, inventoryFile);
  const inventory = parseInventory(await readJsonFile(inventoryPath), { source: inventoryPath, tenant: str(flags, "tenant"), instance: str(flags, "instance"), mode });
  const feedFile = str(flags, "feed-file");
  const feedVersion = str(flags, "feed-version");
  if (feedVersion !== undefined && !/^\d{10}$/.test(feedVersion)) throw new InputError(`--feed-version ${JSON.stringify(feedVersion)}: expected 10 digits (YYYYMMDDNN)`);
  const feedData = feedFile === undefined ? undefined : await readJsonFile(resolve(io.cwd, feedFile));

  const store = openStore({ storage: str(flags, "storage"), state: str(flags, "state") }, io);
  const settings = cliSettings(io, { maxRemovalShare: str(flags, "max-removal-share"), acceptFeedVersion: str(flags, "accept-feed-version") });
  const deps: CheckDeps = { store, settings, now: () => new Date(), log: () => {}, feed: feedData === undefined ? await liveFeed(store, settings) : undefined };
  let recorded: FeedSyncResult | undefined;
  if (feedFile !== undefined) {
    const path = resolve(io.cwd, feedFile);
    recorded = await syncFeedFromFile(feedData, path, inventory.instance, feedVersion ?? null, feedSyncOptions(deps, true), parseEndpointsFile);
  }
  await saveInventory(store, inventory);
  const { outcomes } = await runChecks(deps, { runId: randomUUID(), trigger: "cli", tenants: [inventory.tenant], forceFeed: Boolean(flags.refresh) });
  const outcome = outcomes[0]!;
  if ("error" in outcome) throw outcome.error;
  const outDir = resolve(io.cwd, str(flags, "out") ?? "out");
  await writeFiles(outDir, outcome.check.artifacts);
  return reportCheck(outcome.check, outDir, Boolean(flags.json), io, recorded ?? outcome.feed);
}

/** Prints a check's result and turns it into an exit code; a refused feed is an error even when the last good one was used. */
export function reportCheck(check: TenantCheck, outDir: string, asJson: boolean, io: CliIo, feed: FeedSyncResult | undefined): number {
  const { report } = check;
  if (asJson) io.stdout(JSON.stringify(checkJson(report, outDir), null, 2) + "\n");
  else io.stdout(humanSummary(report, outDir));
  if (report.feed.status === "refused") {
    const refusal = report.feed.refused!;
    io.stderr(`mailflow-guard: the ${report.instance} feed was refused: ${refusal.reason}\n`);
    return EXIT.error;
  }
  if (feed?.outcome === "throttled") io.stderr(`mailflow-guard: ${feed.message}\n`);
  return report.status === "drift" ? EXIT.drift : EXIT.ok;
}

function checkJson(report: CheckReport, outDir: string) {
  return {
    status: report.status,
    tenant: report.tenant,
    instance: report.instance,
    runId: report.runId,
    feed: report.feed,
    findings: report.findings,
    targets: report.targets,
    outDir,
    files: report.artifacts,
  };
}

export function humanSummary(report: CheckReport, outDir: string): string {
  const [headline, ...rest] = report.summary;
  const lines = [headline, ...rest.map((l) => `  - ${l}`), "", `Files in ${outDir}:`];
  lines.push(
    "  remediation.ps1    receive connector changes: review, then run in the Exchange Management Shell (shows -WhatIf until you add -Apply)",
    "  eop-allowlist.txt  the EOP SMTP ranges, one per line, for firewall allowlists",
    "  report.md          the report: what drifted, what it breaks, the evidence",
    "  report.json        the same for machines",
  );
  return lines.join("\n") + "\n";
}
