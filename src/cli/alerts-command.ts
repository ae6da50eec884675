import { alertConfigSchema, describeAlertConfig, loadAlertConfig, saveAlertConfig } from "../alerts/config.js";
import { openFindings, snoozeFinding, unsnoozeFinding } from "../alerts/snooze.js";
import { InputError } from "../errors.js";
import { validate } from "../validation.js";
import type { Flags } from "./cli.js";
import { type CliIo, cliSettings, openStore } from "./context.js";
import { EXIT } from "./exit.js";

const str = (flags: Flags, name: string): string | undefined => (typeof flags[name] === "string" ? (flags[name] as string) : undefined);
const DURATION = /^(\d+)([dh])$/;

/**
 * `alerts list|snooze|unsnooze|config --tenant T …`: the tenant's open
 * findings and snoozes, and where its alerts go, in the same state store as
 * the checks (so a snooze set here silences the functions' daily check too).
 */
export async function alertsCommand(flags: Flags, io: CliIo): Promise<number> {
  const [action, ...extra] = Array.isArray(flags._) ? flags._ : [];
  if (extra.length > 0) throw new InputError(`alerts ${action}: unexpected ${JSON.stringify(extra[0])} (see mailflow-guard --help)`);
  const tenant = str(flags, "tenant")?.trim().toLowerCase();
  if (!tenant) throw new InputError("alerts needs --tenant T");
  const store = await openStore({ storage: str(flags, "storage"), state: str(flags, "state") }, io);
  const now = new Date();
  switch (action) {
    case "list": {
      const open = await openFindings(store, tenant);
      const config = describeAlertConfig(await loadAlertConfig(store, tenant));
      if (flags.json) io.stdout(`${JSON.stringify({ tenant, channels: config, open }, null, 2)}\n`);
      else {
        const channels = [config.teams ? "Teams" : "", config.mailTo.length > 0 ? `mail to ${config.mailTo.join(", ")}` : ""].filter(Boolean);
        io.stdout(`${tenant}: ${open.length} open finding${open.length === 1 ? "" : "s"}; alerts to ${channels.join(" and ") || "no channel"}\n`);
        for (const f of open) {
          const snoozed = f.snooze ? ` — snoozed until ${f.snooze.until} by ${f.snooze.by}: ${f.snooze.reason}` : "";
          io.stdout(`  ${f.id}\n    ${f.severity}, open since ${f.since}${snoozed}\n    ${f.summary}\n`);
        }
      }
      return EXIT.ok;
    }
    case "snooze": {
      const until = str(flags, "until") ?? durationFromNow(str(flags, "for"), now);
      const snooze = await snoozeFinding(
        store,
        tenant,
        { finding: str(flags, "finding") ?? "", reason: str(flags, "reason") ?? "", by: str(flags, "by") ?? "", until: until ?? "" },
        now,
        "alerts snooze",
      );
      io.stdout(`snoozed until ${snooze.until}; it alerts again then, or as soon as it changes\n`);
      return EXIT.ok;
    }
    case "unsnooze": {
      const finding = str(flags, "finding");
      if (!finding) throw new InputError("alerts unsnooze needs --finding ID (see alerts list)");
      io.stdout((await unsnoozeFinding(store, tenant, finding)) ? "unsnoozed\n" : `${finding} was not snoozed\n`);
      return EXIT.ok;
    }
    case "config": {
      const current: Record<string, unknown> = flags.clear ? {} : ((await loadAlertConfig(store, tenant)) ?? {});
      const next = validate(alertConfigSchema, configFromFlags(current, flags), "alerts config");
      await saveAlertConfig(store, tenant, next);
      const shown = describeAlertConfig(next);
      const schedule = [
        shown.digest && `a ${shown.digest.every === "day" ? "daily" : `weekly (${shown.digest.weekday})`} digest at ${shown.digest.hour}:00 UTC`,
        shown.heartbeat && `a heartbeat on ${shown.heartbeat.weekday}s at ${shown.heartbeat.hour}:00 UTC`,
      ].filter(Boolean);
      io.stdout(
        `${tenant}: alerts to ${[shown.teams ? "Teams" : "", ...shown.mailTo].filter(Boolean).join(", ") || "no channel"}` +
          `${schedule.length > 0 ? `, ${schedule.join(" and ")}` : ""}; alerts from ${shown.thresholds.minSeverity}, ` +
          `stale after ${shown.thresholds.staleRunAfterHours} h, evidence old after ${shown.thresholds.staleEvidenceHours} h, ` +
          `certificates reported ${shown.thresholds.certificateDays.join("/")} days ahead\n`,
      );
      return EXIT.ok;
    }
    case "due": {
      const { sendScheduledAlerts } = await import("../alerts/scheduled.js");
      const { sinksFor } = await import("../alerts/channels.js");
      const settings = cliSettings(io, {});
      const log = (line: string) => io.stderr(`mailflow-guard: ${line}\n`);
      const { sent } = await sendScheduledAlerts(
        { store, now: () => new Date(), log, sinks: (c) => sinksFor(c, settings), publicBaseUrl: settings.publicBaseUrl },
        tenant,
      );
      io.stdout(sent.length === 0 ? "nothing is due\n" : sent.map((r) => `sent ${r.alert.id}\n`).join(""));
      return EXIT.ok;
    }
    default:
      throw new InputError(`alerts ${action === undefined ? "" : `${JSON.stringify(action)} `}: expected list, snooze, unsnooze, config or due`);
  }
}

/**
 * The configuration with the flags applied: channels added or replaced,
 * `--digest off` and `--heartbeat off` remove them, `--hour` and `--weekday`
 * set both schedules' time. The result is validated by the caller, so a bad
 * value is one line naming the field.
 */
function configFromFlags(current: Record<string, unknown>, flags: Flags): Record<string, unknown> {
  const next = { ...current };
  const webhook = str(flags, "teams-webhook");
  const secret = str(flags, "teams-webhook-secret");
  if (webhook && secret) throw new InputError("--teams-webhook and --teams-webhook-secret: give one, the URL or the Key Vault secret that holds it");
  const mailTo = Array.isArray(flags["mail-to"]) ? flags["mail-to"] : [];
  if (webhook) next.teams = { webhookUrl: webhook };
  if (secret) next.teams = { webhookSecret: secret };
  if (mailTo.length > 0) next.mail = { to: mailTo };
  const hour = str(flags, "hour");
  const at = {
    ...(hour !== undefined ? { hour: /^\d{1,2}$/.test(hour.trim()) ? Number(hour) : hour } : {}),
    ...(str(flags, "weekday") !== undefined ? { weekday: str(flags, "weekday")?.trim().toLowerCase() } : {}),
  };
  const digest = str(flags, "digest")?.trim().toLowerCase();
  if (digest === "off") delete next.digest;
  else if (digest !== undefined)
    next.digest = { ...(next.digest as object), every: digest === "daily" ? "day" : digest === "weekly" ? "week" : digest };
  const heartbeat = str(flags, "heartbeat")?.trim().toLowerCase();
  if (heartbeat === "off") delete next.heartbeat;
  else if (heartbeat === "on") next.heartbeat = { ...(next.heartbeat as object) };
  else if (heartbeat !== undefined) throw new InputError(`--heartbeat ${JSON.stringify(heartbeat)}: expected on or off`);
  if (Object.keys(at).length > 0) {
    if (!next.digest && !next.heartbeat)
      throw new InputError("--hour and --weekday set the digest's and heartbeat's time: give --digest or --heartbeat too");
    if (next.digest) next.digest = { ...(next.digest as object), ...at };
    if (next.heartbeat) next.heartbeat = { ...(next.heartbeat as object), ...at };
  }
  const minSeverity = str(flags, "min-severity");
  const staleAfter = str(flags, "stale-after");
  const evidenceStaleAfter = str(flags, "evidence-stale-after");
  const certificateDays = str(flags, "certificate-days");
  if (minSeverity !== undefined || staleAfter !== undefined || evidenceStaleAfter !== undefined || certificateDays !== undefined) {
    next.thresholds = {
      ...(next.thresholds as object),
      ...(minSeverity !== undefined ? { minSeverity: minSeverity.trim().toLowerCase() } : {}),
      ...(staleAfter !== undefined ? { staleRunAfterHours: hoursOf(staleAfter, "--stale-after") } : {}),
      ...(evidenceStaleAfter !== undefined ? { staleEvidenceHours: hoursOf(evidenceStaleAfter, "--evidence-stale-after") } : {}),
      // Numbers where they read as numbers: anything else goes to the schema, which names the bad one.
      ...(certificateDays !== undefined
        ? { certificateDays: certificateDays.split(",").map((d) => (/^\s*\d+\s*$/.test(d) ? Number(d) : d.trim())) }
        : {}),
    };
  }
  return next;
}

function hoursOf(text: string, flag: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) throw new InputError(`${flag} ${JSON.stringify(text)}: expected days or hours such as 2d or 36h`);
  return Number(match[1]) * (match[2] === "d" ? 24 : 1);
}

/** `7d` or `36h` from now, as ISO 8601; undefined when not given. */
function durationFromNow(text: string | undefined, now: Date): string | undefined {
  if (text === undefined) return undefined;
  return new Date(now.getTime() + hoursOf(text, "--for") * 3600_000).toISOString();
}
