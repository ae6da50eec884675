import type { CheckReport, Output, TargetReport } from "../core/check.js";
import { type Finding, subjectKindName } from "../core/finding.js";
import { describeVersion } from "../feed/snapshot.js";
import { printable } from "../validation.js";
import { hybridEvidenceText } from "./hybrid-evidence.js";

/**
 * Text from outside as inert Markdown: no emphasis, links, HTML, code spans
 * or table cells can be opened by a connector name.
 *
 * @example mdText("EX01\\*Inbound*") // "EX01\\\\\\*Inbound\\*"
 */
export function mdText(text: string): string {
  // Line breaks and controls are shown as escapes: no text from outside can open a paragraph or drive a terminal.
  return printable(text)
    .replace(/[\\`*_[\]<>|~#!]/g, "\\$&")
    .replace(/&/g, "&amp;");
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

/** Where the state document's sides came from, when the check had one. */
function hybridRows(h: CheckReport["evidence"]["hybrid"]): string[] {
  if (!h) return [];
  const text = hybridEvidenceText(h);
  return [
    `| State document | collected ${h.collectedAt}; on-premises ${h.onPremises ? "included" : "not included"} |`,
    `| Exchange Online | ${mdText(text.exchangeOnline)} |`,
    `| Hybrid deployment | ${mdText(text.deployment)} |`,
  ];
}

/** What DNS and the probes said, when the check looked from the outside. */
function outsideRows(outside: CheckReport["evidence"]["outside"]): string[] {
  if (!outside) return [];
  const rows: string[] = [];
  const { dns, probes } = outside;
  if (dns) {
    const hosts = dns.smartHosts.map((h) => {
      const where = h.hosts.map(
        (x) => `${x.preference !== undefined ? `${x.preference} ` : ""}${x.name} (${x.addresses.join(", ") || "no address"})`,
      );
      const how = h.via === "mx" ? `MX ${where.join(", ")}` : h.via === "address" ? where.join(", ") : "an address";
      return `${mdCode(h.name, true)}: ${mdText(h.status === "resolved" ? how : `${h.status}: ${h.error ?? ""}`)}`;
    });
    rows.push(`| Smart hosts in DNS | ${hosts.join("; ") || "none named"} (resolvers: ${mdText(dns.servers)}) |`);
    if (dns.blocklists.length > 0) {
      const of = (status: string) => dns.blocklists.filter((l) => l.status === status);
      const listed = of("listed").map((l) => `${l.address} listed on ${l.zone}`);
      const unknown = of("unknown").map((l) => `${l.address} unknown on ${l.zone} (${l.error ?? "no answer"})`);
      const clean = of("not-listed").length;
      rows.push(`| Blocklists | ${mdText([...listed, ...unknown, `${clean} lookup${clean === 1 ? "" : "s"} not listed`].join("; "))} |`);
    }
  }
  const seen = probes.results.map(
    (p) => `${p.host}:${p.port} ${p.source === "check" ? "probed by this check" : "from the state document"}: ${p.error ?? p.tlsVersion ?? "no TLS"}`,
  );
  const unavailable = probes.unavailable.map((u) => `${u.host}:${u.port} probe unavailable from here (${u.error})`);
  const off = probes.probedHere ? [] : ["port 25 not probed by this check (MAILFLOW_GUARD_PROBE_SMART_HOSTS, or check --probe)"];
  rows.push(`| STARTTLS probes | ${mdText([...seen, ...unavailable, ...off].join("; ") || "none")} |`);
  return rows;
}

/** Items a Markdown list shows before pointing to report.json. */
export const MARKDOWN_LIST_LIMIT = 500;

/** report.md: the summary first, then each finding with its evidence and proposed changes, then the targets. */
export const markdownReport: Output = {
  file: "report.md",
  description: "the report: what drifted, what it breaks, the evidence",
  render({ report }) {
    const { feed } = report.evidence.eop;
    const [headline = "", ...rest] = report.summary;
    const out: string[] = [`# Mail flow drift report: ${mdText(report.tenant)}`, "", `**${mdText(headline)}**`, ""];
    for (const line of rest) out.push(`- ${mdText(line)}`);
    if (rest.length > 0) out.push("");
    out.push(
      "| | |",
      "|---|---|",
      `| Tenant | ${mdText(report.tenant)} |`,
      `| Feed | ${mdText(`${report.instance}, ${describeVersion(feed.version)}, EOP SMTP endpoint set ${feed.setIds.join(", ")}`)}; fetched ` +
        `${feed.fetchedAt} from ${mdCode(feed.source, true)} |`,
      `| EOP SMTP ranges | ${feed.eopRanges.map((r) => mdCode(r, true)).join(" ")} |`,
      `| Run | ${mdCode(report.runId, true)} at ${report.generatedAt} |`,
      ...hybridRows(report.evidence.hybrid),
      ...outsideRows(report.evidence.outside),
      "",
    );
    if (report.findings.length > 0) {
      out.push("## What drifted and what it breaks", "");
      report.findings.forEach((f, i) => {
        for (const line of renderFinding(f, i + 1)) out.push(line);
      });
    }
    const notChecked = report.evidence.hybrid?.notChecked ?? [];
    if (notChecked.length > 0) {
      out.push("## Not checked", "");
      for (const n of notChecked) out.push(`- ${mdText(n.reason)}: ${n.rules.map((r) => mdCode(r)).join(", ")}`);
      out.push("");
    }
    out.push("## Targets", "", "| Target | Kind | Mode | Entries | State | Add | Remove |", "|---|---|---|---|---|---|---|");
    for (const t of report.evidence.inventory.targets) out.push(targetRow(t));
    out.push("", "## Files", "");
    for (const a of report.artifacts) if (a.file !== "report.md") out.push(`- ${mdCode(a.file)}: ${mdText(a.description)}.`);
    out.push("");
    return out.join("\n");
  },
};

function renderFinding(f: Finding, n: number): string[] {
  const out = [
    `### ${n}. ${mdText(f.rule)}: ${mdText(subjectKindName(f.subject.kind))} ${mdCode(f.subject.name)}`,
    "",
    `Severity: ${f.severity}.`,
    "",
    mdText(f.summary),
    "",
    `What it breaks: ${mdText(f.impact)}`,
    "",
  ];
  // A list can hold hundreds of thousands of ranges; the Markdown shows the first ones, report.json has them all.
  const list = (label: string, values: readonly unknown[] | undefined) => {
    if (!values || values.length === 0) return;
    out.push(`${label}:`, "");
    for (const value of values.slice(0, MARKDOWN_LIST_LIMIT)) out.push(`- ${mdCode(String(value))}`);
    if (values.length > MARKDOWN_LIST_LIMIT) out.push(`- … and ${values.length - MARKDOWN_LIST_LIMIT} more in report.json`);
    out.push("");
  };
  list("Ranges", f.ranges);
  for (const change of f.changes ?? []) {
    if (change.kind === "ranges") {
      list("Add", change.add);
      list("Remove (entries as the target lists them)", change.remove);
      list("Kept because they overlap a protected entry", change.held);
    } else {
      out.push(
        `Change (${change.side}): ${mdCode(`${change.cmdlet} -Identity ${change.identity} -${change.parameter}`)} to ` +
          `${mdCode(JSON.stringify(change.value))}`,
        "",
      );
    }
  }
  return out;
}

function targetRow(t: TargetReport): string {
  const cells = [
    mdCode(t.name, true),
    mdText(subjectKindName(t.kind)),
    mdText(t.mode),
    String(t.entries),
    t.checked ? `${t.inSync ? "in sync" : "drift"} (${mdText(t.reason)})` : `not checked: ${mdText(t.reason)}`,
    t.addCount > 0 ? String(t.addCount) : "",
    t.removeCount > 0 ? String(t.removeCount) : "",
  ];
  return `| ${cells.join(" | ")} |`;
}
