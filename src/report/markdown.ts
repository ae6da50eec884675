import type { Finding } from "../finding.js";
import { describeVersion } from "../feed/snapshot.js";
import type { CheckReport, TargetReport } from "./report.js";

/**
 * Text from outside as inert Markdown: no emphasis, links, HTML, code spans
 * or table cells can be opened by a connector name.
 *
 * @example mdText("EX01\\*Inbound*") // "EX01\\\\\\*Inbound\\*"
 */
export function mdText(text: string): string {
  return text.replace(/[\\`*_[\]<>|~#!]/g, "\\$&").replace(/&/g, "&amp;");
}

/**
 * A code span that holds any text, whatever backticks it contains. In a table
 * cell a pipe must be escaped even inside code (GFM), elsewhere it must not.
 */
export function mdCode(text: string, inTable = false): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  const pad = text.startsWith("`") || text.endsWith("`") || longest > 0 ? " " : "";
  return `${fence}${pad}${inTable ? text.replace(/\|/g, "\\|") : text}${pad}${fence}`;
}

const KIND = { "receive-connector": "Receive connector", allowlist: "Allowlist", feed: "Feed" } as const;

/** The Markdown report: the summary first, then each finding with its evidence. */
export function renderMarkdown(report: CheckReport): string {
  const [headline = "", ...rest] = report.summary;
  const out: string[] = [`# Mail flow drift report: ${mdText(report.tenant)}`, "", `**${mdText(headline)}**`, ""];
  for (const line of rest) out.push(`- ${mdText(line)}`);
  if (rest.length > 0) out.push("");
  out.push(
    "| | |",
    "|---|---|",
    `| Tenant | ${mdText(report.tenant)} |`,
    `| Feed | ${mdText(`${report.instance}, ${describeVersion(report.feed.version)}, EOP SMTP endpoint set ${report.feed.setIds.join(", ")}`)}; fetched ${report.feed.fetchedAt} from ${mdCode(report.feed.source, true)} |`,
    `| EOP SMTP ranges | ${report.feed.eopRanges.map((r) => mdCode(r, true)).join(" ")} |`,
    `| Run | ${mdCode(report.runId, true)} at ${report.generatedAt} |`,
    "",
  );
  if (report.findings.length > 0) {
    out.push("## What drifted and what it breaks", "");
    report.findings.forEach((f, i) => {
      for (const line of renderFinding(f, i + 1)) out.push(line);
    });
  }
  out.push("## Targets", "", "| Target | Kind | Mode | Entries | State | Add | Remove |", "|---|---|---|---|---|---|---|");
  for (const t of report.targets) out.push(targetRow(t));
  out.push("", "## Files", "");
  out.push(
    "- `remediation.ps1`: the receive connector changes. Read it, then run it in the Exchange Management Shell; it only shows the changes (-WhatIf) until you add `-Apply`.",
    "- `eop-allowlist.txt`: the EOP SMTP ranges, one per line, for firewall allowlists.",
    "- `report.json`: this report for machines.",
    "",
  );
  return out.join("\n");
}

/** Items a Markdown list shows before pointing to report.json. */
export const MARKDOWN_LIST_LIMIT = 500;

function renderFinding(f: Finding, n: number): string[] {
  const out = [`### ${n}. ${f.rule}: ${KIND[f.targetKind]} ${mdCode(f.target)}`, "", `Severity: ${f.severity}.`, "", mdText(f.summary), "", `What it breaks: ${mdText(f.impact)}`, ""];
  // A list can hold hundreds of thousands of ranges; the Markdown shows the first ones, report.json has them all.
  const list = (label: string, values: unknown) => {
    if (!Array.isArray(values) || values.length === 0) return;
    out.push(`${label}:`, "");
    for (const value of values.slice(0, MARKDOWN_LIST_LIMIT)) out.push(`- ${mdCode(String(value))}`);
    if (values.length > MARKDOWN_LIST_LIMIT) out.push(`- … and ${values.length - MARKDOWN_LIST_LIMIT} more in report.json`);
    out.push("");
  };
  list("Ranges", f.ranges);
  list("Add", f.evidence.add);
  list("Remove (entries as the target lists them)", f.evidence.remove);
  list("Kept because they overlap a protected entry", f.evidence.heldByProtected);
  return out;
}

function targetRow(t: TargetReport): string {
  const cells = [
    mdCode(t.name, true),
    KIND[t.kind],
    t.mode,
    String(t.entries),
    t.inSync ? "in sync" : "drift",
    t.addCount > 0 ? String(t.addCount) : "",
    t.removeCount > 0 ? String(t.removeCount) : "",
  ];
  return `| ${cells.join(" | ")} |`;
}
