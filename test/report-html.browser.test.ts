/**
 * report.html in a real browser (headless Debian chromium): it renders, shows
 * the headline and the findings, runs nothing, fetches nothing, and fits a
 * desktop window and a phone without the page scrolling sideways. The pages
 * and a full-page screenshot of each width are left in test-output/browser/.
 */
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckReport } from "../src/core/check.js";
import { HOSTILE_CONNECTOR, horizontalOverflow, launchBrowser, screenshot, setDetailsOpen, testOutput, twoDailyChecks } from "./support/browser.js";

/** The second of two daily checks: its report carries each finding's state, and a resolved one. */
function realisticReport(): { report: CheckReport; page: string } {
  const { second } = twoDailyChecks();
  return { report: second.check.report, page: second.artifacts["report.html"]! };
}

const WIDTHS = [
  { name: "desktop", width: 1280, height: 800 },
  { name: "phone", width: 390, height: 844 },
] as const;

describe("report.html in headless chromium", () => {
  let browser: Browser;
  let page: Page;
  const { report, page: html } = realisticReport();
  const file = testOutput("report.html");
  const requests: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    writeFileSync(file, html);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on("request", (r) => requests.push(r.url()));
    page.on("dialog", (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
    });
    await page.goto(pathToFileURL(file).href);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it("renders the headline, each finding with its state, and the resolved one", async () => {
    expect(report.status).toBe("drift");
    const kinds = report.transitions!.map((t) => t.kind);
    expect([
      kinds.filter((k) => k === "unchanged").length,
      kinds.filter((k) => k === "changed").length,
      kinds.filter((k) => k === "resolved").length,
    ]).toEqual([6, 1, 1]);
    const headline = page.locator("#summary .headline");
    await expect.poll(() => headline.isVisible()).toBe(true);
    expect(await headline.textContent()).toBe(report.summary[0]);
    expect(await page.title()).toBe("Mail flow drift report: contoso.onmicrosoft.com");
    const findings = page.locator("article.finding");
    expect(await findings.count()).toBe(report.findings.length);
    expect(await findings.first().isVisible()).toBe(true);
    expect(await page.locator("article.finding .finding-summary").allTextContents()).toEqual(report.findings.map((f) => f.summary));
    const label = { new: "New", changed: "Changed", unchanged: "Unchanged", resolved: "Resolved" };
    expect(await page.locator("article.finding .badge.state").allTextContents()).toEqual(
      report.findings.map((f) => label[report.transitions!.find((t) => t.id === f.id)!.kind]),
    );
    // The hostile name is text on the page, in the resolved list, and never ran.
    expect(await page.locator("#resolved li").textContent()).toContain(`Receive connector ${HOSTILE_CONNECTOR}`);
    expect(await page.locator("script").count()).toBe(0);
    // The long stale list is folded: its first ranges show; opened, the first 500, and where the rest is.
    const folded = page.locator("details.list").first();
    expect(await folded.locator("summary").textContent()).toMatch(/^Ranges \(600\): 2001:db8:aaaa:bbbb:cccc:dddd:eeee:0\/128, /);
    expect(await page.getByText("… and 100 more in report.json").first().isVisible()).toBe(false);
    await folded.locator("summary").click();
    expect(await page.getByText("… and 100 more in report.json").first().isVisible()).toBe(true);
    await folded.locator("summary").click();
    expect(await page.locator("#targets tbody tr").count()).toBe(report.evidence.inventory.targets.length);
  });

  it("fetches and runs nothing: one request (the file), no dialog, no error, no CSP violation", () => {
    expect(requests).toEqual([pathToFileURL(file).href]);
    expect(problems).toEqual([]);
  });

  it.each(WIDTHS)(
    "fits a $width px window ($name) without sideways scrolling, folded and unfolded; only the targets table scrolls, in its wrapper",
    async ({ name, width, height }) => {
      await page.setViewportSize({ width, height });
      for (const open of [false, true]) {
        await setDetailsOpen(page, open);
        const overflow = await horizontalOverflow(page);
        await screenshot(page, testOutput(`report-${width}-${name}${open ? "-unfolded" : ""}.png`));
        expect(overflow.innerWidth).toBe(width);
        expect(overflow.scrollWidth).toBeLessThanOrEqual(overflow.innerWidth);
        expect(overflow.offenders).toEqual([]);
        // Whatever scrolls is a table wrapper, never a range list or a paragraph.
        for (const s of overflow.scrolling) expect(s).toBe("div.table-wrap");
        // The long connector name and the IPv6 ranges wrap inside the finding cards.
        for (const box of await page.locator("article.finding").evaluateAll((cards) => cards.map((c) => c.getBoundingClientRect().right)))
          expect(box).toBeLessThanOrEqual(width);
      }
      await setDetailsOpen(page, false);
    },
  );
});
