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
 * become one `Set-… -Identity … -Parameter …` each.
 *
 * It is an advanced script with `SupportsShouldProcess`, so `-WhatIf` and
 * `-Confirm` work as on every Exchange cmdlet: each change sits in its own
 * `if ($PSCmdlet.ShouldProcess(identity, action)) { … }` and the Set- cmdlet in
 * it gets `-Confirm:$false` (the script has asked already), never a -WhatIf of
 * its own. `ConfirmImpact = 'High'` makes PowerShell ask before each change
 * unless the admin passes `-Confirm:$false`: a script written by a tool is
 * reviewed, then run, and a run nobody answers changes nothing.
 *
 * Inside each branch, before the Set-, the matching Get- saves what the change
 * touches (the connector's RemoteIPRanges, or the parameter's current value)
 * with Export-Clixml beside the script, and the script prints the command that
 * restores it. A change whose state cannot be saved is not made
 * (`$ErrorActionPreference = 'Stop'`, `-NoClobber`).
 *
 * The text starts with a UTF-8 byte order mark: without it Windows PowerShell
 * 5.1 reads the file as ANSI and a connector name with non-ASCII letters would
 * no longer match.
 */
export const remediationScript: Output = {
  file: "remediation.ps1",
  description:
    "on-premises changes (connectors, certificate names, domains): review, then run in the Exchange Management Shell " +
    "(asks before each change; -WhatIf shows them, -Confirm:$false skips the questions)",
  render: (check) => renderScript(check, "on-premises"),
};

/**
 * exchange-online-remediation.ps1: the findings' changes to Exchange Online
 * objects (inbound and outbound connectors), in the same form, for a session
 * opened with Connect-ExchangeOnline. Kept apart from remediation.ps1 because
 * the two run in different shells, often by different admins.
 */
export const exchangeOnlineScript: Output = {
  file: "exchange-online-remediation.ps1",
  description: "Exchange Online connector changes: review, then run after Connect-ExchangeOnline (asks before each change; -WhatIf shows them)",
  writes: (observations) => observations.hybrid?.exchangeOnline !== undefined,
  render: (check) => renderScript(check, "exchange-online"),
};

function renderScript(check: TenantCheck, side: PropertyChange["side"]): string {
  const { observations: o, report } = check;
  const online = side === "exchange-online";
  const connectors = online ? [] : connectorChanges(check);
  const properties = check.findings.flatMap((f) => (f.changes ?? []).filter((c): c is PropertyChange => c.kind === "property" && c.side === side));
  const name = online ? exchangeOnlineScript.file : remediationScript.file;
  const refused = o.eop.refused;
  const files = rollbackFiles();
  const changes = [...connectors.map((c) => connectorBlock(c, files)), ...properties.map((p) => propertyBlock(p, files))];
  const lines = [
    "<#",
    ".SYNOPSIS",
    online
      ? "  mailflow-guard: Exchange Online connector remediation. Review it before you run it."
      : "  mailflow-guard: on-premises connector remediation. Review it before you run it.",
    ".DESCRIPTION",
    `  Tenant:     ${psComment(o.tenant)}`,
    `  Feed:       ${o.instance}, ${o.eop.inForce.version === null ? "unversioned saved feed" : describeVersion(o.eop.inForce.version)}`,
    `  Run:        ${o.runId}`,
    `  Generated:  ${report.generatedAt}`,
    "",
    ...(online
      ? [
          "  Sets the Exchange Online connector properties named below, in the tenant",
          `  above: connect first with Connect-ExchangeOnline -Organization ${psComment(o.tenant)}.`,
        ]
      : [
          "  Adds the Exchange Online Protection ranges each receive connector lacks and",
          "  removes only the entries named below; no RemoteIPRanges list is replaced;",
          "  sets the certificate and domain properties named below.",
          ...(refused === undefined
            ? []
            : ["", "  The latest feed was refused, so this script proposes no removals:", `  ${psComment(refused.reason)}`]),
        ]),
    "",
    "  It takes -WhatIf and -Confirm as the Exchange cmdlets do:",
    `    .\\${name} -WhatIf          shows each change and changes nothing.`,
    `    .\\${name}                  asks before each change (Yes, Yes to All, No, No to All).`,
    `    .\\${name} -Confirm:$false  makes every change without asking.`,
    "  A Set- cmdlet changes at once unless -WhatIf; this script asks first by",
    "  default (ConfirmImpact High), so nothing changes that nobody confirmed.",
    "",
    "  Rollback: just before it changes an object, the script saves what the change",
    "  touches (a connector's RemoteIPRanges, or the parameter's current value) in",
    "  rollback-<name>-<yyyyMMdd-HHmmss>.xml beside this script, and prints the",
    "  command that puts it back; for a receive connector:",
    "    Import-Clixml -LiteralPath <file> | ForEach-Object { Set-ReceiveConnector -Identity $_.Identity -RemoteIPRanges $_.RemoteIPRanges }",
    "  That sets the saved list again as a whole. A change declined or shown with",
    "  -WhatIf saves nothing, and a change whose state could not be saved is not made.",
    ".EXAMPLE",
    `  .\\${name} -WhatIf`,
    ".EXAMPLE",
    `  .\\${name} -Confirm:$false`,
    "#>",
    "# ConfirmImpact High: PowerShell asks before each change (unless -Confirm:$false, or",
    "# $ConfirmPreference is None); -WhatIf shows them all and changes nothing.",
    "[CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]",
    "param()",
    "",
    "Set-StrictMode -Version Latest",
    "$ErrorActionPreference = 'Stop'",
    ...(online
      ? [
          "if (-not (Get-Command Set-InboundConnector -ErrorAction SilentlyContinue)) {",
          "  throw 'Connect to Exchange Online first (Connect-ExchangeOnline): Set-InboundConnector was not found.'",
          "}",
        ]
      : [
          "if (-not (Get-Command Set-ReceiveConnector -ErrorAction SilentlyContinue)) {",
          "  throw 'Run this script in the Exchange Management Shell: Set-ReceiveConnector was not found.'",
          "}",
        ]),
    "",
  ];
  if (changes.length === 0) {
    lines.push(`Write-Host ${psQuote(online ? "Nothing to change in Exchange Online." : nothingToChange(report))}`);
  } else {
    lines.push(
      "# Rollback files are named with this run's time, and never overwritten.",
      "$stamp = Get-Date -Format 'yyyyMMdd-HHmmss'",
      "# The printed rollback commands quote the path as PowerShell reads it: each quote character doubled.",
      "function ConvertTo-PsLiteral([string] $Text) { \"'\" + ($Text -replace '[''\\u2018\\u2019\\u201a\\u201b]', '$0$0') + \"'\" }",
      "",
      ...changes.flat(),
    );
  }
  return `\ufeff${lines.join("\r\n").trimEnd()}\r\n`;
}

/** The "nothing to change" line, true to what was checked: no connector at all, none of them checked, or every checked one in sync. */
function nothingToChange(report: TenantCheck["report"]): string {
  const listed = report.evidence.inventory.targets.filter((t) => t.kind === "receive-connector");
  const checked = listed.filter((t) => t.checked);
  if (listed.length === 0) return "The inventory lists no receive connector, so none was checked; nothing to change.";
  if (checked.length === 0)
    return `No receive connector was checked: none of the ${listed.length} listed is an EOP connector (see report.md); nothing to change.`;
  const unchecked = listed.length - checked.length;
  return [
    checked.length === 1
      ? "The one checked receive connector already allows the EOP ranges"
      : `All ${checked.length} checked receive connectors already allow the EOP ranges`,
    unchecked === 0 ? "" : ` (${unchecked} not checked, see report.md)`,
    "; nothing to change.",
  ].join("");
}

/** One connector's range change: what it does as a comment, then its ShouldProcess branch. */
function connectorBlock(c: ConnectorChange, files: RollbackFiles): string[] {
  const parts = [
    c.add.length > 0 ? `add ${c.add.length} EOP range${c.add.length === 1 ? "" : "s"}` : "",
    c.remove.length > 0
      ? `remove ${c.remove.length} entr${c.remove.length === 1 ? "y" : "ies"} that ${c.remove.length === 1 ? "is" : "are"} no longer EOP`
      : "",
  ].filter(Boolean);
  return [
    `# ${psComment(c.name)} (${c.mode}): ${parts.join(", ")}.`,
    ...(c.held.length > 0 ? [`# Kept because they overlap a protected entry: ${c.held.map(psComment).join(", ")}`] : []),
    ...guarded({
      cmdlet: "Set-ReceiveConnector",
      identity: c.name,
      parameter: "RemoteIPRanges",
      saved: "[string[]]@($_.RemoteIPRanges | ForEach-Object { $_.ToString() })",
      action: `Set-ReceiveConnector -RemoteIPRanges: ${parts.join(", ")}`,
      file: files.next(c.name),
      change: [
        `Set-ReceiveConnector -Identity ${psQuote(c.name)} -RemoteIPRanges @{`,
        ...(c.add.length > 0 ? [`  Add = ${psArray(c.add)}`] : []),
        ...(c.remove.length > 0 ? [`  Remove = ${psArray(c.remove)}`] : []),
        "} -Confirm:$false",
      ],
    }),
  ];
}

function propertyBlock(p: PropertyChange, files: RollbackFiles): string[] {
  const cmdlet = psCmdlet(p.cmdlet);
  const parameter = psParameter(p.parameter);
  const shown = typeof p.value === "boolean" ? `$${p.value}` : Array.isArray(p.value) ? p.value.join(", ") : p.value;
  // Saved as the Set- cmdlet takes it back: a Boolean as it is, anything else as text (Exchange's types parse their own text).
  const value = `$_.${parameter}`;
  const saved =
    typeof p.value === "boolean"
      ? value
      : Array.isArray(p.value)
        ? `[string[]]@(${value} | ForEach-Object { $_.ToString() })`
        : `if ($null -ne ${value}) { ${value}.ToString() }`;
  return [
    `# ${psComment(p.identity)}: set ${parameter}.`,
    ...guarded({
      cmdlet,
      identity: p.identity,
      parameter,
      saved,
      action: `${cmdlet} -${parameter} ${shown}`,
      file: files.next(`${p.identity}-${parameter}`),
      change: [`${cmdlet}${identityParameter(cmdlet, psQuote(p.identity))} -${parameter} ${psValue(p.value)} -Confirm:$false`],
    }),
  ];
}

/**
 * The ShouldProcess branch of one change: save the state, print the rollback,
 * make the change. The Get- names the same identity as the Set-, and every
 * object it returns is saved, with its identity as text. The body is not
 * indented, so each Set- still starts its line: `Select-String '^Set-'` (and
 * the tests that count changes that way) still finds every change.
 */
function guarded(g: {
  cmdlet: string;
  identity: string;
  parameter: string;
  /** The PowerShell expression of the saved value, of `$_`. */
  saved: string;
  action: string;
  file: string;
  change: string[];
}): string[] {
  const getter = `Get-${g.cmdlet.slice("Set-".length)}`;
  const restore = ` | ForEach-Object { ${g.cmdlet}${identityParameter(g.cmdlet, "$_.Identity")} -${g.parameter} $_.${g.parameter} }`;
  const body = [
    `$rollback = Join-Path $PSScriptRoot (${psQuote(`rollback-${g.file}-`)} + $stamp + '.xml')`,
    `${getter}${identityParameter(g.cmdlet, psQuote(g.identity))} |`,
    `  Select-Object @{ Name = 'Identity'; Expression = { $_.Identity.ToString() } }, @{ Name = ${psQuote(g.parameter)}; Expression = { ${g.saved} ` +
      `} } |`,
    "  Export-Clixml -LiteralPath $rollback -NoClobber -Confirm:$false",
    `Write-Host (${psQuote(`Saved the current ${g.parameter} of ${g.identity} to `)} + $rollback + '. To roll back:')`,
    `Write-Host ('  Import-Clixml -LiteralPath ' + (ConvertTo-PsLiteral $rollback) + ${psQuote(restore)})`,
    ...g.change,
  ];
  return [`if ($PSCmdlet.ShouldProcess(${psQuote(g.identity)}, ${psQuote(g.action)})) {`, ...body, "}", ""];
}

/** The organisation's one hybrid configuration has no identity to name: its cmdlets take no -Identity. */
const WITHOUT_IDENTITY = new Set(["Set-HybridConfiguration"]);

function identityParameter(cmdlet: string, value: string): string {
  return WITHOUT_IDENTITY.has(cmdlet) ? "" : ` -Identity ${value}`;
}

interface RollbackFiles {
  /** A file name part for `name`, safe on every file system and unique in this script. */
  next(name: string): string;
}

function rollbackFiles(): RollbackFiles {
  const used = new Set<string>();
  return {
    next(name) {
      const base = safeFileName(name);
      let file = base;
      for (let i = 2; used.has(file.toLowerCase()); i++) file = `${base}-${i}`;
      used.add(file.toLowerCase());
      return file;
    },
  };
}

/**
 * A connector or object name as part of a file name: letters, digits, `.`, `-`
 * and `_` stay; every run of anything else (path separators, `:*?"<>|`,
 * wildcard brackets, quotes, spaces, `$`) becomes one `_`. At most 64
 * characters.
 *
 * @example safeFileName("EX01\\Inbound from Office 365") // "EX01_Inbound_from_Office_365"
 */
export function safeFileName(name: string): string {
  const safe = Array.from(name.normalize("NFC").replace(/[^\p{L}\p{N}._-]+/gu, "_"))
    .slice(0, 64)
    .join("");
  return /[\p{L}\p{N}]/u.test(safe) ? safe : "object";
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
  // The matching Get- saves the current value for the rollback.
  if (!name.startsWith("Set-")) throw new InputError(`${JSON.stringify(name)} is not a Set- cmdlet, so its current value cannot be saved first`);
  return name;
}

function psParameter(name: string): string {
  if (!/^[A-Za-z]+$/.test(name)) throw new InputError(`${JSON.stringify(name)} is not a parameter name`);
  return name;
}
