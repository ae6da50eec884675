/**
 * Adaptive Cards rendered by Microsoft's renderer (the `adaptivecards`
 * package's browser bundle) in headless Debian chromium: a card must parse
 * without errors and render its text, so that a malformed card fails here
 * rather than in a Teams channel. Screenshots go to test-output/browser/.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Alert } from "../src/alerts/alert.js";
import { alertOf } from "../src/alerts/notify.js";
import { digestAlert, heartbeatAlert, heartbeatSummary, staleRunAlert, staleRunFinding } from "../src/alerts/schedule.js";
import { ADAPTIVE_CARD_CONTENT_TYPE, cardText, teamsMessage } from "../src/alerts/teams-card.js";
import { HOSTILE_CONNECTOR, LONG_CONNECTOR, launchBrowser, renderAdaptiveCard, testOutput, twoDailyChecks } from "./support/browser.js";

/** A small card of the kind the alerts send: Adaptive Card 1.5, as Teams takes it. */
const CARD = {
  type: "AdaptiveCard",
  $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
  version: "1.5",
  body: [
    { type: "TextBlock", text: "Mail flow drift: contoso.onmicrosoft.com", wrap: true, size: "Large", weight: "Bolder" },
    {
      type: "Container",
      style: "attention",
      items: [
        {
          type: "ColumnSet",
          columns: [
            { type: "Column", width: "auto", items: [{ type: "TextBlock", text: "NEW", weight: "Bolder", color: "Attention", wrap: true }] },
            { type: "Column", width: "stretch", items: [{ type: "TextBlock", text: "Receive connector EX01\\Inbound from Office 365", wrap: true }] },
          ],
        },
        { type: "FactSet", facts: [{ title: "Ranges", value: "52.100.0.0/14, 2a01:111:f403::/48" }] },
      ],
    },
  ],
  actions: [{ type: "Action.OpenUrl", title: "Open the report", url: "https://mailflow-guard.example.net/api/resync/1?file=report.html" }],
};

describe("Adaptive Cards in headless chromium", () => {
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 800, height: 600 } });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it("parses a hand-written 1.5 card without errors and renders its text", async () => {
    const card = await renderAdaptiveCard(page, CARD);
    expect(card.errors).toEqual([]);
    expect(card.warnings).toEqual([]);
    expect(card.rendered).toBe(true);
    for (const text of [
      "Mail flow drift: contoso.onmicrosoft.com",
      "NEW",
      "Receive connector EX01\\Inbound from Office 365",
      "Ranges",
      "Open the report",
    ])
      expect(card.text).toContain(text);
    expect(card.width).toBeLessThanOrEqual(card.hostWidth);
    await page.locator("#card-host").screenshot({ path: testOutput("adaptive-card-hand-written.png") });
  });

  it.each([
    ["an unknown element type", { type: "Chart", data: [1, 2] }, "UnknownElementType"],
    ["an unknown action type", undefined, "UnknownActionType"],
    // The renderer drops these silently; the helper's schema check reports them.
    ["a TextBlock without text", { type: "TextBlock", wrap: true }, "MissingRequiredProperty"],
    ["a FactSet without facts", { type: "FactSet", facts: [] }, "MissingRequiredProperty"],
    ["a fact without a value", { type: "FactSet", facts: [{ title: "Ranges" }] }, "MissingRequiredProperty"],
    ["an invalid property value", { type: "TextBlock", text: "x", size: "Enormous" }, "InvalidPropertyValue"],
  ])("reports a card with %s", async (_name, element, event) => {
    const malformed =
      element === undefined ? { ...CARD, actions: [{ type: "Action.Teleport", title: "Go" }] } : { ...CARD, body: [...CARD.body, element] };
    const card = await renderAdaptiveCard(page, malformed);
    expect(card.errors.map((e) => e.event)).toContain(event);
  });

  it("reports a card that is not a card", async () => {
    const card = await renderAdaptiveCard(page, { type: "Card", version: "1.5", body: [] });
    expect(card.errors.map((e) => e.event)).toContain("MissingCardType");
  });

  describe("the Teams message of an alert (teamsMessage)", () => {
    const { first, second } = twoDailyChecks();
    const base = "https://mailflow-guard.example.net/api";
    const day1 = alertOf(first.check, first.artifacts, base)!;
    const day2 = alertOf(second.check, second.artifacts, base)!;

    it.each([
      ["day 1: every finding new", day1, {}],
      ["day 2: one changed, one resolved", day2, {}],
      ["day 1, summarised to fit 8,000 bytes", day1, { maxBytes: 8_000 }],
    ] as const)("renders %s without errors, with the tenant, the headline, each finding and the links", async (name, alert, options) => {
      const message = teamsMessage(alert, options);
      expect(message.attachments).toHaveLength(1);
      const [attachment] = message.attachments;
      expect(attachment.contentType).toBe(ADAPTIVE_CARD_CONTENT_TYPE);
      const card = await renderAdaptiveCard(page, attachment.content);
      expect(card.errors).toEqual([]);
      expect(card.warnings).toEqual([]);
      expect(card.rendered).toBe(true);
      // This host has no Markdown processor, so the text shows as the card carries it: through cardText.
      expect(card.text).toContain(`Mail flow drift: ${cardText(alert.tenant)}`);
      expect(card.text).toContain(cardText(alert.headline));
      for (const title of ["Open the run", "Open the report", "Open the remediation script"]) expect(card.text).toContain(title);
      if ("maxBytes" in options) expect(card.text).toContain("too many for one card");
      const shown = "maxBytes" in options ? alert.transitions.slice(0, 1) : alert.transitions;
      for (const t of shown) expect(card.text).toContain(cardText(`${t.finding.subject.name}`).slice(0, 30));
      expect(await page.locator("#card-host script").count()).toBe(0);
      expect(card.width).toBeLessThanOrEqual(card.hostWidth);
      await page.locator("#card-host").screenshot({ path: testOutput(`teams-card-${name.replace(/[^a-z0-9]+/gi, "-").replace(/-+$/, "")}.png`) });
    });

    it("tells day 2 as it happened: the changed connector and the resolved hostile one, in the open", async () => {
      expect(day2.transitions.map((t) => [t.kind, t.finding.subject.name])).toEqual([
        ["changed", LONG_CONNECTOR],
        ["resolved", HOSTILE_CONNECTOR],
      ]);
      const card = await renderAdaptiveCard(page, teamsMessage(day2).attachments[0].content, 320);
      expect(card.errors).toEqual([]);
      expect(card.text).toContain("CHANGED");
      expect(card.text).toContain("RESOLVED");
      expect(card.width).toBeLessThanOrEqual(320);
    });
  });

  describe("the scheduled messages", () => {
    const { second } = twoDailyChecks();
    const base = {
      tenant: second.check.observations.tenant,
      runId: second.check.observations.runId,
      instance: "Worldwide",
      at: "2026-12-07T07:30:00.000Z",
    };
    const links = alertOf(second.check, second.artifacts, "https://mailflow-guard.example.net/api")!.links;
    const state = {
      tenant: base.tenant,
      runId: base.runId,
      updatedAt: "2026-12-07T06:00:00.000Z",
      open: Object.fromEntries(
        second.check.transitions!.filter((t) => t.kind !== "resolved").map((t) => [t.finding.id, { finding: t.finding, since: t.since }]),
      ),
      snoozes: {},
      checks: ["2026-12-01T06:00:00.000Z", "2026-12-02T06:00:00.000Z", "2026-12-05T06:00:00.000Z", "2026-12-07T06:00:00.000Z"],
      certificates: {},
    };
    const since = new Date("2026-12-05T06:00:00Z");
    const stale = staleRunFinding(base.tenant, since, 36, false);
    const cases: [string, Alert, string[]][] = [
      ["digest", digestAlert({ ...base, links }, state, new Date("2026-12-07T07:00:00Z"))!, ["Still open: ", "STILL OPEN", "still open"]],
      [
        "heartbeat",
        heartbeatAlert({ ...base, links }, heartbeatSummary(state, new Date("2026-12-07T07:00:00Z"), 36)),
        ["Weekly heartbeat: ", "Not all checks ran", "Longest gap", "Checks completed"],
      ],
      ["stale-run", staleRunAlert({ ...base, links: undefined }, stale, since, undefined), ["Checks not completing: ", "NEW", "Open since"]],
      ["stale-run resolved", staleRunAlert({ ...base, links: undefined }, stale, since, "2026-12-07T06:00:00.000Z"), ["RESOLVED"]],
    ];

    it.each(cases)("renders the %s card without errors, with what it says", async (name, alert, texts) => {
      const card = await renderAdaptiveCard(page, teamsMessage(alert).attachments[0].content);
      expect(card.errors).toEqual([]);
      expect(card.warnings).toEqual([]);
      expect(card.rendered).toBe(true);
      expect(card.text).toContain(cardText(alert.headline));
      for (const text of texts) expect(card.text).toContain(text);
      expect(card.width).toBeLessThanOrEqual(card.hostWidth);
      await page.locator("#card-host").screenshot({ path: testOutput(`teams-card-${name.replace(/[^a-z0-9]+/gi, "-")}.png`) });
    });
  });
});
