import { subjectKindName } from "../core/finding.js";
import { escapeHtml } from "../outputs/html-markup.js";
import { printable } from "../validation.js";
import { ALERT_TITLE, type Alert, alertKindOf, type HeartbeatSummary, safeLinks, type Transition, type TransitionKind } from "./alert.js";

/** Ranges a mail lists per finding before saying how many more there are. */
export const MAIL_RANGE_LIMIT = 20;

/** The longest subject written; a long tenant name is shortened to fit. */
export const MAIL_SUBJECT_LIMIT = 255;

/** Counted and listed in this order. */
const KINDS: readonly TransitionKind[] = ["new", "changed", "unchanged", "resolved"];

/** How the subject counts each kind; `unchanged` alerts only once its snooze ends, or when it was never told. */
const COUNTED: Record<TransitionKind, string> = { new: "new", changed: "changed", unchanged: "still open", resolved: "resolved" };
const HEADING: Record<TransitionKind, string> = { new: "New", changed: "Changed", unchanged: "Still open", resolved: "Resolved" };

const SEVERITY_COLOUR: Record<string, string> = { error: "#c50f1f", warning: "#b26b00", info: "#616161" };
const RESOLVED_COLOUR = "#107c10";

// The same set names refuse at ingest (validation.ts): control, bidirectional and zero-width characters and line
// separators. A subject is one header line; any of them in it is dropped, never sent.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point.
const UNSAFE_IN_SUBJECT = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]+/g;

/** What becomes of the remediation script: attached, too large to attach, or there is none. */
export type ScriptAttachment = "attached" | "too-large" | "none";

/** The transitions an alert tells about, in the order the mail lists them. */
export function alertingTransitions(alert: Alert): Transition[] {
  return KINDS.flatMap((kind) => alert.transitions.filter((t) => t.alert && t.kind === kind));
}

/**
 * The subject: plain text from data on one line, e.g.
 * `mailflow-guard: contoso.onmicrosoft.com: 2 new, 1 resolved`. Control,
 * bidirectional and zero-width characters are dropped, so nothing in a tenant
 * name can add a header or make the subject read as another.
 */
export function mailSubject(alert: Alert): string {
  const told = alertingTransitions(alert);
  const counts = KINDS.map((kind) => [kind, told.filter((t) => t.kind === kind).length] as const)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n} ${COUNTED[kind]}`)
    .join(", ");
  const kind = alertKindOf(alert);
  const said =
    kind === "heartbeat"
      ? `weekly heartbeat, ${alert.heartbeat?.allRan ? "all checks ran" : "checks missed"}`
      : kind === "drift"
        ? counts || "nothing new"
        : `${kind === "digest" ? "digest" : ALERT_TITLE[kind].toLowerCase()}${counts ? `, ${counts}` : ""}`;
  const tail = `: ${said}`;
  const room = MAIL_SUBJECT_LIMIT - "mailflow-guard: ".length - tail.length;
  let tenant = plain(alert.tenant) || "(no tenant)";
  if (tenant.length > room) tenant = `${tenant.slice(0, Math.max(1, room - 1))}…`;
  return `mailflow-guard: ${tenant}${tail}`;
}

/**
 * The HTML body: the headline, each transition worth telling (what became of
 * it, severity, summary, impact, the first ranges), the links when they are
 * https, and a word on the attached script. Every value is escaped; unsafe
 * characters show as `\uXXXX`, as they do in error messages.
 */
export function mailHtml(alert: Alert, script: ScriptAttachment = "none"): string {
  const told = alertingTransitions(alert);
  const out: string[] = [
    "<!DOCTYPE html>",
    '<html><head><meta charset="utf-8"></head>',
    `<body style="font-family:'Segoe UI',Helvetica,Arial,sans-serif;font-size:14px;line-height:1.4;color:#242424">`,
    `<h2 style="margin:0 0 8px">${ALERT_TITLE[alertKindOf(alert)]}: ${text(alert.tenant)}</h2>`,
    `<p style="font-size:16px;margin:0 0 8px"><strong>${text(alert.headline)}</strong></p>`,
    `<p style="color:#616161;margin:0 0 12px">${alert.instance ? `${text(alert.instance)} feed · ` : ""}${runLine(alert)} · ${text(alert.at)}</p>`,
  ];
  if (alert.heartbeat) out.push(...heartbeatHtml(alert.heartbeat));
  const links = httpsLinks(alert);
  if (links.length > 0) out.push(`<p>${links.map(([label, href]) => `<a href="${attr(href)}">${text(label)}</a>`).join(" · ")}</p>`);
  if (told.length === 0 && alertKindOf(alert) === "drift") out.push("<p>Nothing new since the last check.</p>");
  for (const t of told) out.push(...transitionHtml(t));
  if (script === "attached") {
    out.push(
      "<p>The proposed fix is attached as <code>remediation.ps1</code>: review it, then run it in the Exchange Management Shell " +
        "(<code>-WhatIf</code> shows every change first).</p>",
    );
  } else if (script === "too-large") {
    out.push("<p>The proposed fix, <code>remediation.ps1</code>, is too large to attach; download it from the run.</p>");
  }
  const quiet = alert.transitions.length - told.length;
  out.push(
    `<p style="color:#616161;font-size:12px;margin-top:16px">Sent by mailflow-guard.` +
      (quiet > 0 ? ` ${quiet} other finding${quiet === 1 ? "" : "s"} (unchanged or snoozed) not repeated here.` : "") +
      "</p>",
    "</body></html>",
  );
  return out.join("\n");
}

function runLine(alert: Alert): string {
  if (!alert.runId) return "no completed run";
  return `${alertKindOf(alert) === "drift" ? "run" : "last run"} <code>${text(alert.runId)}</code>`;
}

function heartbeatHtml(h: HeartbeatSummary): string[] {
  const rows: [string, string][] = [
    ["Week", `${h.from} to ${h.to}`],
    ["Checks completed", String(h.completed)],
    ["Last completed", h.lastCompleted ?? "none"],
    ["Longest gap", `${h.longestGap.hours} h, ${h.longestGap.from} to ${h.longestGap.to} (limit ${h.limitHours} h)`],
    ["Open findings", `${h.open}${h.snoozed > 0 ? ` (${h.snoozed} snoozed)` : ""}`],
  ];
  return [
    '<table style="border-collapse:collapse;margin:0 0 12px">',
    ...rows.map(([k, v]) => `<tr><th style="text-align:left;padding:2px 12px 2px 0">${text(k)}</th><td>${text(v)}</td></tr>`),
    "</table>",
  ];
}

function transitionHtml(t: Transition): string[] {
  const f = t.finding;
  const colour = t.kind === "resolved" ? RESOLVED_COLOUR : (SEVERITY_COLOUR[f.severity] ?? SEVERITY_COLOUR.info);
  const out = [
    `<div style="border-left:4px solid ${colour};padding:2px 12px;margin:12px 0">`,
    `<h3 style="margin:4px 0">${HEADING[t.kind]} · ${text(f.severity)} · ${text(f.rule)}: ${text(subjectKindName(f.subject.kind))} ` +
      `<code>${text(f.subject.name)}</code></h3>`,
    `<p style="margin:4px 0">${text(f.summary)}</p>`,
    `<p style="margin:4px 0"><strong>${t.kind === "resolved" ? "What it broke" : "What it breaks"}:</strong> ${text(f.impact)}</p>`,
  ];
  const shown = f.ranges.slice(0, MAIL_RANGE_LIMIT);
  if (shown.length > 0) {
    out.push('<ul style="margin:4px 0">');
    for (const range of shown) out.push(`<li><code>${text(range)}</code></li>`);
    const more = Math.max(f.rangeCount, f.ranges.length) - shown.length;
    if (more > 0) out.push(`<li>and ${more} more (report.json has them all)</li>`);
    out.push("</ul>");
  }
  out.push(`<p style="color:#616161;margin:4px 0">${t.kind === "resolved" ? "Was open" : "Open"} since ${text(t.since)}</p>`, "</div>");
  return out;
}

const LINK_LABELS = { run: "The run", report: "The report", script: "The remediation script" } as const;

/** The alert's safe links, labelled. */
function httpsLinks(alert: Alert): [string, string][] {
  return safeLinks(alert).map(({ key, url }) => [LINK_LABELS[key], url]);
}

/** A value for element content: unsafe characters made visible, then escaped. */
function text(value: string): string {
  return escapeHtml(printable(value));
}

/** An URL for a double-quoted attribute; `URL.href` has already percent-encoded spaces and quotes. */
function attr(href: string): string {
  return escapeHtml(href);
}

/** One plain line: unsafe characters dropped, runs of white space made one space. */
function plain(value: string): string {
  return value.replace(UNSAFE_IN_SUBJECT, " ").replace(/\s+/g, " ").trim();
}
