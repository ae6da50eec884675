import { parseArgs } from "node:util";
import { InputError, MailflowGuardError, oneLine } from "../errors.js";
import type { CliIo } from "./context.js";
import { EXIT } from "./exit.js";

const USAGE = `Usage: mailflow-guard <command> [options]

Commands:
  feed   [--instance NAME] [--feed-file FILE] [--json]
         The EOP SMTP set: live (version first, cached in the state store) or from a saved /endpoints response.
  diff   --from FILE --to FILE [--json]
         EOP SMTP ranges added and removed between two saved /endpoints responses.
  check  --inventory FILE... [--feed-file FILE [--feed-version V]] [--out DIR] [--json]
         FILE: an inventory, a state document, or a cmdlet's raw output (ConvertTo-Json or Export-Clixml);
         several FILEs (Get-ReceiveConnector, Get-SendConnector, Get-ExchangeCertificate… each) make one state document
         [--tenant T --instance NAME --mode exact|superset]   for raw cmdlet output
         [--connector PATTERN]...   the receive connectors to check, e.g. "*\\Inbound from Office 365"
         [--max-removal-share 25%] [--accept-feed-version V] [--refresh]
         [--teams-webhook URL] [--mail-to ADDR]... [--no-alerts]   alerts for what changed since the last check
         [--exchange-online]   read the tenant's Exchange Online connectors live (MAILFLOW_GUARD_EXO_* settings)
         [--dns]   resolve the smart hosts, and look the egress addresses up in MAILFLOW_GUARD_BLOCKLISTS
         [--probe]   probe the hosts the smart hosts lead to on port 25 from this machine
         Drift of the inventory (or state document) against the EOP set, and of the connectors, certificates and
         domains on both sides of the hybrid; writes the report and scripts to DIR (default ./out).
         Exit code 0 in sync, 2 drift found, 1 error (also when the feed was refused).
  demo   The daily drift check of the bundled example tenant against the recorded feed; writes ./out.
  alerts list|snooze|unsnooze|config|due --tenant T
         list: open findings and snoozes; snooze --finding ID --reason R --by WHO (--until TIME | --for 7d);
         unsnooze --finding ID; config [--teams-webhook URL | --teams-webhook-secret KEY-VAULT-SECRET-ID]
         [--mail-to ADDR]... [--clear]: where alerts go,
         [--digest daily|weekly|off] [--heartbeat on|off] [--hour 0-23] [--weekday monday] (UTC)
         [--min-severity info|warning|error] [--stale-after 36h] [--evidence-stale-after 48h]
         [--certificate-days 60,30,14,7]: digests,
         the weekly heartbeat, thresholds;
         due: sends the stale-run alert, digest and heartbeat that are due now (run it hourly from cron).
  probe  HOST[:PORT] [--timeout S] [--json]   (port 25, 10 s a step; IPv6 as [2001:db8::25]:25)
         [--smart-host]   resolve HOST as Exchange Online resolves a smart host (MX, else A/AAAA) and probe each host
         What an SMTP server presents: banner, EHLO, STARTTLS, TLS version, certificate. Never sends mail.
         Exit code 0 when a certificate was read, 1 otherwise (no STARTTLS, masked by a firewall, unreachable).

State: --state DIR (default .mailflow-guard, or MAILFLOW_GUARD_STATE_DIR), or Table Storage with
--storage CONNECTION-STRING or the AzureWebJobsStorage setting.
`;

const COMMON = { json: { type: "boolean" }, state: { type: "string" }, storage: { type: "string" }, help: { type: "boolean", short: "h" } } as const;

const OPTIONS = {
  feed: { ...COMMON, instance: { type: "string" }, "feed-file": { type: "string" } },
  diff: { ...COMMON, from: { type: "string" }, to: { type: "string" } },
  check: {
    ...COMMON,
    inventory: { type: "string", multiple: true },
    "feed-file": { type: "string" },
    "feed-version": { type: "string" },
    out: { type: "string" },
    tenant: { type: "string" },
    instance: { type: "string" },
    mode: { type: "string" },
    connector: { type: "string", multiple: true },
    "max-removal-share": { type: "string" },
    "accept-feed-version": { type: "string" },
    refresh: { type: "boolean" },
    "teams-webhook": { type: "string" },
    "mail-to": { type: "string", multiple: true },
    "no-alerts": { type: "boolean" },
    "exchange-online": { type: "boolean" },
    dns: { type: "boolean" },
    probe: { type: "boolean" },
  },
  demo: { help: COMMON.help, out: { type: "string" } },
  alerts: {
    ...COMMON,
    tenant: { type: "string" },
    finding: { type: "string" },
    reason: { type: "string" },
    by: { type: "string" },
    until: { type: "string" },
    for: { type: "string" },
    "teams-webhook": { type: "string" },
    "teams-webhook-secret": { type: "string" },
    "mail-to": { type: "string", multiple: true },
    clear: { type: "boolean" },
    digest: { type: "string" },
    heartbeat: { type: "string" },
    hour: { type: "string" },
    weekday: { type: "string" },
    "min-severity": { type: "string" },
    "stale-after": { type: "string" },
    "evidence-stale-after": { type: "string" },
    "certificate-days": { type: "string" },
  },
  probe: { json: COMMON.json, help: COMMON.help, timeout: { type: "string" }, "smart-host": { type: "boolean" } },
} as const;

/** Parsed options: a string, a boolean, or the strings of a repeatable option. */
export type Flags = Record<string, string | boolean | string[] | undefined>;
type Command = (flags: Flags, io: CliIo) => Promise<number>;

/** Loaded on demand, so `--help` and `check` load neither the Azure SDKs nor the demo's functions runtime. */
const COMMANDS: Record<keyof typeof OPTIONS, () => Promise<Command>> = {
  feed: async () => (await import("./commands.js")).feedCommand,
  diff: async () => (await import("./commands.js")).diffCommand,
  check: async () => (await import("./commands.js")).checkCommand,
  demo: async () => (await import("./demo.js")).demoCommand,
  alerts: async () => (await import("./alerts-command.js")).alertsCommand,
  probe: async () => (await import("./probe-command.js")).probeCommand,
};

/**
 * The command line, testable in-process: returns the exit code. Errors of
 * the product's own kinds print one line; anything unexpected prints one
 * line too, with the stack only when MAILFLOW_GUARD_DEBUG is set.
 */
export async function cli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    io.stdout(USAGE);
    return name === undefined ? EXIT.error : EXIT.ok;
  }
  try {
    if (!(name in COMMANDS))
      throw new InputError(`unknown command ${JSON.stringify(name)} (expected feed, diff, check, demo, alerts or probe; see mailflow-guard --help)`);
    const command = name as keyof typeof COMMANDS;
    let values: Flags;
    try {
      // Every option is a string, a boolean or a repeatable string, so the parsed values are too.
      // Only alerts (its action) and probe (its host) take positionals.
      const allowPositionals = command === "alerts" || command === "probe";
      const parsed = parseArgs({ args: [...rest], options: OPTIONS[command], strict: true, allowPositionals });
      values = { ...(parsed.values as typeof values), _: parsed.positionals };
    } catch (error) {
      throw new InputError(`${oneLine(error)} (see mailflow-guard --help)`);
    }
    if (values.help) {
      io.stdout(USAGE);
      return EXIT.ok;
    }
    return await (await COMMANDS[command]())(values, io);
  } catch (error) {
    io.stderr(`mailflow-guard: ${oneLine(error)}\n`);
    if (!(error instanceof MailflowGuardError) && io.env.MAILFLOW_GUARD_DEBUG) io.stderr(`${(error as Error).stack ?? ""}\n`);
    return EXIT.error;
  }
}
