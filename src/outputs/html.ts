import type { CheckReport, FeedEvidence, HybridEvidence, Output, TargetReport, TransitionReport } from "../core/check.js";
import { type Change, type Finding, subjectKindName } from "../core/finding.js";
import { describeVersion } from "../feed/snapshot.js";
import { html, Markup } from "./html-markup.js";
import { CSS } from "./html-style.js";
import { hybridEvidenceText } from "./hybrid-evidence.js";

const TARGET_COLUMNS: readonly [string, boolean][] = [
  ["Target", false],
  ["Kind", false],
  ["Mode", false],
  ["Entries", true],
  ["Checked", false],
  ["State", false],
  ["Add", true],
  ["Remove", true],
  ["Kept", true],
];
function columnHeading([name, numeric]: readonly [string, boolean]): Markup {
  return numeric ? html`<th scope="col" class="num">${name}</th>` : html`<th scope="col">${name}</th>`;
}

const TARGETS_NOTE =
  "Add: CIDRs to add. Remove: entries to remove, as the target lists them. Kept: stale entries kept because they overlap a protected entry.";

/** Items an HTML list shows before pointing to report.json. */
export const HTML_LIST_LIMIT = 500;

/**
 * What became of a finding since the tenant's last check, as the report
 * carries it (`transitions`): id, kind and since always; the rest when the
 * report has it.
 */
export type FindingState = Pick<TransitionReport, "id" | "kind" | "since"> &
  Partial<Pick<TransitionReport, "rule" | "subject" | "summary" | "snoozedUntil">>;

const STATE_KINDS: readonly string[] = ["new", "changed", "unchanged", "resolved"];

/**
 * The report's finding states, read defensively: a report without
 * `transitions` has none, entries without a string id and since and a known
 * kind are left out, and optional fields of the wrong shape are dropped.
 */
export function findingStates(report: CheckReport): FindingState[] {
  const raw: unknown = "transitions" in report ? report.transitions : undefined;
  if (!Array.isArray(raw)) return [];
  const states: FindingState[] = [];
  for (const t of raw as unknown[]) {
    if (typeof t !== "object" || t === null) continue;
    const { id, kind, since, rule, subject, summary, snoozedUntil } = t as Record<string, unknown>;
    if (typeof id !== "string" || typeof since !== "string" || typeof kind !== "string" || !STATE_KINDS.includes(kind)) continue;
    const state: FindingState = { id, kind: kind as FindingState["kind"], since };
    if (typeof rule === "string") state.rule = rule;
    if (typeof summary === "string") state.summary = summary;
    if (typeof snoozedUntil === "string") state.snoozedUntil = snoozedUntil;
    if (typeof subject === "object" && subject !== null) {
      const { kind: subjectKind, name } = subject as Record<string, unknown>;
      if (typeof subjectKind === "string" && typeof name === "string") state.subject = { kind: subjectKind, name };
    }
    states.push(state);
  }
  return states;
}

/**
 * report.html: the report as one self-contained page (inline CSS, no script,
 * nothing fetched), for a browser, a mail attachment or a phone: the summary
 * first, the feed and the run, each finding with its evidence and proposed
 * changes, what was resolved, the targets, the files.
 */
export const htmlReport: Output = {
  file: "report.html",
  description: "the report as a page for a browser or a mail attachment",
  render({ report }) {
    const { feed } = report.evidence.eop;
    const [headline = "", ...rest] = report.summary;
    const states = findingStates(report);
    const stateOf = new Map(states.filter((s) => s.kind !== "resolved").map((s) => [s.id, s]));
    const resolved = states.filter((s) => s.kind === "resolved");
    const title = `Mail flow drift report: ${report.tenant}`;
    const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="color-scheme" content="light">
<title>${title}</title>
<style>${new Markup(CSS)}</style>
</head>
<body>
<main>
<header>
<p class="status status-${report.status === "drift" ? "drift" : "in-sync"}">${report.status === "drift" ? "Drift" : "In sync"}</p>
<h1>${title}</h1>
</header>
<section id="summary" aria-labelledby="summary-h">
<h2 id="summary-h">Summary</h2>
<p class="headline">${headline}</p>
${rest.length > 0 && html`<ul class="summary">${rest.map((line) => html`<li>${line}</li>`)}</ul>`}
</section>
${feedSection(report, feed)}
${
  report.findings.length > 0 &&
  html`<section id="findings" aria-labelledby="findings-h">
<h2 id="findings-h">What drifted and what it breaks</h2>
${report.findings.map((f, i) => renderFinding(f, i + 1, stateOf.get(f.id)))}
</section>`
}
${
  resolved.length > 0 &&
  html`<section id="resolved" aria-labelledby="resolved-h">
<h2 id="resolved-h">Resolved since the last check</h2>
<ul class="resolved">${resolved.map(resolvedItem)}</ul>
</section>`
}
${report.evidence.hybrid && hybridSection(report.evidence.hybrid)}
<section id="targets" aria-labelledby="targets-h">
<h2 id="targets-h">Targets</h2>
<div class="table-wrap" role="region" aria-labelledby="targets-h" tabindex="0">
<table>
<thead><tr>${TARGET_COLUMNS.map(columnHeading)}</tr></thead>
<tbody>
${report.evidence.inventory.targets.map(targetRow)}
</tbody>
</table>
</div>
<p class="note">${TARGETS_NOTE}</p>
</section>
<section id="files" aria-labelledby="files-h">
<h2 id="files-h">Files</h2>
<ul class="files">${report.artifacts
      .filter((a) => a.file !== "report.html")
      .map((a) => html`<li><code>${a.file}</code>: ${a.description}.</li>`)}</ul>
</section>
</main>
</body>
</html>
`;
    return page.text;
  },
};

/**
 * Where the state document's sides came from, whether the organisation is
 * hybrid and why, and the rules the document could not feed, each reason
 * once: absent parts are said, never taken for "nothing found".
 */
function hybridSection(h: HybridEvidence): Markup {
  const text = hybridEvidenceText(h);
  return html`<section id="state-document" aria-labelledby="state-document-h">
<h2 id="state-document-h">State document</h2>
<dl class="facts">
<dt>Collected</dt><dd>${time(h.collectedAt)}; on-premises ${h.onPremises ? "included" : "not included"}</dd>
<dt>Exchange Online</dt><dd>${text.exchangeOnline}</dd>
<dt>Hybrid deployment</dt><dd>${text.deployment}</dd>
</dl>
${
  h.notChecked.length > 0 &&
  html`<h3 id="not-checked-h">Not checked</h3>
<ul class="not-checked" aria-labelledby="not-checked-h">${h.notChecked.map((n) => html`<li>${n.reason}: ${n.rules.map((r, i) => html`${i > 0 && ", "}<code>${r}</code>`)}</li>`)}</ul>`
}
</section>`;
}

function feedSection(report: CheckReport, feed: FeedEvidence): Markup {
  const staleness = feed.staleness;
  const refusedNote = feed.status === "refused" && " (the newest feed was refused; this is the last good one)";
  const why = staleness && (staleness.outcome === "throttled" ? "the service asked to wait" : "the sync failed");
  return html`<section id="feed" aria-labelledby="feed-h">
<h2 id="feed-h">Feed in force and run</h2>
<dl class="facts">
<dt>Tenant</dt><dd>${report.tenant}</dd>
<dt>Feed</dt><dd>${report.instance}, ${describeVersion(feed.version)}, EOP SMTP endpoint set ${feed.setIds.join(", ")}${refusedNote}</dd>
<dt>Fetched</dt><dd>${time(feed.fetchedAt)} from <code>${feed.source}</code></dd>
${feed.refused && html`<dt>Refused</dt><dd>${describeVersion(feed.refused.version)} at ${time(feed.refused.at)}: ${feed.refused.reason}</dd>`}
${staleness && html`<dt>Not up to date</dt><dd>${why} (${staleness.error}); last confirmed current ${time(staleness.confirmedAt)}</dd>`}
<dt>EOP SMTP ranges</dt><dd>${rangeList(feed.eopRanges)}</dd>
<dt>Run</dt><dd><code>${report.runId}</code> at ${time(report.generatedAt)}</dd>
</dl>
</section>`;
}

const SEVERITY_CLASS: Readonly<Record<string, string>> = { error: "sev-error", warning: "sev-warning", info: "sev-info" };
const SEVERITY_NAME: Readonly<Record<string, string>> = { error: "Error", warning: "Warning", info: "Info" };

function renderFinding(f: Finding, n: number, state: FindingState | undefined): Markup {
  const ranges = (f.changes ?? []).filter((c) => c.kind === "ranges");
  const properties = (f.changes ?? []).filter((c) => c.kind === "property");
  const subject = html`${subjectKindName(f.subject.kind)} <code>${f.subject.name}</code>`;
  return html`<article class="finding ${SEVERITY_CLASS[f.severity] ?? "sev-other"}" aria-labelledby="finding-${n}-h">
<h3 id="finding-${n}-h"><span class="n">${n}.</span> <span class="rule">${f.rule}</span>: ${subject}</h3>
<p class="badges"><span class="badge severity">${SEVERITY_NAME[f.severity] ?? f.severity}</span>${state && html` ${stateBadge(state)}`}</p>
<p class="finding-summary">${f.summary}</p>
<p class="impact"><strong>What it breaks:</strong> ${f.impact}</p>
${listBlock("Ranges", f.ranges)}
${(ranges.length > 0 || properties.length > 0) && html`<h4>Proposed changes</h4>`}
${ranges.map(
  (c) => html`<div class="change">
<p class="change-target">${subjectKindName(c.target.kind)} <code>${c.target.name}</code></p>
${c.add.length === 0 && c.remove.length === 0 && c.held.length === 0 && html`<p>No change.</p>`}
${listBlock("Add", c.add)}
${listBlock("Remove (entries as the target lists them)", c.remove)}
${listBlock("Kept because they overlap a protected entry", c.held)}
</div>`,
)}
${properties.length > 0 && html`<ul class="properties">${properties.map(propertyItem)}</ul>`}
</article>`;
}

function stateBadge(state: FindingState): Markup {
  const snoozed = state.snoozedUntil && html` <span class="badge state state-snoozed">Snoozed until ${time(state.snoozedUntil)}</span>`;
  switch (state.kind) {
    case "new":
      return html`<span class="badge state state-new">New</span>${snoozed}`;
    case "changed":
      return html`<span class="badge state state-changed">Changed</span> <span class="since">open since ${time(state.since)}</span>${snoozed}`;
    default:
      return html`<span class="badge state state-unchanged">Unchanged</span> <span class="since">open since ${time(state.since)}</span>${snoozed}`;
  }
}

function propertyItem(c: Extract<Change, { kind: "property" }>): Markup {
  const command = html`<code>${c.cmdlet} -Identity ${c.identity} -${c.parameter}</code>`;
  return html`<li>Change (${c.side}): ${command} to <code>${JSON.stringify(c.value)}</code></li>`;
}

/**
 * A resolved finding: it is gone from this report's findings, so it is shown
 * by what its state says (rule, subject, summary) or, without those, by its
 * id (rule, subject kind, subject name).
 */
function resolvedItem(state: FindingState): Markup {
  const [idRule, idKind, ...idName] = state.id.split(":");
  const rule = state.rule ?? (idName.length > 0 ? idRule : undefined);
  const subject = state.subject ?? (idName.length > 0 && idKind ? { kind: idKind, name: idName.join(":") } : undefined);
  const what =
    rule !== undefined && subject
      ? html`<span class="rule">${rule}</span>: ${subjectKindName(subject.kind)} <code>${subject.name}</code>`
      : html`<code>${state.id}</code>`;
  const was = state.summary && html`<br><span class="was">It was: ${state.summary}</span>`;
  return html`<li>${what} <span class="since">(open since ${time(state.since)})</span>${was}</li>`;
}

/** Lists longer than this are folded (a `<details>`, no script): the first few show, the rest one click away. */
export const HTML_OPEN_LIST_LIMIT = 20;
const PREVIEW = 3;

function listBlock(label: string, values: readonly string[] | undefined): Markup | undefined {
  if (!values || values.length === 0) return undefined;
  if (values.length <= HTML_OPEN_LIST_LIMIT)
    return html`<div class="list"><p class="list-label">${label} (${values.length}):</p>${rangeList(values)}</div>`;
  const preview = values.slice(0, PREVIEW).map((v, i) => html`${i > 0 && ", "}<code>${v}</code>`);
  const heading = html`<span class="list-label">${label} (${values.length}):</span>`;
  return html`<details class="list"><summary>${heading} ${preview} …</summary>${rangeList(values)}</details>`;
}

/** A list can hold hundreds of thousands of ranges; the page shows the first ones, report.json has them all. */
function rangeList(values: readonly string[]): Markup {
  const more = values.length - HTML_LIST_LIMIT;
  return html`<ul class="ranges">${values.slice(0, HTML_LIST_LIMIT).map((v) => html`<li><code>${v}</code></li>`)}${
    more > 0 && html`<li class="more">… and ${more} more in report.json</li>`
  }</ul>`;
}

function targetRow(t: TargetReport): Markup {
  const state = !t.checked ? html`<span class="muted">not checked</span>` : t.inSync ? html`in sync` : html`<strong class="drift">drift</strong>`;
  const count = (n: number) => html`<td class="num">${n > 0 && n}</td>`;
  return html`<tr>
<td class="name"><code>${t.name}</code></td><td>${subjectKindName(t.kind)}</td><td>${t.mode}</td><td class="num">${t.entries}</td>
<td class="reason">${t.checked ? "yes" : "no"}: ${t.reason}</td><td>${state}</td>
${count(t.addCount)}${count(t.removeCount)}${count(t.heldByProtected.length)}
</tr>`;
}

/** An ISO time as a `<time>`, shown in UTC to the second; anything else as the text it is. */
function time(iso: string): Markup {
  const ms = Date.parse(iso);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(iso) || Number.isNaN(ms)) return html`${iso}`;
  return html`<time datetime="${iso}">${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC</time>`;
}
