import { describe, expect, it } from "vitest";
import { observations, REFUSED } from "../../test/support/observations.js";
import { evaluate } from "../check/evaluate.js";
import type { CheckReport, TenantCheck } from "../core/check.js";
import type { InventoryInput } from "../inventory/inventory.js";
import { findingStates, HTML_LIST_LIMIT, htmlReport } from "./html.js";
import { escapeHtml } from "./html-markup.js";

const HOSTILE_CONNECTOR = "EX01\\<script>alert(1)</script>\"onload=alert(2) x='y'";
const HOSTILE_ALLOWLIST = "fw &amp; <img src=x onerror=alert(3)>";

const inventory: Partial<InventoryInput> = {
  receiveConnectors: [
    {
      identity: HOSTILE_CONNECTOR,
      mode: "exact",
      remoteIPRanges: ["127.0.0.1", "40.92.0.0/15", "65.55.88.0/24"],
      protected: ["127.0.0.1"],
    },
    { identity: "EX01\\Default Frontend EX01", mode: "superset", remoteIPRanges: ["0.0.0.0-255.255.255.255"], protected: [] },
  ],
  allowlists: [{ name: HOSTILE_ALLOWLIST, mode: "superset", entries: ["40.92.0.0/16", "40.93.0.0/16"], protected: [] }],
};

function render(check: TenantCheck): string {
  return htmlReport.render(check);
}

/** The page without its style sheet, where only markup this module wrote may stand. */
function body(page: string): string {
  return page.slice(page.indexOf("<body>"));
}

describe("escapeHtml", () => {
  it.each([
    ["a script tag", "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"],
    ["an attribute break-out", '"onload=alert(1)', "&quot;onload=alert(1)"],
    ["a single-quoted break-out", "' onfocus='x", "&#39; onfocus=&#39;x"],
    ["an entity, not decoded", "&amp;", "&amp;amp;"],
  ])("makes %s inert: %j", (_name, input, expected) => {
    expect(escapeHtml(input)).toBe(expected);
  });
});

describe("report.html", () => {
  const { check, artifacts } = evaluate(observations(inventory));
  const page = artifacts["report.html"]!;

  it("is one of the outputs, listed after report.md, and is a whole self-contained page", () => {
    expect(Object.keys(artifacts)).toEqual(["remediation.ps1", "eop-allowlist.txt", "report.md", "report.html", "report.json"]);
    expect(page).toBe(render(check));
    expect(page.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    // Nothing to fetch or run: no scripts, no external style sheets or images, and a policy that would refuse them anyway.
    expect(page).not.toMatch(/<(script|link|img|iframe|object|embed|base|form)\b|url\(|@import/i);
    expect(page).toContain("default-src 'none'");
    // report.md lists report.html among the files, and the page lists the others, not itself.
    expect(artifacts["report.md"]).toContain("- `report.html`: the report as a page");
    expect(body(page)).toContain("<code>report.md</code>");
    expect(body(page)).not.toContain("<code>report.html</code>");
  });

  it("escapes hostile names everywhere: no tag, attribute or entity of theirs survives", () => {
    const text = body(page);
    expect(text).not.toContain("<script");
    expect(text).not.toContain("<img");
    expect(text).not.toContain('"onload');
    expect(text).toContain("EX01\\&lt;script&gt;alert(1)&lt;/script&gt;&quot;onload=alert(2) x=&#39;y&#39;");
    // `&amp;` in a name is shown as the five characters it is, not as `&`.
    expect(text).toContain("fw &amp;amp; &lt;img src=x onerror=alert(3)&gt;");
    expect(page).toContain("<title>Mail flow drift report: contoso.onmicrosoft.com</title>");
    // Every attribute the page has is quoted and was written by this module.
    const attributes = [...text.matchAll(/<[a-z][a-z0-9]*((?:\s+[^\s>]+)*)\s*\/?>/g)].flatMap((m) => m[1]!.trim().split(/\s+(?=[a-z-]+=)/));
    for (const a of attributes.filter(Boolean)) expect(a).toMatch(/^(class|id|lang|role|tabindex|scope|datetime|aria-labelledby)="[^"<>]*"$/);
  });

  it("keeps hostile text out of attributes and markup in a tenant name and feed fields too", () => {
    const hostile = evaluate(observations(inventory, { refused: { ...REFUSED, reason: '<b onmouseover="x">' } }));
    const report: CheckReport = { ...hostile.check.report, runId: '"><script>', tenant: "t<i>" };
    const text = body(render({ ...hostile.check, report }));
    expect(text).toContain("&lt;b onmouseover=&quot;x&quot;&gt;");
    expect(text).toContain("<code>&quot;&gt;&lt;script&gt;</code>");
    expect(text).toContain("t&lt;i&gt;");
    expect(text).not.toMatch(/<(b|i|script)[\s>]/);
  });

  it("puts the summary first, then the feed and run, the findings, the targets and the files", () => {
    const order = ['id="summary"', 'id="feed"', 'id="findings"', 'id="targets"', 'id="files"'].map((s) => page.indexOf(s));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const headline = check.report.summary[0]!;
    expect(page.indexOf(escapeHtml(headline))).toBeGreaterThan(page.indexOf('id="summary"'));
    expect(page.indexOf(escapeHtml(headline))).toBeLessThan(page.indexOf('id="feed"'));
    // Findings in the report's order, each with severity, summary, impact and its changes.
    const positions = check.report.findings.map((f) => page.indexOf(`<p class="finding-summary">${escapeHtml(f.summary)}</p>`));
    expect(positions.every((p) => p > page.indexOf('id="findings"') && p < page.indexOf('id="targets"'))).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(page).toContain('<span class="badge severity">Error</span>');
    expect(page).toContain("<strong>What it breaks:</strong>");
    expect(page).toContain('<p class="list-label">Add (1):</p><ul class="ranges"><li><code>52.100.0.0/14</code></li></ul>');
    expect(page).toContain(
      '<p class="list-label">Remove (entries as the target lists them) (1):</p><ul class="ranges"><li><code>65.55.88.0/24</code></li></ul>',
    );
    // The feed and run.
    expect(page).toContain("Worldwide, version 2025060100, EOP SMTP endpoint set 10");
    expect(page).toContain('<time datetime="2026-11-22T05:00:00.000Z">2026-11-22 05:00:00 UTC</time> from <code>https://endpoints.office.com</code>');
    // Targets: checked or not, and why.
    expect(page).toContain("no: open to every address (0.0.0.0-255.255.255.255); an EOP fix never changes it");
    expect(page).toContain("yes: an EOP allowlist");
    expect(page).toContain('<div class="table-wrap"');
    // Without transitions there is no state and no resolved section.
    expect(page).not.toContain('id="resolved"');
    expect(page).not.toContain("open since");
  });

  it("has no findings section when in sync", () => {
    const inSync = evaluate(
      observations({ allowlists: [{ name: "fw", mode: "superset", entries: ["40.92.0.0/14", "52.100.0.0/14"], protected: [] }] }),
    ).artifacts["report.html"]!;
    expect(inSync).toContain('<p class="status status-in-sync">In sync</p>');
    expect(inSync).not.toContain('id="findings"');
    expect(inSync.indexOf('id="summary"')).toBeLessThan(inSync.indexOf('id="targets"'));
  });

  it("shows the first 500 ranges of a list and points to report.json for the rest", () => {
    // 1,200 single addresses 2 apart: none merge, so the stale set needs 1,200 CIDRs.
    const entries = Array.from({ length: 1200 }, (_, i) => `198.18.${Math.floor(i / 128)}.${(i % 128) * 2}`);
    const big = evaluate(observations({ allowlists: [{ name: "dedicated eop", mode: "exact", entries, protected: [] }] }));
    const stale = big.check.findings.find((f) => f.rule === "stale-eop-range")!;
    expect(stale.ranges).toHaveLength(1200);
    const text = big.artifacts["report.html"]!;
    expect(text).toContain('<li class="more">… and 700 more in report.json</li>');
    expect(text).toContain(`<code>${stale.ranges![HTML_LIST_LIMIT - 1]}</code>`);
    expect(text).not.toContain(`<code>${stale.ranges![HTML_LIST_LIMIT]}</code>`);
    expect(text).not.toContain(`<code>${entries[1100]}`);
  });

  it("shows each finding's state and lists the resolved ones when the report carries transitions", () => {
    const [first, second, third] = check.report.findings;
    const transitions = [
      { id: first!.id, kind: "new", since: "2026-11-22T06:00:00.000Z" },
      { id: second!.id, kind: "changed", since: "2026-11-20T06:00:00.000Z" },
      { id: third!.id, kind: "unchanged", since: "2026-11-01T06:00:00.000Z" },
      { id: 'stale-eop-range:allowlist:old <fw>:"x"', kind: "resolved", since: "2026-10-30T06:00:00.000Z" },
      { id: 42, kind: "resolved", since: "not a shape" },
      { id: "x", kind: "exploded", since: "2026-10-30T06:00:00.000Z" },
    ];
    const report = { ...check.report, transitions } as unknown as CheckReport;
    expect(findingStates(report).map((s) => s.kind)).toEqual(["new", "changed", "unchanged", "resolved"]);
    const text = render({ ...check, report });
    expect(text).toContain('<span class="badge state state-new">New</span>');
    expect(text).toContain(
      '<span class="badge state state-changed">Changed</span> <span class="since">open since <time datetime="2026-11-20T06:00:00.000Z">2026-11-20 ' +
        "06:00:00 UTC</time></span>",
    );
    expect(text).toContain('<span class="badge state state-unchanged">Unchanged</span>');
    expect(text).toContain('id="resolved"');
    expect(text).toContain('<h2 id="resolved-h">Resolved since the last check</h2>');
    expect(text).toContain('<span class="rule">stale-eop-range</span>: Allowlist <code>old &lt;fw&gt;:&quot;x&quot;</code>');
    expect(text.indexOf('id="findings"')).toBeLessThan(text.indexOf('id="resolved"'));
    expect(text.indexOf('id="resolved"')).toBeLessThan(text.indexOf('id="targets"'));
    expect(text).not.toContain("exploded");
    // Anything else in the field is ignored, never rendered.
    expect(findingStates({ ...check.report, transitions: "<b>" } as unknown as CheckReport)).toEqual([]);
  });

  it("shows the states a check against the finding state gives: new, changed, unchanged, resolved with what it was, snoozed", () => {
    const first = evaluate(observations(inventory), { history: { previous: undefined, canAlert: true } });
    // Next day: the connector got the missing range and one more stale one; the allowlist is as it was, under a snooze.
    const next = evaluate(
      observations({
        ...inventory,
        receiveConnectors: [
          { ...inventory.receiveConnectors![0]!, remoteIPRanges: ["127.0.0.1", "40.92.0.0/15", "52.100.0.0/14", "65.55.88.0/24", "23.103.132.0/22"] },
          inventory.receiveConnectors![1]!,
        ],
      }),
      {
        history: {
          previous: {
            ...first.next!,
            snoozes: {
              [first.check.findings[0]!.id]: {
                reason: "change window",
                by: "admin",
                until: "2026-12-01T00:00:00.000Z",
                digest: first.check.findings[0]!.digest,
              },
            },
          },
          canAlert: true,
        },
      },
    );
    const kinds = next.check.report.transitions!.map((t) => `${t.kind} ${t.rule}`);
    expect(kinds).toEqual(["unchanged missing-eop-range", "changed stale-eop-range", "resolved missing-eop-range"]);
    const text = next.artifacts["report.html"]!;
    expect(text).toContain('<span class="badge state state-unchanged">Unchanged</span>');
    expect(text).toContain('<span class="badge state state-snoozed">Snoozed until <time datetime="2026-12-01T00:00:00.000Z">');
    expect(text).toContain('<span class="badge state state-changed">Changed</span>');
    const resolved = text.slice(text.indexOf('id="resolved"'), text.indexOf('id="targets"'));
    expect(resolved).toContain('<span class="rule">missing-eop-range</span>: Receive connector <code>EX01\\&lt;script&gt;');
    expect(resolved).toContain('<span class="was">It was: Receive connector EX01\\&lt;script&gt;');
    expect(resolved).not.toContain("<script");
  });

  it("renders property changes as inert text", () => {
    const withProperty: TenantCheck = {
      ...check,
      report: {
        ...check.report,
        findings: [
          {
            ...check.report.findings[0]!,
            changes: [
              {
                kind: "property",
                side: "on-premises",
                cmdlet: "Set-ReceiveConnector",
                identity: "EX01\\<Inbound>",
                parameter: "TlsCertificateName",
                value: "<I>CN=R3<S>CN=mail.contoso.com",
              },
            ],
          },
        ],
      },
    };
    const text = render(withProperty);
    expect(text).toContain(
      "Change (on-premises): <code>Set-ReceiveConnector -Identity EX01\\&lt;Inbound&gt; -TlsCertificateName</code> to " +
        "<code>&quot;&lt;I&gt;CN=R3&lt;S&gt;CN=mail.contoso.com&quot;</code>",
    );
  });
});
