import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { sinksFor } from "../alerts/channels.js";
import { type AlertConfig, alertConfigSchema, loadAlertConfig, thresholdsOf } from "../alerts/config.js";
import { loadFindingState } from "../alerts/finding-state.js";
import { keepStateAndAlert } from "../alerts/notify.js";
import { evaluate, observeEop } from "../check/evaluate.js";
import { type OutsideDeps, observeOutside } from "../check/outside-view.js";
import type { Settings } from "../config.js";
import type { CheckReport, TenantCheck } from "../core/check.js";
import { InputError, MailflowGuardError, MissingFeedError } from "../errors.js";
import { loadFeedState } from "../feed/feed-state.js";
import { parseInstance } from "../feed/instances.js";
import { staleFeedLine } from "../feed/staleness.js";
import { syncFeed, syncFeedFromFile } from "../feed/sync.js";
import type { HybridState } from "../hybrid/hybrid-state.js";
import { assembleStateDocument, needsAssembly, refuseDocuments } from "../hybrid/raw-exports.js";
import { feedVersionSchema } from "../ids.js";
import type { Inventory } from "../inventory/inventory.js";
import { parseInventory } from "../inventory/parse.js";
import { type FeedSynced, feedSynced, feedSyncOptions, syncFeeds, syncReport } from "../run/feeds.js";
import { validate } from "../validation.js";
import type { Flags } from "./cli.js";
import { type CliIo, cliSettings, liveFeed, openStore } from "./context.js";
import { EXIT } from "./exit.js";
import { eopFromFile, parseEndpointsFile } from "./feed-file.js";
import { readDocumentFile, readJsonFile, writeFiles } from "./files.js";

const str = (flags: Flags, name: string): string | undefined => (typeof flags[name] === "string" ? (flags[name] as string) : undefined);

export async function feedCommand(flags: Flags, io: CliIo): Promise<number> {
  const given = str(flags, "instance");
  const asked = parseInstance(given ?? "Worldwide");
  let instance: string = asked;
  const file = str(flags, "feed-file");
  let version: string | null = null;
  let ranges: string[];
  let setIds: number[];
  if (file !== undefined) {
    const eop = await eopFromFile(resolve(io.cwd, file), given === undefined ? undefined : parseInstance(given));
    ranges = eop.eop.toCidrs();
    setIds = eop.setIds;
    // Say which cloud the file is of, as its URLs tell (the two US government clouds share theirs).
    if (given === undefined && eop.cloud !== undefined) instance = eop.cloud === "US Government" ? "USGovDoD or USGovGCCHigh" : eop.cloud;
  } else {
    const store = await openStore({ storage: str(flags, "storage"), state: str(flags, "state") }, io);
    const settings = cliSettings(io, {});
    const result = await syncFeed(await liveFeed(store, settings), asked, feedSyncOptions({ store, now: () => new Date(), settings }, true));
    const good = result.state.lastGood;
    if (result.outcome === "refused" && !good) throw new MissingFeedError(asked, result.state.refused?.reason);
    if (!good) throw new MailflowGuardError(result.message);
    if (result.outcome === "refused") io.stderr(`${result.message}; showing version ${good.version} in force\n`);
    version = good.version;
    ranges = good.eopRanges;
    setIds = good.setIds;
  }
  if (flags.json) io.stdout(`${JSON.stringify({ instance, version, ranges, setIds }, null, 2)}\n`);
  else
    io.stdout(
      `${instance} ${version === null ? "(saved feed, no version)" : `version ${version}`}: EOP SMTP set (endpoint set ${setIds.join(", ")}), ` +
        `${ranges.length} ranges\n${ranges.map((r) => `  ${r}\n`).join("")}`,
    );
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
  if (flags.json) io.stdout(`${JSON.stringify({ added, removed }, null, 2)}\n`);
  else if (added.length + removed.length === 0) io.stdout("The EOP SMTP set is the same in both feeds.\n");
  else io.stdout([...added.map((r) => `+ ${r}\n`), ...removed.map((r) => `- ${r}\n`)].join(""));
  return EXIT.ok;
}

/**
 * The document `check` reads: an inventory or state document, or raw
 * cmdlet output (JSON or CLIXML). Several files, or one of raw output other
 * than receive connectors, are one state document, collected when the
 * oldest was written.
 */
async function readCheckedDocument(flags: Flags, io: CliIo): Promise<{ source: string; data: unknown }> {
  const files = Array.isArray(flags.inventory) ? flags.inventory : [];
  if (files.length === 0) throw new InputError("check needs --inventory FILE (repeat it for several cmdlets' exports)");
  const documents = await Promise.all(files.map((file) => readDocumentFile(resolve(io.cwd, file))));
  const [only] = documents;
  if (documents.length === 1 && only && !needsAssembly(only.data)) return only;
  refuseDocuments(documents);
  const tenant = str(flags, "tenant");
  const sources = documents.map((d) => d.source).join(", ");
  if (tenant === undefined) throw new InputError("is raw cmdlet output, which names no tenant: give the tenant (--tenant)", { source: sources });
  return { source: sources, data: assembleStateDocument(documents, { tenant, instance: str(flags, "instance") }) };
}

export async function checkCommand(flags: Flags, io: CliIo): Promise<number> {
  const { source, data } = await readCheckedDocument(flags, io);
  const inventory = parseInventory(data, {
    source,
    tenant: str(flags, "tenant"),
    instance: str(flags, "instance"),
    mode: str(flags, "mode"),
    connectors: Array.isArray(flags.connector) ? flags.connector : [],
    optionName: (name) => `--${name}`,
  });
  const feedFile = str(flags, "feed-file");
  const feedVersion = str(flags, "feed-version");
  if (feedVersion !== undefined) validate(feedVersionSchema, feedVersion, "--feed-version");
  const feedData = feedFile === undefined ? undefined : await readJsonFile(resolve(io.cwd, feedFile));

  const store = await openStore({ storage: str(flags, "storage"), state: str(flags, "state") }, io);
  const settings = cliSettings(io, { maxRemovalShare: str(flags, "max-removal-share"), acceptFeedVersion: str(flags, "accept-feed-version") });
  const now = () => new Date();
  const syncedAt = now();
  // The feed is brought up to date (or the file recorded as the last good one) and checked as it came back, never read again.
  let feed: FeedSynced;
  if (feedFile === undefined) {
    const live = { store, feed: await liveFeed(store, settings), now, settings, log: () => {} };
    [feed] = (await syncFeeds(live, [inventory.instance], { force: Boolean(flags.refresh) })) as [FeedSynced];
    if (feed.outcome === "failed" && !feed.state?.lastGood) throw new MailflowGuardError(feed.message);
  } else {
    const result = await syncFeedFromFile(
      feedData,
      resolve(io.cwd, feedFile),
      inventory.instance,
      feedVersion ?? null,
      feedSyncOptions({ store, now, settings }, true),
      parseEndpointsFile,
    );
    feed = feedSynced(result);
  }
  const state = feed.state ?? (await loadFeedState(store, inventory.instance)).state;
  const at = now();
  // Past MAILFLOW_GUARD_MAX_FEED_AGE this throws: one line and exit 1, no report.
  const eop = observeEop(state, { at, sync: syncReport(feed, syncedAt), maxFeedAgeMs: settings.maxFeedAgeMs });
  // The flags name this check's channels; without them, the tenant's configuration in the state store. Its thresholds hold either way.
  const stored = await loadAlertConfig(store, inventory.tenant);
  const { certificateDays, staleEvidenceHours } = thresholdsOf(stored);
  const hybrid = flags["exchange-online"] ? await liveExchangeOnline(inventory, settings, io) : inventory.hybrid;
  const observations = {
    tenant: inventory.tenant,
    instance: inventory.instance,
    at,
    runId: randomUUID(),
    inventory,
    eop,
    hybrid,
    certificateDays,
    staleEvidenceHours,
    ...(await observeOutside(hybrid, await outsideOf(settings, { dns: Boolean(flags.dns), probe: Boolean(flags.probe) }))),
  };
  const config = alertConfigFromFlags(flags) ?? stored;
  const sinks = flags["no-alerts"] || !config ? [] : await sinksFor(config, settings);
  const { state: previous, etag } = await loadFindingState(store, inventory.tenant);
  const { check, artifacts, next } = evaluate(observations, {
    history: { previous, canAlert: sinks.length > 0, minSeverity: thresholdsOf(stored).minSeverity },
  });
  const outDir = resolve(io.cwd, str(flags, "out") ?? "out");
  await writeFiles(outDir, artifacts);
  const log = (line: string) => io.stderr(`mailflow-guard: ${line}\n`);
  const sent = next && (await keepStateAndAlert({ store, now, log, publicBaseUrl: settings.publicBaseUrl }, check, artifacts, next, etag, sinks));
  if (sent && !flags.json) for (const d of sent.deliveries) if (d.status === "delivered") io.stdout(`Alert sent on ${d.channel}.\n`);
  return reportCheck(check, outDir, Boolean(flags.json), io);
}

/**
 * Prints a check's result and turns it into an exit code. A feed that could
 * not be brought up to date is a warning on stderr and leaves the code alone;
 * a refused feed is an error even when the last good one was used.
 */
export function reportCheck(check: TenantCheck, outDir: string, asJson: boolean, io: CliIo): number {
  const { report, observations } = check;
  const { feed: inForce } = report.evidence.eop;
  if (asJson) io.stdout(`${JSON.stringify(checkJson(report, outDir), null, 2)}\n`);
  else io.stdout(humanSummary(report, outDir));
  const { staleness } = observations.eop;
  if (staleness) io.stderr(`mailflow-guard: ${staleFeedLine(report.instance, observations.eop.inForce, staleness, observations.at)}\n`);
  if (inForce.refused) {
    io.stderr(`mailflow-guard: the ${report.instance} feed was refused: ${inForce.refused.reason}\n`);
    return EXIT.error;
  }
  return report.status === "drift" ? EXIT.drift : EXIT.ok;
}

/** The CLI's JSON: the report's essentials, each finding with `target` (its subject's name) as the CLI has always printed it. */
function checkJson(report: CheckReport, outDir: string) {
  return {
    status: report.status,
    tenant: report.tenant,
    instance: report.instance,
    runId: report.runId,
    feed: report.evidence.eop.feed,
    findings: report.findings.map(({ id, digest, rule, severity, subject, ...rest }) => ({
      id,
      digest,
      rule,
      severity,
      target: subject.name,
      subject,
      ...rest,
    })),
    targets: report.evidence.inventory.targets,
    ...(report.evidence.hybrid ? { hybrid: report.evidence.hybrid } : {}),
    outDir,
    files: report.artifacts.map((a) => a.file),
  };
}

export function humanSummary(report: CheckReport, outDir: string): string {
  const [headline, ...rest] = report.summary;
  const width = Math.max(...report.artifacts.map((a) => a.file.length)) + 2;
  const notChecked = report.evidence.hybrid?.notChecked ?? [];
  const lines = [
    headline,
    ...rest.map((l) => `  - ${l}`),
    ...(notChecked.length > 0 ? ["", "Not checked:", ...notChecked.map((n) => `  - ${n.rules.join(", ")}: ${n.reason}`)] : []),
    "",
    `Files in ${outDir}:`,
    ...report.artifacts.map((a) => `  ${a.file.padEnd(width)}${a.description}`),
  ];
  return `${lines.join("\n")}\n`;
}

/** `--teams-webhook URL` and `--mail-to ADDR`… as an alert configuration for this check; undefined when neither is given. */
function alertConfigFromFlags(flags: Flags): AlertConfig | undefined {
  const webhookUrl = str(flags, "teams-webhook");
  const to = Array.isArray(flags["mail-to"]) ? flags["mail-to"] : [];
  if (webhookUrl === undefined && to.length === 0) return undefined;
  return validate(
    alertConfigSchema,
    { ...(webhookUrl ? { teams: { webhookUrl } } : {}), ...(to.length > 0 ? { mail: { to } } : {}) },
    "--teams-webhook/--mail-to",
  );
}

/** `--dns`, `--probe`: the live sources, loaded only when asked for; without them the settings' blocklists and addresses alone. */
async function outsideOf(settings: Settings, use: { dns: boolean; probe: boolean }): Promise<OutsideDeps> {
  if (!use.dns && !use.probe) return { outside: settings.outside };
  const { outsideDeps } = await import("../check/outside-sources.js");
  return outsideDeps(settings, use);
}

/** `--exchange-online`: the tenant's Exchange Online side read live, with the settings the functions use. */
async function liveExchangeOnline(inventory: Inventory, settings: Settings, io: CliIo): Promise<HybridState | undefined> {
  if (!settings.exchangeOnline) {
    throw new InputError(
      "--exchange-online needs the app that reads it: set MAILFLOW_GUARD_EXO_CLIENT_ID and MAILFLOW_GUARD_EXO_CERTIFICATE_PATH " +
        "(see README, Exchange Online)",
    );
  }
  if (!inventory.hybrid?.onPremises)
    throw new InputError("--exchange-online compares Exchange Online with on-premises: give a state document with onPremises");
  const { exchangeOnlineReader, withLiveExchangeOnline } = await import("../exchange-online/live.js");
  const log = (line: string) => io.stderr(`mailflow-guard: ${line}\n`);
  return withLiveExchangeOnline(inventory.tenant, inventory.hybrid, await exchangeOnlineReader(settings.exchangeOnline), log);
}
