import net from "node:net";
import { connectTo } from "../check/outside-sources.js";
import { settingsFromEnv } from "../config.js";
import { createDnsClient } from "../dns/dns-client.js";
import { resolveSmartHosts, type SmartHostRoutes } from "../dns/smart-host-routes.js";
import { InputError } from "../errors.js";
import { type ProbeResult, probeSmtp } from "../probe/smtp-probe.js";
import { printable } from "../validation.js";
import type { Flags } from "./cli.js";
import type { CliIo } from "./context.js";
import { EXIT } from "./exit.js";

const DEFAULT_PORT = 25;
const DEFAULT_TIMEOUT_S = 10;
const HOST_NAME = /^(?=.{1,253}\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;
const EXPECTED = "expected HOST[:PORT] such as mail.contoso.com, mail.contoso.com:25 or [2001:db8::25]:25";

/**
 * `mailflow-guard probe HOST[:PORT] [--json] [--timeout S] [--smart-host]`: exit 0 when a certificate was read
 * (from every host, with --smart-host), 1 otherwise with the reason on stderr.
 */
export async function probeCommand(flags: Flags, io: CliIo): Promise<number> {
  const positionals = Array.isArray(flags._) ? flags._ : [];
  if (positionals.length !== 1) throw new InputError(`probe takes one HOST[:PORT], not ${positionals.length} (${EXPECTED})`);
  const { host, port } = parseHostPort(positionals[0]!);
  const timeoutMs = parseTimeout(flags.timeout);
  if (flags["smart-host"]) return probeSmartHost(host, port, timeoutMs, Boolean(flags.json), io);
  const result = await probeSmtp(host, port, { timeoutMs });
  io.stdout(flags.json ? `${JSON.stringify(result, null, 2)}\n` : humanProbe(result));
  const why = noCertificateReason(result);
  if (why === undefined) return EXIT.ok;
  io.stderr(`mailflow-guard: ${why}\n`);
  return EXIT.error;
}

/**
 * `--smart-host`: HOST resolved as Exchange Online resolves an outbound
 * connector's smart host (MX by preference, else A/AAAA; resolvers from
 * MAILFLOW_GUARD_DNS_SERVERS), then every host it leads to probed. `--json`
 * prints the results as a list, as the state document's `probes` takes them.
 */
async function probeSmartHost(name: string, port: number, timeoutMs: number, asJson: boolean, io: CliIo): Promise<number> {
  const settings = settingsFromEnv(io.env);
  const [routes] = (await resolveSmartHosts(createDnsClient({ servers: settings.outside.dnsServers }), [name])) as [SmartHostRoutes];
  const hosts = routes.hosts.filter((h) => h.status === "resolved");
  if (hosts.length === 0) {
    io.stderr(`mailflow-guard: ${printable(name)} leads nowhere: ${printable(routes.error ?? routes.status)}\n`);
    return EXIT.error;
  }
  const results = await Promise.all(hosts.map((h) => probeSmtp(h.name, port, { timeoutMs, connect: connectTo(h.addresses[0]) })));
  if (asJson) io.stdout(`${JSON.stringify(results, null, 2)}\n`);
  else {
    const via = routes.via === "mx" ? "MX" : routes.via === "address" ? "A/AAAA" : "an address";
    const where = hosts.map((h) => `${h.preference !== undefined ? `${h.preference} ` : ""}${h.name} (${h.addresses.join(", ")})`);
    io.stdout(`${printable(name)} routes by ${via} to ${printable(where.join(", "))}\n\n${results.map(humanProbe).join("\n")}`);
  }
  const reasons = results.map(noCertificateReason).filter((why) => why !== undefined);
  for (const why of reasons) io.stderr(`mailflow-guard: ${why}\n`);
  return reasons.length === 0 ? EXIT.ok : EXIT.error;
}

/**
 * `host`, `host:port`, `[v6]`, `[v6]:port`, or a bare IPv6 address (port 25).
 *
 * @example parseHostPort("[::1]:2525") // { host: "::1", port: 2525 }
 */
export function parseHostPort(text: string): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  let host = text;
  let portText: string | undefined;
  if (bracketed) [host, portText] = [bracketed[1]!, bracketed[2]];
  else if (!net.isIPv6(text) && text.includes(":")) {
    const colon = text.lastIndexOf(":");
    [host, portText] = [text.slice(0, colon), text.slice(colon + 1)];
  }
  const valid = bracketed ? net.isIPv6(host) : net.isIP(host) !== 0 || HOST_NAME.test(host);
  if (!valid) throw new InputError(`${printable(JSON.stringify(text))}: ${EXPECTED}`);
  if (portText === undefined) return { host, port: DEFAULT_PORT };
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) throw new InputError(`${printable(JSON.stringify(text))}: the port must be a number from 1 to 65535`);
  return { host, port };
}

function parseTimeout(value: Flags[string]): number {
  if (value === undefined) return DEFAULT_TIMEOUT_S * 1000;
  const seconds = typeof value === "string" && /^\d+(?:\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!(seconds > 0 && seconds <= 600))
    throw new InputError(`--timeout ${printable(JSON.stringify(value))}: expected seconds from 0.1 to 600, such as 10 or 2.5`);
  return Math.max(100, Math.round(seconds * 1000));
}

/** `mail.contoso.com:25`, `[2001:db8::25]:25`. */
function where(result: ProbeResult): string {
  return `${net.isIPv6(result.host) ? `[${result.host}]` : result.host}:${result.port}`;
}

/** Why no certificate was read, in one line; undefined when one was. */
function noCertificateReason(result: ProbeResult): string | undefined {
  if (result.certificate) return undefined;
  if (result.ehloMasked && !result.starttls) {
    return `${where(result)} offers no STARTTLS: its greeting is masked as a firewall's SMTP inspection (Cisco PIX/ASA) masks it`;
  }
  if (result.error !== undefined) return `${where(result)}: ${printable(result.error)}`;
  if (!result.starttls) return `${where(result)} offers no STARTTLS`;
  return `${where(result)} presented no certificate`;
}

function humanProbe(result: ProbeResult): string {
  const line = (label: string, text: string) => `  ${label.padEnd(12)}${text}`;
  const lines = [`${where(result)} (${result.durationMs} ms)`];
  if (result.banner !== "") lines.push(line("Banner", printable(result.banner.replaceAll("\n", " "))));
  if (result.ehlo.length > 0) lines.push(line("EHLO", printable(result.ehlo.slice(1).join(", ") || "(no extensions)")));
  if (result.ehloMasked) lines.push(line("Inspected", "the greeting is masked by a firewall's SMTP inspection (Cisco PIX/ASA): it strips STARTTLS"));
  if (result.ehlo.length > 0) lines.push(line("STARTTLS", result.starttls ? "offered" : "not offered"));
  if (result.tlsVersion !== undefined) {
    const modern = result.tls12OrLater === undefined ? "could not be told" : result.tls12OrLater ? "yes" : "no (Exchange Online requires it)";
    lines.push(line("TLS", `${result.tlsVersion}, ${result.cipher}; TLS 1.2 or later: ${modern}`));
  }
  const c = result.certificate;
  if (c) {
    lines.push(
      line("Subject", printable(c.subject)),
      line("Issuer", printable(c.issuer)),
      line("Names", printable(c.sans.join(", ")) || "(none)"),
      line("Valid", `${c.notBefore.slice(0, 10)} to ${c.notAfter.slice(0, 10)} (${c.daysLeft < 0 ? "expired" : `${c.daysLeft} days left`})`),
      line("SHA-256", c.fingerprintSha256),
      line("Chain", c.chainValid ? "trusted" : `not trusted (${c.chainError})`),
    );
  }
  if (result.error !== undefined) lines.push(line("Stopped", printable(result.error)));
  return `${lines.join("\n")}\n`;
}
