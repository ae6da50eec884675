import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { InputError } from "../errors.js";
import type { Alert, FindingBrief, Transition } from "./alert.js";
import { type AdaptiveCard, byteSize, type CardElement, type Container, cardText, type TeamsMessage, teamsMessage } from "./teams-card.js";

// The Adaptive Cards SDK's own parser (its ESM build does not load in Node; the UMD bundle does).
const AC = createRequire(import.meta.url)("adaptivecards/dist/adaptivecards.js") as typeof import("adaptivecards");

const CONNECTOR = "EX01\\Inbound from Office 365";

function brief(overrides: Partial<FindingBrief> = {}): FindingBrief {
  return {
    id: `missing-eop-range:receive-connector:${CONNECTOR}`,
    digest: "5f0c2a9e1d7b4c3a8e6f1b2d3c4a5e6f",
    rule: "missing-eop-range",
    severity: "error",
    subject: { kind: "receive-connector", name: CONNECTOR },
    summary: `Receive connector ${CONNECTOR} lacks 2 EOP ranges: 52.100.0.0/14, 2a01:111:f403::/48.`,
    impact: "Mail that Exchange Online Protection sends from these addresses does not match this connector.",
    ranges: ["52.100.0.0/14", "2a01:111:f403::/48"],
    rangeCount: 2,
    ...overrides,
  };
}

const STALE = brief({
  id: "stale-eop-range:allowlist:edge-fw smtp-in",
  rule: "stale-eop-range",
  severity: "warning",
  subject: { kind: "allowlist", name: "edge-fw smtp-in" },
  summary: "Allowlist edge-fw smtp-in allows 1 range that is no longer EOP: 65.55.88.0/24.",
  impact: "Whoever sends from them now reaches a connector trusted for EOP mail.",
  ranges: ["65.55.88.0/24"],
  rangeCount: 1,
});

function transition(kind: Transition["kind"], finding: FindingBrief, overrides: Partial<Transition> = {}): Transition {
  return { kind, finding, since: "2026-03-01T06:00:00.000Z", alert: kind !== "unchanged", ...overrides };
}

function alert(transitions: Transition[], overrides: Partial<Alert> = {}): Alert {
  return {
    id: "contoso.onmicrosoft.com/2026-03-02T06-00-00Z-7f3a",
    tenant: "contoso.onmicrosoft.com",
    runId: "2026-03-02T06-00-00Z-7f3a",
    instance: "Worldwide",
    at: "2026-03-02T06:00:12.000Z",
    headline: "Drift: 1 finding needs attention.",
    transitions,
    ...overrides,
  };
}

const LINKS = {
  run: "https://mailflow-guard.azurewebsites.net/api/resync/2026-03-02T06-00-00Z-7f3a",
  report: "https://mailflow-guard.azurewebsites.net/api/resync/2026-03-02T06-00-00Z-7f3a?tenant=contoso.onmicrosoft.com&file=report.md",
  script: "https://mailflow-guard.azurewebsites.net/api/resync/2026-03-02T06-00-00Z-7f3a?tenant=contoso.onmicrosoft.com&file=remediation.ps1",
};

const content = (message: TeamsMessage): AdaptiveCard => message.attachments[0].content;

function walk(elements: readonly CardElement[], visit: (e: CardElement) => void): void {
  for (const e of elements) {
    visit(e);
    if (e.type === "Container") walk(e.items, visit);
    if (e.type === "ColumnSet") for (const c of e.columns) walk(c.items, visit);
  }
}

/** Every text the card renders as Markdown: TextBlocks and both sides of facts. */
function texts(card: AdaptiveCard): string[] {
  const out: string[] = [];
  walk(card.body, (e) => {
    if (e.type === "TextBlock") out.push(e.text);
    if (e.type === "FactSet") for (const f of e.facts) out.push(f.title, f.value);
  });
  return out;
}

const findingContainers = (card: AdaptiveCard) => card.body.filter((e): e is Container => e.type === "Container");
const textOf = (container: Container) => texts({ body: container.items } as AdaptiveCard);
const fact = (container: Container, title: string) =>
  container.items.flatMap((e) => (e.type === "FactSet" ? e.facts : [])).find((f) => f.title === title)?.value;

/** What a CommonMark renderer shows of text without syntax: each backslash escape of ASCII punctuation is the character itself. */
const shown = (text: string) => text.replace(/\\([!-/:-@[-`{-~])/g, "$1");

/**
 * Characters left able to open Markdown syntax: emphasis, code, links,
 * autolinks and HTML, strikethrough, unescaped. Also what the native Adaptive
 * Cards parser (which ignores backslashes before brackets) would take for a
 * link, and what the host would take for a date function.
 */
function liveSyntax(text: string): string[] {
  const live: string[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\\" && /[!-/:-@[-`{-~]/.test(text[i + 1] ?? "")) i++;
    else if ("*_`[]<>~".includes(text[i]!)) live.push(text[i]!);
  }
  if (text.includes("](")) live.push("](");
  if (text.includes("{{")) live.push("{{");
  if (/https?:\/\//.test(text)) live.push("://");
  return live;
}

describe("the payload", () => {
  it("is a Workflows message of one Adaptive Card 1.5 attachment that the Adaptive Cards SDK parses without a complaint", () => {
    const message = teamsMessage(alert([transition("new", brief()), transition("resolved", STALE)], { links: LINKS }));
    expect(Object.keys(message)).toEqual(["type", "attachments"]);
    expect(message.type).toBe("message");
    expect(message.attachments).toHaveLength(1);
    expect(message.attachments[0]).toMatchObject({ contentType: "application/vnd.microsoft.card.adaptive", contentUrl: null });
    const card = content(message);
    expect(card).toMatchObject({
      type: "AdaptiveCard",
      $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
      version: "1.5",
      msteams: { width: "Full" },
    });

    const parsed = new AC.AdaptiveCard();
    const context = new AC.SerializationContext(new AC.Version(1, 5));
    parsed.parse(card, context);
    const events = Array.from({ length: context.eventCount }, (_, i) => context.getEventAt(i).message);
    expect(events).toEqual([]);
    expect(parsed.validateProperties().validationEvents.map((e) => e.message)).toEqual([]);
    // Nothing was dropped as unknown: the SDK writes back the same card (it does not keep Teams' own `msteams`).
    const { msteams: _, ...rest } = card;
    expect(parsed.toJSON(context)).toEqual(rest);
  });

  it("uses only TextBlocks that wrap, FactSets, ColumnSets and Containers styled attention, warning, emphasis or good", () => {
    const info = brief({ id: "no-eop-target:feed:Worldwide", rule: "no-eop-target", severity: "info", subject: { kind: "feed", name: "Worldwide" } });
    const card = content(
      teamsMessage(alert([transition("new", brief()), transition("changed", STALE), transition("resolved", STALE), transition("new", info)])),
    );
    const types = new Set<string>();
    walk(card.body, (e) => {
      types.add(e.type);
      if (e.type === "TextBlock") expect(e.wrap).toBe(true);
    });
    expect([...types].sort()).toEqual(["ColumnSet", "Container", "FactSet", "TextBlock"]);
    expect(findingContainers(card).map((c) => c.style)).toEqual(["attention", "warning", "good", "emphasis"]);
  });
});

describe("what the card says", () => {
  it("names the tenant, the run and the counts of each kind", () => {
    const card = content(teamsMessage(alert([transition("new", brief()), transition("changed", STALE), transition("resolved", STALE)])));
    const [title, subtitle, headline, counts] = texts(card);
    expect(title).toBe("Mail flow drift: contoso.onmicrosoft.com");
    expect(subtitle).toBe("Worldwide · run 2026-03-02T06-00-00Z-7f3a · 2026-03-02T06:00:12.000Z");
    expect(headline).toBe("Drift: 1 finding needs attention.");
    expect(counts).toBe("1 new, 1 changed, 1 resolved");
  });

  it("shows a new finding with its severity, what drifted, what it breaks and its exact ranges", () => {
    const [container] = findingContainers(content(teamsMessage(alert([transition("new", brief())]))));
    expect(container!.style).toBe("attention");
    expect(textOf(container!).slice(0, 3)).toEqual([
      "NEW",
      "Receive connector EX01\\Inbound from Office 365",
      "Receive connector EX01\\Inbound from Office 365 lacks 2 EOP ranges: 52.100.0.0/14, 2a01:111:f403::/48.",
    ]);
    expect(fact(container!, "What it breaks")).toBe("Mail that Exchange Online Protection sends from these addresses does not match this connector.");
    expect(fact(container!, "Ranges")).toBe("52.100.0.0/14, 2a01:111:f403::/48");
    expect(fact(container!, "Rule")).toBe("missing-eop-range");
    expect(fact(container!, "Severity")).toBe("error");
    expect(fact(container!, "Open since")).toBe("2026-03-01T06:00:00.000Z");
  });

  it("says that a changed finding changed", () => {
    const [container] = findingContainers(content(teamsMessage(alert([transition("changed", STALE)]))));
    expect(container!.style).toBe("warning");
    expect(textOf(container!)[0]).toBe("CHANGED");
    expect(textOf(container!)[2]).toBe(
      "Changed since the last alert: Allowlist edge-fw smtp-in allows 1 range that is no longer EOP: 65.55.88.0/24.",
    );
  });

  it("shows a resolved finding as resolved, in the good style, whatever its severity was", () => {
    const [container] = findingContainers(content(teamsMessage(alert([transition("resolved", brief())]))));
    expect(container!.style).toBe("good");
    const [label, , summary] = textOf(container!);
    expect(label).toBe("RESOLVED");
    expect(summary).toMatch(/^Resolved, no longer found\. It was: Receive connector /);
    expect(fact(container!, "What it broke")).toBeDefined();
    expect(fact(container!, "What it breaks")).toBeUndefined();
    expect(fact(container!, "Ranges were")).toBe("52.100.0.0/14, 2a01:111:f403::/48");
  });

  it("shows only the transitions that alert: not unchanged ones, nor ones a snooze holds back", () => {
    const snoozed = transition("new", STALE, {
      alert: false,
      snooze: { reason: "change freeze", by: "ops", until: "2026-04-01T00:00:00Z", digest: "d" },
    });
    const card = content(teamsMessage(alert([transition("unchanged", brief(), { alert: false }), snoozed, transition("resolved", brief())])));
    expect(findingContainers(card).map((c) => textOf(c)[0])).toEqual(["RESOLVED"]);
    expect(texts(card)[3]).toBe("1 resolved");
  });

  it('lists the ranges the brief keeps and "and N more" when there are more', () => {
    const ranges = ["40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14"];
    const more = findingContainers(content(teamsMessage(alert([transition("new", brief({ ranges, rangeCount: 53 }))]))));
    expect(fact(more[0]!, "Ranges")).toBe("40.92.0.0/15, 40.107.0.0/16, 52.100.0.0/14 and 50 more");
    const exact = findingContainers(content(teamsMessage(alert([transition("new", brief({ ranges, rangeCount: 3 }))]))));
    expect(fact(exact[0]!, "Ranges")).toBe("40.92.0.0/15, 40.107.0.0/16, 52.100.0.0/14");
    const none = findingContainers(content(teamsMessage(alert([transition("new", brief({ ranges: [], rangeCount: 0 }))]))));
    expect(fact(none[0]!, "Ranges")).toBeUndefined();
  });

  it("links the run, the report and the script only when the alert has https links for them", () => {
    expect(content(teamsMessage(alert([transition("new", brief())]))).actions).toBeUndefined();
    expect(content(teamsMessage(alert([transition("new", brief())], { links: LINKS }))).actions).toEqual([
      { type: "Action.OpenUrl", title: "Open the run", url: LINKS.run },
      { type: "Action.OpenUrl", title: "Open the report", url: LINKS.report },
      { type: "Action.OpenUrl", title: "Open the remediation script", url: LINKS.script },
    ]);
    const links = {
      run: "http://mailflow-guard.example/api/resync/r",
      report: "javascript:alert(1)",
      script: "https://admin:pw@mailflow-guard.example/x",
    };
    expect(content(teamsMessage(alert([transition("new", brief())], { links }))).actions).toBeUndefined();
    expect(content(teamsMessage(alert([transition("new", brief())], { links: { report: LINKS.report } }))).actions?.map((a) => a.title)).toEqual([
      "Open the report",
    ]);
  });
});

describe("text from outside", () => {
  const HOSTILE = "EX01\\**Urgent** [x](https://evil.example/login) <at>Admin</at> _y_ `z` ~~w~~ {{DATE(2026-01-01T00:00:00Z, SHORT)}}";

  it("stays inert: a hostile connector name opens no link, emphasis, code, mention or date function, and shows as written", () => {
    const name = HOSTILE;
    const hostile = brief({
      subject: { kind: "receive-connector", name },
      summary: `Receive connector ${name} lacks 1 EOP range: 52.100.0.0/14.`,
      ranges: ["52.100.0.0/14"],
      rangeCount: 1,
    });
    const message = teamsMessage(alert([transition("new", hostile)], { tenant: "[contoso](https://evil.example)", links: LINKS }));
    const card = content(message);
    for (const text of texts(card)) expect(liveSyntax(text), text).toEqual([]);
    const [container] = findingContainers(card);
    expect(shown(textOf(container!)[1]!)).toBe(`Receive connector ${name}`);
    expect(shown(textOf(container!)[2]!)).toBe(`Receive connector ${name} lacks 1 EOP range: 52.100.0.0/14.`);
    expect(shown(texts(card)[0]!)).toBe("Mail flow drift: [contoso](https://evil.example)");
    expect(card.actions?.map((a) => a.url)).toEqual([LINKS.run, LINKS.report, LINKS.script]);
    expect(JSON.stringify(message)).not.toContain("](");
  });

  it("is escaped for every host's parser, keeping a lone backslash as it is", () => {
    expect(cardText("[x](https://evil)")).toBe("\\[x\\]\\(https\\://evil)");
    expect(cardText("EX01\\Inbound from Office 365")).toBe("EX01\\Inbound from Office 365");
    expect(cardText("a\\*b")).toBe("a\\\\\\*b");
    expect(cardText("a\\\\b")).toBe("a\\\\\\b");
    expect(cardText("{{DATE(2026-01-01T00:00:00Z)}} {{{x")).toBe("{\\{DATE(2026-01-01T00:00:00Z)}} {\\{\\{x");
    expect(cardText("R&D &amp; &#91;x&#93;")).toBe("R&D \\&amp; \\&#91;x\\&#93;");
    expect(cardText("<at>Admin</at>")).toBe("\\<at\\>Admin\\</at\\>");
  });

  it("stays on one line, so that only its start could open a block, and the start is escaped", () => {
    expect(cardText("first\r\n- second\n\n1. third\u2028fourth")).toBe("first - second 1. third fourth");
    expect(cardText("- item")).toBe("\\- item");
    expect(cardText("---")).toBe("\\---");
    expect(cardText("+ item")).toBe("\\+ item");
    expect(cardText("# heading")).toBe("\\# heading");
    expect(cardText("12. item")).toBe("12\\. item");
    expect(cardText("3) item")).toBe("3\\) item");
    // Not blocks: left alone, so ranges and names read as they are.
    expect(cardText("52.100.0.0/14")).toBe("52.100.0.0/14");
    expect(cardText("-relay")).toBe("-relay");
    expect(cardText("#1 relay")).toBe("#1 relay");
    expect(cardText("  \tpadded ")).toBe("padded");
  });
});

describe("the size cap", () => {
  const many = (n: number, rangeCount = 50) =>
    Array.from({ length: n }, (_, i) =>
      transition(
        i % 3 === 0 ? "resolved" : i % 3 === 1 ? "new" : "changed",
        brief({
          id: `missing-eop-range:receive-connector:EX${i}\\Inbound`,
          rule: i % 2 === 0 ? "missing-eop-range" : "stale-eop-range",
          subject: { kind: "receive-connector", name: `EX${String(i).padStart(2, "0")}\\Inbound from Office 365` },
          summary: `Receive connector EX${i}\\Inbound from Office 365 lacks ${rangeCount} EOP ranges: 40.92.0.0/15, 40.107.0.0/16 and more.`,
          ranges: Array.from({ length: rangeCount }, (_, j) => `10.${i}.${j}.0/24`),
          rangeCount: rangeCount + 7,
        }),
      ),
    );

  it("summarises a card that would pass 28 KB: counts per kind and rule, the first findings, and the links", () => {
    const transitions = many(60);
    expect(byteSize(teamsMessage(alert(transitions), { maxBytes: Number.POSITIVE_INFINITY }))).toBeGreaterThan(28_000);
    const message = teamsMessage(alert(transitions, { links: LINKS }));
    expect(byteSize(message)).toBeLessThanOrEqual(28_000);
    const card = content(message);
    const all = texts(card);
    expect(all).toContain("60 findings changed, too many for one card: the first 5 are below; the report has them all.");
    expect(all).toEqual(expect.arrayContaining(["New", "10 missing-eop-range, 10 stale-eop-range", "Changed", "Resolved"]));
    const containers = findingContainers(card);
    expect(containers.map((c) => textOf(c)[1])).toEqual([0, 1, 2, 3, 4].map((i) => `Receive connector EX0${i}\\Inbound from Office 365`));
    expect(fact(containers[0]!, "Ranges were")).toMatch(/^10\.0\.0\.0\/24, .*, 10\.0\.9\.0\/24 and 47 more$/);
    expect(card.actions).toHaveLength(3);
  });

  it("shows fewer findings when fewer fit, and says where the rest is without links", () => {
    const message = teamsMessage(alert(many(60)), { maxBytes: 6_000 });
    expect(byteSize(message)).toBeLessThanOrEqual(6_000);
    const containers = findingContainers(content(message));
    expect(containers.length).toBeLessThan(5);
    expect(texts(content(message))).toContain(
      `60 findings changed, too many for one card: ` +
        `${containers.length === 1 ? "the first is below; " : containers.length === 0 ? "" : `the first ${containers.length} are below; `}the ` +
        `report of run 2026-03-02T06-00-00Z-7f3a has them all.`,
    );
  });

  it("counts bytes, not characters", () => {
    // 3-byte characters: the full card is under the cap in characters but over it in bytes.
    const wide = brief({ summary: "€".repeat(5_000), rangeCount: 0, ranges: [] });
    const full = teamsMessage(alert([transition("new", wide)]), { maxBytes: Number.POSITIVE_INFINITY });
    const maxBytes = JSON.stringify(full).length + 100;
    expect(byteSize(full)).toBeGreaterThan(maxBytes);
    const message = teamsMessage(alert([transition("new", wide)]), { maxBytes });
    expect(message).not.toEqual(full);
    expect(byteSize(message)).toBeLessThanOrEqual(maxBytes);
  });

  it("refuses a cap too small for any card", () => {
    expect(() => teamsMessage(alert(many(3)), { maxBytes: 500 })).toThrow(InputError);
  });
});

describe("findings still open", () => {
  it("shows an unchanged finding that alerts (its snooze ended, or a digest) as still open, and one that does not not at all", () => {
    const shown = texts(content(teamsMessage(alert([transition("unchanged", brief(), { alert: true }), transition("unchanged", STALE)]))));
    expect(shown).toContain("STILL OPEN");
    expect(shown).toContain("1 still open");
    expect(shown.join("\n")).toContain(cardText(`Receive connector ${CONNECTOR}`));
    expect(shown.join("\n")).not.toContain("edge-fw smtp-in");
  });

  it("titles a digest and says what its summary leaves out", () => {
    const many = Array.from({ length: 40 }, (_, i) => transition("unchanged", brief({ id: `f${i}`, ranges: [], rangeCount: 0 }), { alert: true }));
    const shown = texts(content(teamsMessage(alert(many, { kind: "digest", headline: "40 findings are still open." }), { maxBytes: 8_000 })));
    expect(shown[0]).toBe("Still open: contoso.onmicrosoft.com");
    expect(shown.join("\n")).toMatch(/40 findings still open, too many for one card/);
  });
});
