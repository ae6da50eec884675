/**
 * Deterministic large inventories for the benchmark: the same seed gives the
 * same entries on every machine, so figures compare across runs.
 */
import { seeded } from "../test/support/random.js";

export type EntryForm = "ipv4-cidr" | "ipv4-address" | "ipv4-range" | "ipv6-cidr" | "ipv6-address" | "ipv6-range";

/** The share of each form: mostly IPv4 CIDRs, as in real allowlists, with every form present. */
const MIX: readonly [EntryForm, number][] = [
  ["ipv4-cidr", 0.45],
  ["ipv4-address", 0.2],
  ["ipv4-range", 0.1],
  ["ipv6-cidr", 0.15],
  ["ipv6-address", 0.05],
  ["ipv6-range", 0.05],
];

/** `count` allowlist entries in the mix above; `cidrOnly` leaves out `a-b` ranges, which the npm libraries cannot read. */
export function allowlistEntries(count: number, options: { seed?: number; cidrOnly?: boolean } = {}): string[] {
  const random = seeded(options.seed ?? 2026);
  const int = (below: number) => Math.floor(random() * below);
  const ipv4 = () => `${1 + int(223)}.${int(256)}.${int(256)}.${int(256)}`;
  const hex = () => int(65536).toString(16);
  const ipv6 = () => `2a0${int(10)}:${hex()}:${hex()}:${hex()}::${hex()}`;
  const mix = options.cidrOnly ? MIX.filter(([form]) => !form.endsWith("-range")) : MIX;
  const total = mix.reduce((sum, [, share]) => sum + share, 0);
  const entries: string[] = [];
  for (let i = 0; i < count; i++) {
    let pick = random() * total;
    let form: EntryForm = "ipv4-cidr";
    for (const [candidate, share] of mix) {
      pick -= share;
      if (pick < 0) {
        form = candidate;
        break;
      }
    }
    switch (form) {
      case "ipv4-cidr":
        entries.push(`${ipv4()}/${16 + int(17)}`);
        break;
      case "ipv4-address":
        entries.push(ipv4());
        break;
      case "ipv4-range": {
        const a = `${1 + int(223)}.${int(256)}.${int(256)}`;
        const from = int(200);
        entries.push(`${a}.${from}-${a}.${from + int(56)}`);
        break;
      }
      case "ipv6-cidr":
        entries.push(`${ipv6()}/${48 + int(81)}`);
        break;
      case "ipv6-address":
        entries.push(ipv6());
        break;
      case "ipv6-range": {
        const prefix = `2a0${int(10)}:${hex()}:${hex()}:${hex()}::`;
        const from = int(4096);
        entries.push(`${prefix}${from.toString(16)}-${prefix}${(from + int(4096)).toString(16)}`);
        break;
      }
    }
  }
  return entries;
}

/** An inventory in the documented shape: one big firewall allowlist and a dedicated EOP receive connector. */
export function largeInventory(entries: readonly string[], allowlistMode: "exact" | "superset") {
  return {
    tenant: "bench.onmicrosoft.com",
    instance: "Worldwide",
    receiveConnectors: [
      {
        identity: "EX01\\Inbound from Office 365",
        mode: "exact",
        remoteIPRanges: ["40.92.0.0/15", "40.107.0.0/16", "104.47.0.0/17", "65.55.88.0/24", "127.0.0.1"],
        protected: ["127.0.0.1"],
      },
    ],
    allowlists: [{ name: "edge-fw smtp-in", mode: allowlistMode, entries, protected: [] }],
  };
}

/**
 * Entries that overlap the recorded feed's EOP SMTP set (40.92.0.0/15, 40.107.0.0/16, 52.100.0.0/14,
 * 104.47.0.0/17) in part, in whole, or across its edge, so `missing` is partial and an exact list's
 * `stale` has holes where EOP is; one per allowlist of `fourAllowlistInventory`.
 */
const EOP_OVERLAP: readonly (readonly string[])[] = [
  ["40.92.0.0/16", "40.106.255.0-40.107.0.255", "52.100.0.0/15", "104.47.0.0/18"],
  ["40.92.0.0/15", "40.107.0.0/16", "104.47.0.0/17"],
  ["40.93.0.0/16", "40.107.128.0/17", "52.102.0.0/15", "52.103.255.0-52.104.0.255", "104.47.64.0/18"],
  ["40.0.0.0/8"],
];

/**
 * An inventory whose `total` entries (mixed IPv4 and IPv6 CIDRs, a-b ranges and single
 * addresses, mostly not EOP) are split over four firewall allowlists, two `exact` and two
 * `superset`, and no receive connector. The exact lists protect a few ranges that overlap
 * their stale entries, so `stale` is `coverage − EOP − protected` with something to subtract.
 */
export function fourAllowlistInventory(total: number, options: { seed?: number } = {}) {
  const overlapCount = EOP_OVERLAP.reduce((sum, list) => sum + list.length, 0);
  const generated = allowlistEntries(total - overlapCount, { seed: options.seed ?? 2027 });
  const lists = [
    { name: "edge-fw-a smtp-in", mode: "exact", protected: ["127.0.0.1", "10.0.0.0/8", "192.168.0.0-192.168.255.255", "2a03::/16"] },
    { name: "edge-fw-b smtp-in", mode: "superset", protected: [] },
    { name: "dmz-fw smtp-relay", mode: "exact", protected: ["127.0.0.1", "100.64.0.0/10", "2a07:1000::/20"] },
    { name: "cloud-nsg smtp", mode: "superset", protected: [] },
  ] as const;
  const per = Math.ceil(generated.length / lists.length);
  return {
    tenant: "bench.onmicrosoft.com",
    instance: "Worldwide",
    receiveConnectors: [],
    allowlists: lists.map((list, i) => ({
      name: list.name,
      mode: list.mode,
      entries: [...EOP_OVERLAP[i]!, ...generated.slice(i * per, (i + 1) * per)],
      protected: [...list.protected],
    })),
  };
}
