import { type Severity, subjectKindName } from "../core/finding.js";
import { InputError } from "../errors.js";
import { ALERT_TITLE, type Alert, alertKindOf, type HeartbeatSummary, safeLinks, type Transition, type TransitionKind } from "./alert.js";

/**
 * The Teams message of an alert: one Adaptive Card 1.5, as a Power Automate
 * Workflows webhook takes it. Pure: the card is built from the alert alone,
 * so nothing else (a webhook URL, a key) can reach it.
 */

export const ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive";
/** Teams refuses a message above about 28 KB; measured as UTF-8 bytes of the JSON posted. */
export const TEAMS_MAX_BYTES = 28_000;
/** Findings a summarised card still shows in full, at most. */
const SUMMARY_FINDINGS = 5;
/** Ranges each finding of a summarised card shows. */
const SUMMARY_RANGES = 10;
/** Characters of each outside text (tenant, headline, summary…) a summarised card keeps, so that it always fits. */
const SUMMARY_TEXT_CHARS = 300;

export type ContainerStyle = "default" | "emphasis" | "good" | "attention" | "warning" | "accent";
type TextColor = "Default" | "Good" | "Attention" | "Warning" | "Accent";

export interface TextBlock {
  type: "TextBlock";
  text: string;
  wrap: true;
  weight?: "Bolder";
  size?: "Medium" | "Large";
  color?: TextColor;
  isSubtle?: boolean;
  spacing?: "None" | "Small" | "Medium";
}
export interface FactSet {
  type: "FactSet";
  facts: { title: string; value: string }[];
}
export interface Column {
  type: "Column";
  width: "auto" | "stretch";
  items: CardElement[];
}
export interface ColumnSet {
  type: "ColumnSet";
  columns: Column[];
}
export interface Container {
  type: "Container";
  style?: ContainerStyle;
  separator?: boolean;
  spacing?: "Medium";
  items: CardElement[];
}
export type CardElement = TextBlock | FactSet | ColumnSet | Container;
export interface OpenUrlAction {
  type: "Action.OpenUrl";
  title: string;
  url: string;
}
export interface AdaptiveCard {
  type: "AdaptiveCard";
  $schema: "http://adaptivecards.io/schemas/adaptive-card.json";
  version: "1.5";
  msteams: { width: "Full" };
  body: CardElement[];
  actions?: OpenUrlAction[];
}
/** The body a Workflows webhook ("When a Teams webhook request is received") takes. */
export interface TeamsMessage {
  type: "message";
  attachments: [{ contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE; contentUrl: null; content: AdaptiveCard }];
}

const KIND_LABEL: Record<TransitionKind, string> = { new: "New", changed: "Changed", unchanged: "Still open", resolved: "Resolved" };
/** Counted and listed in this order. */
const KINDS: readonly TransitionKind[] = ["new", "changed", "unchanged", "resolved"];
const SEVERITY_STYLE: Record<Severity, ContainerStyle> = { error: "attention", warning: "warning", info: "emphasis" };
const SEVERITY_COLOR: Record<Severity, TextColor> = { error: "Attention", warning: "Warning", info: "Accent" };
const LINKS = { run: "Open the run", report: "Open the report", script: "Open the remediation script" } as const;

/**
 * The Workflows webhook payload of an alert: the tenant, each new, changed
 * and resolved finding with its severity, what drifted, what it breaks and
 * its ranges, and buttons to the run, the report and the script when the
 * alert has https links. Above `maxBytes` (default 28,000, UTF-8 bytes of the
 * JSON) the card is summarised: counts per kind and rule, the first findings,
 * and the links. Every text from outside goes through `cardText`.
 *
 * @example
 * const body = JSON.stringify(teamsMessage(alert)); // ≤ 28,000 bytes
 */
export function teamsMessage(alert: Alert, options: { maxBytes?: number } = {}): TeamsMessage {
  const maxBytes = options.maxBytes ?? TEAMS_MAX_BYTES;
  // An unchanged finding alerts when its snooze ended or it was never told, and in a digest.
  const told = alert.transitions.filter((t) => t.alert);
  const actions = linkActions(alert.links);
  const full = message(card([...header(alert, told, Infinity), ...told.map((t) => findingContainer(t, Infinity, Infinity))], actions));
  if (byteSize(full) <= maxBytes) return full;
  // Too big for Teams: the counts, as many of the first findings as fit, and where the rest is.
  for (let shown = Math.min(SUMMARY_FINDINGS, told.length); shown >= 0; shown--) {
    const body = [
      ...header(alert, told, SUMMARY_TEXT_CHARS),
      summaryNote(alert, told.length, shown, actions.length > 0),
      countFacts(told),
      ...told.slice(0, shown).map((t) => findingContainer(t, SUMMARY_RANGES, SUMMARY_TEXT_CHARS)),
    ];
    const summarised = message(card(body, actions));
    if (byteSize(summarised) <= maxBytes) return summarised;
  }
  throw new InputError(`the smallest card of alert ${clip(alert.id, 100)} is larger than ${maxBytes} bytes`, { source: "the Teams card" });
}

/**
 * Text from outside as inert Adaptive Card Markdown, on one line. Teams
 * renders a subset (bold, italic, lists, links) and its hosts' parsers differ:
 * CommonMark ones honour backslash escapes, the older native one starts a link
 * at any `[` that is followed by `](`, whatever the backslashes. So each
 * emphasis, code, link, autolink, mention and strikethrough character is
 * escaped, the `(` after a `]` too (no parser then sees `](`), the second `{`
 * of `{{` (no `{{DATE(…)}}` function), the `:` of `://` and the `&` of an
 * entity; a backslash only where it would escape what follows, so
 * `EX01\Inbound` keeps its one backslash in every host. Line breaks become
 * spaces, so only the start can open a block (list, heading), and it is
 * escaped as well.
 *
 * @example cardText("[x](https://evil)") // "\\[x\\]\\(https\\://evil)"
 */
export function cardText(text: string): string {
  const flat = text.replace(/[\p{Cc}\u2028\u2029]+/gu, " ").trim();
  let out = "";
  for (let i = 0; i < flat.length; i++) {
    const c = flat.charAt(i);
    const prev = flat.charAt(i - 1);
    if (c === "\\") out += isAsciiPunctuation(flat.charAt(i + 1)) ? "\\\\" : "\\";
    else if ("*_`[]<>~".includes(c)) out += `\\${c}`;
    else if ((c === "(" && prev === "]") || (c === "{" && prev === "{")) out += `\\${c}`;
    else if (c === ":" && flat.startsWith("//", i + 1)) out += "\\:";
    else if (c === "&" && /^&(?:#\d+|#x[0-9a-f]+|[a-z][a-z0-9]*);/i.test(flat.slice(i, i + 40))) out += "\\&";
    else out += c;
  }
  // A list item, heading or thematic break at the start: `- x`, `+ x`, `1. x`, `# x`, `---`.
  return out.replace(/^(?:-(?=[\s-]|$)|\+(?=\s|$)|#(?=[\s#]|$))/, "\\$&").replace(/^(\d{1,9})([.)])(?=\s|$)/, "$1\\$2");
}

function isAsciiPunctuation(c: string): boolean {
  return /^[!-/:-@[-`{-~]$/.test(c);
}

function header(alert: Alert, told: readonly Transition[], chars: number): CardElement[] {
  const counts = KINDS.map((kind) => [kind, told.filter((t) => t.kind === kind).length] as const)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n} ${KIND_LABEL[kind].toLowerCase()}`);
  const kind = alertKindOf(alert);
  const run = alert.runId ? `${kind === "drift" ? "run" : "last run"} ${cardText(clip(alert.runId, chars))}` : "no completed run";
  return [
    { type: "TextBlock", text: `${ALERT_TITLE[kind]}: ${cardText(clip(alert.tenant, chars))}`, wrap: true, size: "Large", weight: "Bolder" },
    {
      type: "TextBlock",
      text: [alert.instance && cardText(clip(alert.instance, chars)), run, cardText(clip(alert.at, chars))].filter(Boolean).join(" · "),
      wrap: true,
      isSubtle: true,
      spacing: "None",
    },
    { type: "TextBlock", text: cardText(clip(alert.headline, chars)), wrap: true, weight: "Bolder" },
    ...(alert.heartbeat
      ? [heartbeatFacts(alert.heartbeat)]
      : [
          {
            type: "TextBlock",
            text: counts.length > 0 ? counts.join(", ") : "No new, changed or resolved findings.",
            wrap: true,
            spacing: "Small",
          } as const,
        ]),
  ];
}

/** The heartbeat's week in figures; every value is made here from times and counts. */
function heartbeatFacts(h: HeartbeatSummary): FactSet {
  return {
    type: "FactSet",
    facts: [
      { title: "Week", value: cardText(`${h.from} to ${h.to}`) },
      { title: "Checks completed", value: String(h.completed) },
      { title: "Last completed", value: cardText(h.lastCompleted ?? "none") },
      { title: "Longest gap", value: cardText(`${h.longestGap.hours} h, ${h.longestGap.from} to ${h.longestGap.to} (limit ${h.limitHours} h)`) },
      { title: "Open findings", value: `${h.open}${h.snoozed > 0 ? ` (${h.snoozed} snoozed)` : ""}` },
    ],
  };
}

function findingContainer(t: Transition, rangeLimit: number, chars: number): Container {
  const f = t.finding;
  const resolved = t.kind === "resolved";
  const said = clip(f.summary, chars);
  const summary = t.kind === "changed" ? `Changed since the last alert: ${said}` : resolved ? `Resolved, no longer found. It was: ${said}` : said;
  const facts = [
    { title: resolved ? "What it broke" : "What it breaks", value: cardText(clip(f.impact, chars)) },
    ...(f.rangeCount > 0 ? [{ title: resolved ? "Ranges were" : "Ranges", value: rangeList(f.ranges, f.rangeCount, rangeLimit) }] : []),
    { title: "Rule", value: cardText(clip(f.rule, chars)) },
    { title: "Severity", value: cardText(f.severity) },
    { title: "Open since", value: cardText(clip(t.since, chars)) },
    ...(t.snooze
      ? [{ title: "Snooze", value: cardText(clip(`by ${t.snooze.by} until ${t.snooze.until} (${t.snooze.reason}), no longer holds`, chars)) }]
      : []),
  ];
  return {
    type: "Container",
    style: resolved ? "good" : SEVERITY_STYLE[f.severity],
    separator: true,
    spacing: "Medium",
    items: [
      {
        type: "ColumnSet",
        columns: [
          {
            type: "Column",
            width: "auto",
            items: [
              {
                type: "TextBlock",
                text: KIND_LABEL[t.kind].toUpperCase(),
                wrap: true,
                weight: "Bolder",
                color: resolved ? "Good" : SEVERITY_COLOR[f.severity],
              },
            ],
          },
          {
            type: "Column",
            width: "stretch",
            items: [
              {
                type: "TextBlock",
                text: cardText(clip(`${subjectKindName(f.subject.kind)} ${f.subject.name}`, chars)),
                wrap: true,
                weight: "Bolder",
              },
            ],
          },
        ],
      },
      { type: "TextBlock", text: cardText(summary), wrap: true },
      { type: "FactSet", facts },
    ],
  };
}

/** The ranges a brief keeps, and how many more there are (the brief keeps the first ones, report.json has all). */
function rangeList(ranges: readonly string[], rangeCount: number, limit: number): string {
  const shown = ranges.slice(0, limit);
  const more = Math.max(0, rangeCount - shown.length);
  return cardText(shown.join(", ")) + (more > 0 ? `${shown.length > 0 ? " and " : ""}${more} more` : "");
}

function summaryNote(alert: Alert, total: number, shown: number, hasLinks: boolean): TextBlock {
  const where = hasLinks ? "the report has them all" : `the report of run ${cardText(clip(alert.runId, SUMMARY_TEXT_CHARS))} has them all`;
  const findings = `${total} ${total === 1 ? "finding" : "findings"} ${alertKindOf(alert) === "digest" ? "still open" : "changed"}`;
  const text =
    shown === total
      ? `${findings}, too long for one card: each shows its first ${SUMMARY_RANGES} ranges; ${where}.`
      : `${findings}, too many for one card: ${shown === 0 ? "" : shown === 1 ? "the first is below; " : `the first ${shown} are below; `}${where}.`;
  return { type: "TextBlock", text, wrap: true };
}

/** `New: 12 missing-eop-range, 3 stale-eop-range`, one fact per kind. */
function countFacts(told: readonly Transition[]): FactSet {
  const facts: FactSet["facts"] = [];
  for (const kind of KINDS) {
    const byRule = new Map<string, number>();
    for (const t of told) if (t.kind === kind) byRule.set(t.finding.rule, (byRule.get(t.finding.rule) ?? 0) + 1);
    if (byRule.size === 0) continue;
    const value = [...byRule].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([rule, n]) => `${n} ${clip(rule, 100)}`);
    facts.push({ title: KIND_LABEL[kind], value: cardText(value.join(", ")) });
  }
  return { type: "FactSet", facts };
}

/** Buttons for the alert's links; only https ones without credentials, so no link can open anything else. */
function linkActions(links: Alert["links"]): OpenUrlAction[] {
  return safeLinks({ links }).map(({ key, url }) => ({ type: "Action.OpenUrl", title: LINKS[key], url }));
}

function card(body: CardElement[], actions: OpenUrlAction[]): AdaptiveCard {
  return {
    type: "AdaptiveCard",
    $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
    version: "1.5",
    msteams: { width: "Full" },
    body,
    ...(actions.length > 0 ? { actions } : {}),
  };
}

function message(content: AdaptiveCard): TeamsMessage {
  return { type: "message", attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, contentUrl: null, content }] };
}

/** What Teams counts: the UTF-8 bytes of the JSON posted. */
export function byteSize(payload: unknown): number {
  return Buffer.byteLength(JSON.stringify(payload), "utf8");
}

function clip(text: string, chars: number): string {
  if (text.length <= chars) return text;
  // Never half a surrogate pair.
  const end = /[\ud800-\udbff]/.test(text.charAt(chars - 1)) ? chars - 1 : chars;
  return `${text.slice(0, end)}…`;
}
