import type { TargetAnalysis } from "../rules/eop-drift.js";
import { psComment, psQuote } from "./quote.js";

export interface Provenance {
  tenant: string;
  instance: string;
  feedVersion: string | null;
  runId: string;
  generatedAt: string;
  /** Set while the feed is refused: the script then proposes no removals. */
  feedRefusedReason?: string | undefined;
}

/**
 * The Exchange Management Shell script that brings every receive connector in
 * line with the EOP set. It adds and removes exact entries with
 * `-RemoteIPRanges @{Add=…; Remove=…}` and never replaces a whole list, and it
 * runs with -WhatIf unless the admin passes -Apply. The text starts with a
 * UTF-8 byte order mark: without it Windows PowerShell 5.1 reads the file as
 * ANSI and a connector name with non-ASCII letters would no longer match.
 */
export function receiveConnectorScript(analyses: readonly TargetAnalysis[], provenance: Provenance): string {
  const changes = analyses.filter((a) => a.target.kind === "receive-connector" && (a.add.length > 0 || a.remove.length > 0));
  const lines = [
    "<#",
    ".SYNOPSIS",
    "  mailflow-guard: receive connector remediation. Review it before you run it.",
    ".DESCRIPTION",
    `  Tenant:     ${provenance.tenant}`,
    `  Feed:       ${provenance.instance}, ${provenance.feedVersion === null ? "unversioned saved feed" : `version ${provenance.feedVersion}`}`,
    `  Run:        ${provenance.runId}`,
    `  Generated:  ${provenance.generatedAt}`,
    "",
    "  Adds the Exchange Online Protection ranges each receive connector lacks and",
    "  removes only the entries named below; no RemoteIPRanges list is replaced.",
    ...(provenance.feedRefusedReason === undefined
      ? []
      : ["", "  The latest feed was refused, so this script proposes no removals:", `  ${provenance.feedRefusedReason}`]),
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
  if (changes.length === 0) {
    lines.push("Write-Host 'Every receive connector already allows the EOP ranges; nothing to change.'");
  }
  for (const a of changes) {
    const parts = [
      a.add.length > 0 ? `add ${a.add.length} EOP range${a.add.length === 1 ? "" : "s"}` : "",
      a.remove.length > 0 ? `remove ${a.remove.length} entr${a.remove.length === 1 ? "y" : "ies"} that ${a.remove.length === 1 ? "is" : "are"} no longer EOP` : "",
    ].filter(Boolean);
    lines.push(`# ${psComment(a.target.name)} (${a.target.mode}): ${parts.join(", ")}.`);
    if (a.held.length > 0) lines.push(`# Kept because they overlap a protected entry: ${a.held.map(psComment).join(", ")}`);
    lines.push(`Set-ReceiveConnector -Identity ${psQuote(a.target.name)} -RemoteIPRanges @{`);
    if (a.add.length > 0) lines.push(`  Add = ${psArray(a.add)}`);
    if (a.remove.length > 0) lines.push(`  Remove = ${psArray(a.remove)}`);
    lines.push("} -WhatIf:(-not $Apply)", "");
  }
  return "\ufeff" + lines.join("\r\n").trimEnd() + "\r\n";
}

function psArray(values: readonly string[]): string {
  return `@(${values.map(psQuote).join(", ")})`;
}
