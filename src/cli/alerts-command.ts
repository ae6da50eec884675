import { alertConfigSchema, describeAlertConfig, loadAlertConfig, saveAlertConfig } from "../alerts/config.js";
import { openFindings, snoozeFinding, unsnoozeFinding } from "../alerts/snooze.js";
import { InputError } from "../errors.js";
import { validate } from "../validation.js";
import type { Flags } from "./cli.js";
import { type CliIo, openStore } from "./context.js";
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
      const current = flags.clear ? {} : ((await loadAlertConfig(store, tenant)) ?? {});
      const webhook = str(flags, "teams-webhook");
      const mailTo = Array.isArray(flags["mail-to"]) ? flags["mail-to"] : [];
      const next = validate(
        alertConfigSchema,
        { ...current, ...(webhook ? { teams: { webhookUrl: webhook } } : {}), ...(mailTo.length > 0 ? { mail: { to: mailTo } } : {}) },
        "alerts config",
      );
      await saveAlertConfig(store, tenant, next);
      const shown = describeAlertConfig(next);
      io.stdout(`${tenant}: alerts to ${[shown.teams ? "Teams" : "", ...shown.mailTo].filter(Boolean).join(", ") || "no channel"}\n`);
      return EXIT.ok;
    }
    default:
      throw new InputError(`alerts ${action === undefined ? "" : `${JSON.stringify(action)} `}: expected list, snooze, unsnooze or config`);
  }
}

/** `7d` or `36h` from now, as ISO 8601; undefined when not given. */
function durationFromNow(text: string | undefined, now: Date): string | undefined {
  if (text === undefined) return undefined;
  const match = DURATION.exec(text.trim());
  if (!match) throw new InputError(`--for ${JSON.stringify(text)}: expected days or hours such as 7d or 36h`);
  const hours = Number(match[1]) * (match[2] === "d" ? 24 : 1);
  return new Date(now.getTime() + hours * 3600_000).toISOString();
}
