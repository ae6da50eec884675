/**
 * The scale benchmark's tenants: deterministic (the same seed gives the same
 * tenants on every machine) and shaped like real ones. Each has one to four
 * Exchange servers with an "Inbound from Office 365" receive connector (the
 * EOP ranges, loopback and private ranges kept on purpose, and in drifted
 * tenants retired EOP ranges or a missing one), sometimes the open
 * "Default Frontend" connector, and a firewall allowlist of EOP plus partner
 * relays, with a few large ones (thousands of entries). Some upload raw
 * `Get-ReceiveConnector | ConvertTo-Json` output instead of the documented
 * shape, and some have a Teams alert channel.
 */
import { seeded } from "../test/support/random.js";
import { EOP_IPV6 } from "./scale-stand-ins.js";
import { allowlistEntries } from "./workload.js";

const EOP_IPV4 = ["40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17"];
/** Ranges EOP used and dropped over the years: what old connectors still trust. */
const RETIRED_EOP = [
  "23.103.132.0/22",
  "23.103.136.0/21",
  "23.103.144.0/20",
  "65.55.88.0/24",
  "65.55.169.0/24",
  "94.245.120.64/26",
  "157.55.234.0/24",
  "157.56.110.0/23",
  "207.46.100.0/24",
  "207.46.163.0/24",
  "213.199.154.0/24",
  "216.32.180.0/23",
];

export type Drift = "in-sync" | "missing" | "stale" | "missing+stale";

export interface BenchTenant {
  tenant: string;
  /** What was built into its inventory, for the summary. */
  drift: Drift;
  entries: number;
  /** The upload: the body and the query string it is posted with. */
  body: string;
  query: Record<string, string>;
  /** A Teams channel for alerts, set through PUT /api/alerts/{tenant}. */
  teams: boolean;
}

/** `count` tenants; sizes and drift spread by `seed`. */
export function benchTenants(count: number, seed = 2026): BenchTenant[] {
  const random = seeded(seed);
  const int = (below: number) => Math.floor(random() * below);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const tenants: BenchTenant[] = [];
  for (let i = 0; i < count; i++) {
    const tenant = `${pick(NAMES)}-${String(i + 1).padStart(4, "0")}.onmicrosoft.com`;
    const roll = random();
    const drift: Drift = roll < 0.6 ? "in-sync" : roll < 0.75 ? "missing" : roll < 0.9 ? "stale" : "missing+stale";
    const missing = drift.startsWith("missing") ? pick([...EOP_IPV4, ...EOP_IPV6]) : undefined;
    const eop = [...EOP_IPV4, ...EOP_IPV6].filter((range) => range !== missing);
    const stale = drift.endsWith("stale") ? Array.from({ length: 1 + int(4) }, () => pick(RETIRED_EOP)) : [];
    const privateRanges = [`10.${int(256)}.0.0/16`, `192.168.${int(256)}.0/24`, `172.${16 + int(16)}.${int(256)}.0/24`].slice(0, 1 + int(3));
    const servers = Array.from({ length: 1 + int(4) }, (_, s) => `EX${String(s + 1).padStart(2, "0")}`);

    const inbound = servers.slice(0, Math.min(2, servers.length)).map((server) => ({
      identity: `${server}\\Inbound from Office 365`,
      mode: "exact",
      remoteIPRanges: [...new Set(["127.0.0.1", ...privateRanges, ...eop, ...stale])],
      protected: ["127.0.0.1"],
    }));
    const frontend =
      random() < 0.3
        ? [
            {
              identity: `${servers[0]}\\Default Frontend ${servers[0]}`,
              mode: "superset",
              remoteIPRanges: ["0.0.0.0-255.255.255.255", "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
            },
          ]
        : [];
    const size = random();
    const extra = size < 0.01 ? 5_000 + int(15_000) : size < 0.06 ? 200 + int(1_800) : 2 + int(30);
    const partners = allowlistEntries(extra, { seed: seed * 10_000 + i });
    const allowlist = { name: "edge-fw smtp-in", mode: "superset", entries: [...eop, ...partners], protected: [] };
    const entries = inbound.reduce((n, c) => n + c.remoteIPRanges.length, 0) + allowlist.entries.length + frontend.length * 2;
    const teams = random() < 0.2;

    if (random() < 0.1) {
      // Raw Exchange output, as an admin pipes it from the Exchange Management Shell: connectors only, mode from the query.
      const raw = [...inbound, ...frontend].map((c) => rawConnector(c.identity, c.remoteIPRanges));
      tenants.push({
        tenant,
        drift,
        entries: entries - allowlist.entries.length,
        body: JSON.stringify(raw),
        query: { tenant, mode: "exact" },
        teams,
      });
      continue;
    }
    const inventory = { tenant, instance: "Worldwide", receiveConnectors: [...inbound, ...frontend], allowlists: [allowlist] };
    tenants.push({ tenant, drift, entries, body: JSON.stringify(inventory, null, 2), query: {}, teams });
  }
  return tenants;
}

const NAMES = ["contoso", "fabrikam", "northwind", "adatum", "tailspin", "woodgrove", "litware", "proseware", "wingtip", "fourthcoffee"];

/** One receive connector as `Get-ReceiveConnector | ConvertTo-Json -Depth 4` writes it (the properties that matter, and some that do not). */
function rawConnector(identity: string, ranges: readonly string[]) {
  const [server = "", name = ""] = identity.split("\\");
  return {
    Identity: identity,
    Name: name,
    Server: server,
    Enabled: true,
    Bindings: ["0.0.0.0:25", "[::]:25"],
    AuthMechanism: "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer",
    PermissionGroups: "AnonymousUsers, ExchangeServers, ExchangeLegacyServers",
    TransportRole: "FrontendTransport",
    MaxMessageSize: "36 MB (37,748,736 bytes)",
    TlsCertificateName: null,
    RemoteIPRanges: ranges.map(rawRange),
    WhenChanged: "2025-03-11T09:14:02+00:00",
  };
}

/** An IPRange object: CIDR, LoHi or SingleAddress, with the bounds Exchange adds. */
function rawRange(text: string) {
  if (text.includes("-")) {
    const [lower, upper] = text.split("-");
    return { LowerBound: lower, UpperBound: upper, RangeFormat: "LoHi", Expression: text };
  }
  if (text.includes("/")) return { RangeFormat: "CIDR", CIDRLength: Number(text.split("/")[1]), Expression: text };
  return { LowerBound: text, UpperBound: text, RangeFormat: "SingleAddress", Expression: text };
}
