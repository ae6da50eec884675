import type { Output, TenantCheck } from "../core/check.js";
import type { PropertyChange, RangeChange } from "../core/finding.js";
import { InputError } from "../errors.js";
import { describeVersion } from "../feed/snapshot.js";
import { targetsOf } from "../inventory/inventory.js";
import { RangeSet } from "../ip/index.js";
import { psComment, psQuote } from "./quote.js";

/** One receive connector's changes from every finding about it, in one `Set-ReceiveConnector`. */
interface ConnectorChange {
  name: string;
  mode: string;
  add: string[];
  remove: string[];
  held: string[];
}

/**
 * remediation.ps1: the Exchange Management Shell script that makes the
 * findings' proposed changes. Range changes of one connector become one
 * `-RemoteIPRanges @{Add=…; Remove=…}`, never a whole list; property changes
 * become one `Set-… -Identity … -Parameter …` each. It runs with -WhatIf
 * unless the admin passes -Apply. The text starts with a UTF-8 byte order
 * mark: without it Windows PowerShell 5.1 reads the file as ANSI and a
 * connector name with non-ASCII letters would no longer match.
 */
export const remediationScript: Output = {
  file: "remediation.ps1",
  description: "receive connector changes: review, then run in the Exchange Management Shell (shows -WhatIf until you add -Apply)",
  render: renderScript,
};

function renderScript(check: TenantCheck): string {
  const { observations: o, report } = check;
  const connectors = connectorChanges(check);
  const properties = check.findings.flatMap((f) =>
    (f.changes ?? []).filter((c): c is PropertyChange => c.kind === "property" && c.side === "on-premises"),
  );
  const refused = o.eop.refused;
  const lines = [
    "<#",
    ".SYNOPSIS",
    "  mailflow-guard: receive connector remediation. Review it before you run it.",
    ".DESCRIPTION",
    `  Tenant:     ${psComment(o.tenant)}`,
    `  Feed:       ${o.instance}, ${o.eop.inForce.version === null ? "unversioned saved feed" : describeVersion(o.eop.inForce.version)}`,
    `  Run:        ${o.runId}`,
    `  Generated:  ${report.generatedAt}`,
    "",
    "  Adds the Exchange Online Protection ranges each receive connector lacks and",
    "  removes only the entries named below; no RemoteIPRanges list is replaced.",
    ...(refused === undefined ? [] : ["", "  The latest feed was refused, so this script proposes no removals:", `  ${psComment(refused.reason)}`]),
    "",
    "  Without -Apply every change runs with -WhatIf and nothing is changed.",
    ".PARAMETER Apply",
    "  Make the changes.",
    "#>",
    "[CmdletBinding()]",
    "param([switch]$Apply)",
    "",
    "Set-StrictMode -Version Latest",
    "$ErrorActionPreference = 'Stop'",
    "if (-not (Get-Command Set-ReceiveConnector -ErrorAction SilentlyContinue)) {",
    "  throw 'Run this script in the Exchange Management Shell: Set-ReceiveConnector was not found.'",
    "}",
    "",
  ];
  if (connectors.length === 0 && properties.length === 0) {
    lines.push("Write-Host 'Every receive connector already allows the EOP ranges; nothing to change.'");
  }
  for (const c of connectors) {
    const parts = [
      c.add.length > 0 ? `add ${c.add.length} EOP range${c.add.length === 1 ? "" : "s"}` : "",
      c.remove.length > 0
        ? `remove ${c.remove.length} entr${c.remove.length === 1 ? "y" : "ies"} that ${c.remove.length === 1 ? "is" : "are"} no longer EOP`
        : "",
    ].filter(Boolean);
    lines.push(`# ${psComment(c.name)} (${c.mode}): ${parts.join(", ")}.`);
    if (c.held.length > 0) lines.push(`# Kept because they overlap a protected entry: ${c.held.map(psComment).join(", ")}`);
    lines.push(`Set-ReceiveConnector -Identity ${psQuote(c.name)} -RemoteIPRanges @{`);
    if (c.add.length > 0) lines.push(`  Add = ${psArray(c.add)}`);
    if (c.remove.length > 0) lines.push(`  Remove = ${psArray(c.remove)}`);
    lines.push("} -WhatIf:(-not $Apply)", "");
  }
  for (const p of properties)
    lines.push(`${psCmdlet(p.cmdlet)} -Identity ${psQuote(p.identity)} -${psParameter(p.parameter)} ${psValue(p.value)} -WhatIf:(-not $Apply)`, "");
  return `\ufeff${lines.join("\r\n").trimEnd()}\r\n`;
}

/** Range changes on receive connectors that add or remove something, merged per connector, in inventory order. */
function connectorChanges(check: TenantCheck): ConnectorChange[] {
  const byName = new Map<string, RangeChange[]>();
  for (const f of check.findings) {
    for (const c of f.changes ?? []) {
      if (c.kind !== "ranges" || c.target.kind !== "receive-connector" || c.add.length + c.remove.length === 0) continue;
      byName.set(c.target.name, [...(byName.get(c.target.name) ?? []), c]);
    }
  }
  return targetsOf(check.observations.inventory).flatMap((t) => {
    const changes = t.kind === "receive-connector" ? byName.get(t.name) : undefined;
    if (!changes) return [];
    const adds = changes.flatMap((c) => c.add);
    return [
      {
        name: t.name,
        mode: t.mode,
        // The missing ranges and the EOP parts of removed entries, as one minimal cover.
        add: changes.length === 1 ? adds : RangeSet.parse(adds).toCidrs(),
        remove: changes.flatMap((c) => c.remove),
        held: changes.flatMap((c) => c.held),
      },
    ];
  });
}

function psArray(values: readonly string[]): string {
  return `@(${values.map(psQuote).join(", ")})`;
}

function psValue(value: PropertyChange["value"]): string {
  if (typeof value === "boolean") return value ? "$true" : "$false";
  return Array.isArray(value) ? psArray(value) : psQuote(value);
}

/** Cmdlet and parameter names come from rules, not from outside; still, only names go into code. */
function psCmdlet(name: string): string {
  if (!/^[A-Z][a-z]+-[A-Za-z]+$/.test(name)) throw new InputError(`${JSON.stringify(name)} is not a cmdlet name (Verb-Noun)`);
  return name;
}

function psParameter(name: string): string {
  if (!/^[A-Za-z]+$/.test(name)) throw new InputError(`${JSON.stringify(name)} is not a parameter name`);
  return name;
}
