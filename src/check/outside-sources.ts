import net from "node:net";
import type { Settings } from "../config.js";
import { createDnsClient } from "../dns/dns-client.js";
import { probeSmtp } from "../probe/smtp-probe.js";
import type { OutsideDeps } from "./outside-view.js";

/*
 * The outside view's live sources, apart from outside-view.ts so that a check
 * that asks no DNS and probes nothing (the CLI's default) loads neither.
 */

/** Per probe step; the function probes every host in parallel, so this bounds the check's wait. */
const PROBE_TIMEOUT_MS = 10_000;

/** The outside view's sources from the settings: DNS (when asked for) through the configured resolvers, probes on port 25 (when allowed). */
export function outsideDeps(settings: Pick<Settings, "outside">, use: { dns: boolean; probe: boolean }): OutsideDeps {
  return {
    dns: use.dns ? createDnsClient({ servers: settings.outside.dnsServers }) : undefined,
    probe: use.probe ? (host, port, address) => probeSmtp(host, port, { timeoutMs: PROBE_TIMEOUT_MS, connect: connectTo(address) }) : undefined,
    outside: settings.outside,
  };
}

/** Opens the probe's connection to the address DNS gave, keeping the host's name for SNI and the report. */
export function connectTo(address: string | undefined): ((target: { port: number }) => net.Socket) | undefined {
  return address === undefined ? undefined : ({ port }) => net.connect({ host: address, port });
}
