import type { Observations } from "../core/observations.js";
import { type InventoryTarget, targetsOf } from "../inventory/inventory.js";
import { ParsedEntries, RangeSet } from "../ip/index.js";

/** Whether a target gets EOP fixes, and why, in words the report shows. */
export interface TargetSelection {
  target: InventoryTarget;
  checked: boolean;
  reason: string;
  /** The entry that makes the target open to (almost) everything, when that is why it is left alone. */
  openEntry?: string | undefined;
}

/**
 * Addresses that are never proposed for removal unless listed as removable:
 * loopback (Managed Availability probes connect from 127.0.0.1), private and
 * link-local ranges, CGNAT, unique-local IPv6. EOP never sends from them, and
 * whatever does is on the admin's own network.
 */
export const LOCAL_RANGES = RangeSet.parse([
  "127.0.0.0/8",
  "10.0.0.0/8",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "169.254.0.0/16",
  "100.64.0.0/10",
  "::1",
  "fc00::/7",
  "fe80::/10",
]);

const selections = new WeakMap<Observations, TargetSelection[]>();

/**
 * Which targets the EOP rules may change, computed once per check. Never a
 * target open to everything (an entry wider than a /8 or an IPv6 /32, as on
 * `Default Frontend`): changing it could stop all Internet mail. Among
 * receive connectors: those the admin named (`checkConnectors`, patterns
 * with `*`), or, when none are named, those that allow some EOP address; a
 * relay, partner or application connector is left alone. Allowlists are
 * EOP allowlists by being listed.
 */
export function eopTargets(observations: Observations): TargetSelection[] {
  let result = selections.get(observations);
  if (!result) {
    const { inventory, eop } = observations;
    const patterns = inventory.checkConnectors.map(patternRegExp);
    result = targetsOf(inventory).map((target): TargetSelection => {
      const parsed = ParsedEntries.parse(target.entries);
      const openEntry = widestEntry(parsed, target.entries);
      if (openEntry !== undefined) {
        return { target, checked: false, openEntry, reason: `open to every address (${openEntry}); an EOP fix never changes it` };
      }
      if (target.kind === "allowlist") return { target, checked: true, reason: `an EOP allowlist; ${modeReason(target)}` };
      if (patterns.length > 0) {
        return patterns.some((p) => p.test(target.name))
          ? { target, checked: true, reason: `named by the connectors to check; ${modeReason(target)}` }
          : { target, checked: false, reason: "not named by the connectors to check" };
      }
      return RangeSet.fromParsed(parsed).overlaps(eop.set)
        ? { target, checked: true, reason: `allows EOP addresses; ${modeReason(target)}` }
        : { target, checked: false, reason: "allows no EOP address (a relay, partner or application connector); name it to check it" };
    });
    selections.set(observations, result);
  }
  return result;
}

/** Which mode a target is checked in, and why: where the mode came from, and what trust adds to it. */
function modeReason(target: InventoryTarget): string {
  const from =
    target.modeFrom === "default"
      ? `${target.mode} mode, the default for raw output`
      : target.modeFrom === "option"
        ? `${target.mode} mode, as --mode / ?mode= says`
        : `${target.mode} mode, as the inventory says`;
  if (target.mode === "exact") return `${from}: ranges other than EOP's are proposed for removal`;
  return target.trustedForCloudMail
    ? `${from}; trusted for Exchange Online's mail, so its ranges other than EOP's are reported (never removed)`
    : `${from}: only missing ranges are reported`;
}

/** The first entry wider than an IPv4 /8 or an IPv6 /32. */
function widestEntry(parsed: ParsedEntries, texts: readonly string[]): string | undefined {
  let found: string | undefined;
  parsed.forEach((range, i) => {
    if (found !== undefined) return;
    const wide = range.family === 4 ? range.last4 - range.first4 + 1 > 2 ** 24 : v6SpanAtLeast(range.v6);
    if (wide) found = texts[i];
  });
  return found;
}

/** Whether last − first ≥ 2^96 (so the range holds more than a /32), on the 32-bit words of both. */
function v6SpanAtLeast(words: Uint32Array): boolean {
  let borrow = 0;
  for (let k = 3; k >= 1; k--) {
    const d = words[4 + k]! - words[k]! - borrow;
    borrow = d < 0 ? 1 : 0;
  }
  return words[4]! - words[0]! - borrow >= 1;
}

/**
 * A connector pattern as Exchange's `-Identity` reads it: `*` matches any
 * text, case does not matter, and a pattern without a server part
 * (`Inbound from Office 365`) names the connector on every server.
 *
 * @example patternRegExp("*\\Inbound from Office 365").test("EX01\\Inbound from Office 365") // true
 */
export function patternRegExp(pattern: string): RegExp {
  const body = pattern
    .split("*")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(pattern.includes("\\") ? `^${body}$` : `^(?:[^\\\\]*\\\\)?${body}$`, "i");
}
