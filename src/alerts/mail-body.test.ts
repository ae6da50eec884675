import { describe, expect, it } from "vitest";
import { escapeHtml } from "../outputs/html-markup.js";
import { hasUnsafeCharacters } from "../validation.js";
import type { Alert, FindingBrief, Transition } from "./alert.js";
import { MAIL_RANGE_LIMIT, MAIL_SUBJECT_LIMIT, mailHtml, mailSubject } from "./mail-body.js";

function brief(over: Partial<FindingBrief> = {}): FindingBrief {
  return {
    id: "f",
    digest: "d",
    rule: "missing-eop-range",
    severity: "error",
    subject: { kind: "receive-connector", name: "EX01\\Inbound from Office 365" },
    summary: "The connector lacks EOP ranges.",
    impact: "EOP mail is anonymous.",
    ranges: ["40.92.0.0/15"],
    rangeCount: 1,
    ...over,
  };
}

const step = (kind: Transition["kind"], over: Partial<FindingBrief> = {}, alert = true): Transition => ({
  kind,
  finding: brief(over),
  since: "2025-06-01T06:00:00.000Z",
  alert,
});

function alertOf(transitions: Transition[], over: Partial<Alert> = {}): Alert {
  return {
    id: "t/r",
    tenant: "contoso.onmicrosoft.com",
    runId: "r",
    instance: "Worldwide",
    at: "2025-06-02T06:00:00.000Z",
    headline: "Drift",
    transitions,
    ...over,
  };
}

describe("mailSubject", () => {
  it("counts what alerts, by kind, in a fixed order", () => {
    const a = alertOf([step("resolved"), step("new"), step("changed"), step("new"), step("unchanged", {}, false), step("unchanged")]);
    expect(mailSubject(a)).toBe("mailflow-guard: contoso.onmicrosoft.com: 2 new, 1 changed, 1 still open, 1 resolved");
    expect(mailSubject(alertOf([step("new", {}, false)]))).toBe("mailflow-guard: contoso.onmicrosoft.com: nothing new");
  });

  it("drops line breaks, control, bidirectional and zero-width characters from the tenant", () => {
    const subject = mailSubject(alertOf([step("new")], { tenant: "contoso\r\nBcc: evil@example.com\u202e\u200bmoc\u0007" }));
    expect(subject).toBe("mailflow-guard: contoso Bcc: evil@example.com moc: 1 new");
    expect(hasUnsafeCharacters(subject)).toBe(false);
  });

  it("shortens a long tenant so the counts stay", () => {
    const subject = mailSubject(alertOf([step("new")], { tenant: "x".repeat(400) }));
    expect(subject.length).toBe(MAIL_SUBJECT_LIMIT);
    expect(subject.endsWith("…: 1 new")).toBe(true);
  });
});

describe("mailHtml", () => {
  it("escapes every value from outside", () => {
    const evil = `<script>alert("x")</script> & 'q'`;
    const html = mailHtml(
      alertOf(
        [
          step("new", {
            rule: `${evil}rule`,
            severity: "error",
            subject: { kind: `${evil}kind`, name: `${evil}name` },
            summary: `${evil}summary`,
            impact: `${evil}impact`,
            ranges: [`${evil}range`],
          }),
        ],
        { tenant: `${evil}tenant`, headline: `${evil}headline`, runId: `${evil}run`, instance: `${evil}instance`, at: `${evil}at` },
      ),
    );
    expect(html).not.toContain("<script");
    expect(html).not.toContain(`"x"`);
    const escaped = escapeHtml(evil);
    expect(escaped).toBe("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;");
    for (const field of ["rule", "kind", "name", "summary", "impact", "range", "tenant", "headline", "run", "instance", "at"]) {
      expect(html).toContain(`${escaped}${field}`);
    }
  });

  it("shows unsafe characters as escapes rather than passing them on", () => {
    const html = mailHtml(alertOf([step("new", { subject: { kind: "allowlist", name: "fw\u202eexe.txt" } })]));
    expect(html).toContain("fw\\u202eexe.txt");
    expect(html).not.toContain("\u202e");
  });

  it("lists each alerting transition with its severity, summary, impact and first ranges", () => {
    const ranges = Array.from({ length: 50 }, (_, i) => `10.${i}.0.0/16`);
    const html = mailHtml(
      alertOf([
        step("new", { severity: "error", summary: "S-new", impact: "I-new", ranges, rangeCount: 120 }),
        step("resolved", { severity: "warning", summary: "S-resolved", impact: "I-resolved" }),
        step("changed", { summary: "S-quiet" }, false),
      ]),
    );
    expect(html).toContain("New · error · missing-eop-range: Receive connector <code>EX01\\Inbound from Office 365</code>");
    expect(html).toContain("Resolved · warning");
    expect(html).toContain("S-new");
    expect(html).toContain("What it breaks:</strong> I-new");
    expect(html).toContain("What it broke:</strong> I-resolved");
    expect(html).not.toContain("S-quiet");
    expect(html).toContain("1 other finding (unchanged or snoozed) not repeated here.");
    expect(html).toContain(`<code>${ranges[MAIL_RANGE_LIMIT - 1]}</code>`);
    expect(html).not.toContain(`<code>${ranges[MAIL_RANGE_LIMIT]}</code>`);
    expect(html).toContain(`and ${120 - MAIL_RANGE_LIMIT} more`);
    expect(html.indexOf("S-new")).toBeLessThan(html.indexOf("S-resolved"));
  });

  it("links only https URLs, escaped", () => {
    const html = mailHtml(
      alertOf([step("new")], {
        links: {
          run: "https://guard.example/api/resync/r?tenant=a&file=b\"onmouseover='x'",
          report: "javascript:alert(1)",
          script: "http://guard.example/api/script",
        },
      }),
    );
    expect(html).toContain('<a href="https://guard.example/api/resync/r?tenant=a&amp;file=b%22onmouseover=%27x%27">The run</a>');
    expect(html).not.toContain("javascript:");
    expect(html).not.toContain("http://guard.example");
    expect(mailHtml(alertOf([step("new")]))).not.toContain("<a ");
  });

  it("says whether the script is attached", () => {
    expect(mailHtml(alertOf([step("new")]), "attached")).toContain("attached as <code>remediation.ps1</code>");
    expect(mailHtml(alertOf([step("new")]), "too-large")).toContain("too large to attach");
    expect(mailHtml(alertOf([step("new")]))).not.toContain("remediation.ps1");
  });
});

describe("scheduled messages", () => {
  const week = {
    from: "2025-05-26T07:00:00.000Z",
    to: "2025-06-02T07:00:00.000Z",
    completed: 4,
    lastCompleted: "2025-06-02T06:00:00.000Z",
    longestGap: { from: "2025-05-27T06:00:00.000Z", to: "2025-05-30T06:00:00.000Z", hours: 72 },
    limitHours: 36,
    open: 2,
    snoozed: 1,
  };

  it("names each kind in the subject and the heading", () => {
    const digest = alertOf([step("unchanged"), step("unchanged", { id: "g" })], { kind: "digest" });
    expect(mailSubject(digest)).toBe("mailflow-guard: contoso.onmicrosoft.com: digest, 2 still open");
    expect(mailHtml(digest)).toContain('<h2 style="margin:0 0 8px">Still open: contoso.onmicrosoft.com</h2>');
    expect(mailHtml(digest)).toContain("last run <code>r</code>");
    const stale = alertOf([step("new", { rule: "stale-run" })], { kind: "stale-run", runId: "" });
    expect(mailSubject(stale)).toBe("mailflow-guard: contoso.onmicrosoft.com: checks not completing, 1 new");
    expect(mailHtml(stale)).toContain("no completed run");
    for (const allRan of [true, false]) {
      const heartbeat = alertOf([], { kind: "heartbeat", heartbeat: { ...week, allRan } });
      expect(mailSubject(heartbeat)).toBe(
        `mailflow-guard: contoso.onmicrosoft.com: weekly heartbeat, ${allRan ? "all checks ran" : "checks missed"}`,
      );
    }
  });

  it("lays out the heartbeat's week, and says no 'nothing new' in it", () => {
    const html = mailHtml(alertOf([], { kind: "heartbeat", heartbeat: { ...week, allRan: false } }));
    expect(html).toContain('<th style="text-align:left;padding:2px 12px 2px 0">Longest gap</th><td>72 h, 2025-05-27T06:00:00.000Z to ');
    expect(html).toContain("<td>2 (1 snoozed)</td>");
    expect(html).not.toContain("Nothing new since the last check.");
  });
});
