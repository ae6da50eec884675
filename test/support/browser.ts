/**
 * Headless Debian chromium driven by playwright-core, for the tests that need
 * a real browser: report.html at a desktop and a phone width, and Adaptive
 * Cards rendered by Microsoft's own renderer. There is no downloaded browser:
 * the tests use /usr/bin/chromium from Debian's `chromium` package, which
 * `.ci/run` installs, and fail (never skip) without it.
 *
 * The tsconfig has no DOM library, so the functions that run in the page
 * describe the few DOM members they use in the interfaces below.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { evaluate } from "../../src/check/evaluate.js";
import type { InventoryInput } from "../../src/inventory/inventory.js";
import { EOP_WORLDWIDE } from "./feed.js";
import { observations } from "./observations.js";

export const CHROMIUM = "/usr/bin/chromium";

/**
 * No GPU, no sandbox (CI runs as root), and nothing that phones home: on a
 * closed network Chromium's background connections are refused, many at a
 * time. Playwright gives every launch a new empty profile (its own
 * `--user-data-dir` in a temporary directory, removed on close); it refuses
 * the flag in `args`. /dev/shm is small in many containers, so shared memory
 * goes to /tmp.
 */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

/** Where browser tests leave what a person may want to look at (screenshots, the rendered pages); kept after the run, ignored by git. */
export const TEST_OUTPUT = fileURLToPath(new URL("../../test-output/browser/", import.meta.url));

export function testOutput(name: string): string {
  mkdirSync(TEST_OUTPUT, { recursive: true });
  return `${TEST_OUTPUT}${name}`;
}

/** One browser per test file: launch it in beforeAll, close it in afterAll. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `the browser tests need Debian's chromium at ${CHROMIUM}, and it is not installed: ` +
        "apt-get update && apt-get install -y --no-install-recommends chromium (.ci/run does this)",
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 30_000 });
}

/** What sticks out of the viewport on the right (or left) and is not inside something that scrolls or clips it. */
export interface Overflow {
  innerWidth: number;
  scrollWidth: number;
  /** `tag#id.class` of each offending element, with its right edge. */
  offenders: string[];
  /** The scroll wrappers whose content is wider than they are (they scroll, as they should). */
  scrolling: string[];
}

interface Rect {
  left: number;
  right: number;
  width: number;
  height: number;
}
interface InPageElement {
  tagName: string;
  scrollHeight: number;
  id: string;
  className: unknown;
  parentElement: InPageElement | null;
  scrollWidth: number;
  clientWidth: number;
  getBoundingClientRect(): Rect;
}
interface InPageWindow {
  innerWidth: number;
  document: { documentElement: InPageElement; body: InPageElement; querySelectorAll(selector: string): ArrayLike<InPageElement> };
  getComputedStyle(element: InPageElement): { overflowX: string; display: string; visibility: string };
}

/** Measures the page as it is laid out now. */
export function horizontalOverflow(page: Page): Promise<Overflow> {
  return page.evaluate(() => {
    const w = globalThis as unknown as InPageWindow;
    const label = (e: InPageElement) =>
      `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ""}` +
      `${typeof e.className === "string" && e.className ? `.${e.className.trim().replace(/\s+/g, ".")}` : ""}`;
    const scrolls = (e: InPageElement) => ["auto", "scroll", "hidden", "clip"].includes(w.getComputedStyle(e).overflowX);
    const clipped = (e: InPageElement) => {
      for (let a = e.parentElement; a && a !== w.document.body; a = a.parentElement) if (scrolls(a)) return true;
      return false;
    };
    const offenders: string[] = [];
    const scrolling: string[] = [];
    for (const e of Array.from(w.document.querySelectorAll("body *"))) {
      const style = w.getComputedStyle(e);
      if (style.display === "none" || style.visibility === "hidden") continue;
      const r = e.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (scrolls(e) && e.scrollWidth > e.clientWidth) scrolling.push(label(e));
      if ((r.right > w.innerWidth + 0.5 || r.left < -0.5) && !clipped(e))
        offenders.push(`${label(e)} (${Math.round(r.left)}–${Math.round(r.right)})`);
    }
    return { innerWidth: w.innerWidth, scrollWidth: w.document.documentElement.scrollWidth, offenders, scrolling };
  });
}

/** Opens or closes every `<details>` of the page, as a reader clicking each would. */
export async function setDetailsOpen(page: Page, open: boolean): Promise<void> {
  await page.locator("details").evaluateAll((all, value) => {
    for (const d of all as unknown as { open: boolean }[]) d.open = value;
  }, open);
}

/** Chromium cannot capture a page taller than its largest texture; a taller page is captured from the top. */
const MAX_SCREENSHOT_HEIGHT = 16_000;

/**
 * A screenshot of the whole page (or of its first 16,000 px), saved to `path`.
 * The viewport is made as tall as the page for it, then put back: Playwright's
 * `fullPage` capture beyond the viewport took over a minute for a report with
 * a thousand unfolded ranges in Debian's Chromium 156, the tall viewport under
 * two seconds.
 */
export async function screenshot(page: Page, path: string): Promise<void> {
  const viewport = page.viewportSize();
  if (!viewport) throw new Error("screenshot needs a page with a fixed viewport");
  const height = await page.evaluate(() => (globalThis as unknown as InPageWindow).document.documentElement.scrollHeight);
  try {
    await page.setViewportSize({ width: viewport.width, height: Math.max(viewport.height, Math.min(height, MAX_SCREENSHOT_HEIGHT)) });
    await page.screenshot({ path });
  } finally {
    await page.setViewportSize(viewport);
  }
}

const require = createRequire(import.meta.url);
/** The renderer's browser bundle (UMD: it defines `window.AdaptiveCards`, and needs nothing else). */
export const ADAPTIVECARDS_BUNDLE = require.resolve("adaptivecards/dist/adaptivecards.min.js");

/** One event of the renderer's parse or validation. */
export interface CardEvent {
  phase: string;
  event: string;
  message: string;
}

export interface RenderedCard {
  /** Events that mean the card is not what was meant: an unknown element or action, a missing or invalid property… */
  errors: CardEvent[];
  /** Hints and deprecations. */
  warnings: CardEvent[];
  /** Whether render() produced an element. */
  rendered: boolean;
  /** The rendered card's text, as the browser lays it out (innerText). */
  text: string;
  /** The rendered card's width and the width of the host it was rendered into. */
  width: number;
  hostWidth: number;
}

/** Events that only advise. Everything else the renderer reports is an error of the card. */
const ADVICE = ["Hint", "Deprecated"];

interface AcEvent {
  phase: number;
  event: number;
  message: string;
}
interface AcCard {
  parse(source: unknown, context: { eventCount: number; getEventAt(i: number): AcEvent }): void;
  validateProperties(): { validationEvents: AcEvent[] };
  render(): (InPageElement & { innerText: string }) | undefined;
}
interface AdaptiveCardsModule {
  AdaptiveCard: (new () => AcCard) & { onProcessMarkdown?: (text: string, result: { didProcess: boolean; outputHtml?: string }) => void };
  SerializationContext: new () => { eventCount: number; getEventAt(i: number): AcEvent };
  ValidationEvent: Record<number, string>;
  ValidationPhase: Record<number, string>;
}
interface CardWindow {
  AdaptiveCards?: AdaptiveCardsModule;
  document: {
    body: { appendChild(e: unknown): void };
    getElementById(id: string): ({ remove(): void } & object) | null;
    createElement(tag: string): InPageElement & { id: string; style: { width: string; padding: string }; appendChild(e: unknown): void };
  };
}

/**
 * Parses `card` (the card itself, not the message around it) with the
 * `adaptivecards` renderer in `page`, validates it, and renders it into a host
 * `hostWidth` px wide (Teams' narrowest cards are about 320 px) that stays on
 * the page for a screenshot (`#card-host`). The renderer is loaded into the
 * page the first time. Text is shown as plain text, as a host without a
 * Markdown processor does.
 */
export async function renderAdaptiveCard(page: Page, card: unknown, hostWidth = 480): Promise<RenderedCard> {
  if (!(await page.evaluate(() => "AdaptiveCards" in globalThis))) await page.addScriptTag({ path: ADAPTIVECARDS_BUNDLE });
  const result = await page.evaluate(
    ({ json, width }) => {
      const w = globalThis as unknown as CardWindow;
      const AC = w.AdaptiveCards!;
      const events: { phase: string; event: string; message: string }[] = [];
      const name = (e: AcEvent, phase: number) => ({
        phase: AC.ValidationPhase[phase] ?? String(phase),
        event: AC.ValidationEvent[e.event] ?? String(e.event),
        message: e.message,
      });
      const card = new AC.AdaptiveCard();
      const context = new AC.SerializationContext();
      card.parse(json, context);
      for (let i = 0; i < context.eventCount; i++) {
        const e = context.getEventAt(i);
        events.push(name(e, e.phase));
      }
      for (const e of card.validateProperties().validationEvents) events.push(name(e, e.phase ?? 2));
      w.document.getElementById("card-host")?.remove();
      const host = w.document.createElement("div");
      host.id = "card-host";
      host.style.width = `${width}px`;
      host.style.padding = "0";
      w.document.body.appendChild(host);
      const element = card.render();
      if (element) host.appendChild(element);
      return {
        events,
        rendered: element !== undefined,
        // biome-ignore lint/performance/useDomNodeTextContent: the text as laid out, without what the card hides, is the point
        text: element?.innerText ?? "",
        width: element ? element.getBoundingClientRect().width : 0,
        hostWidth: host.getBoundingClientRect().width,
      };
    },
    { json: card, width: hostWidth },
  );
  const { events, ...rest } = result;
  const errors = [...events.filter((e) => !ADVICE.includes(e.event)), ...missingRequired(card)];
  return { ...rest, errors, warnings: events.filter((e) => ADVICE.includes(e.event)) };
}

/**
 * Properties the Adaptive Card schema requires, by type, that the renderer
 * does not report when missing: it drops a TextBlock without text or a
 * FactSet without facts silently, and Teams shows a card with a hole.
 */
const REQUIRED: Readonly<Record<string, readonly string[]>> = {
  AdaptiveCard: ["version"],
  TextBlock: ["text"],
  RichTextBlock: ["inlines"],
  TextRun: ["text"],
  Image: ["url"],
  ImageSet: ["images"],
  FactSet: ["facts"],
  Container: ["items"],
  ActionSet: ["actions"],
  Media: ["sources"],
  "Action.OpenUrl": ["url"],
  "Action.ToggleVisibility": ["targetElements"],
  "Input.Text": ["id"],
  "Input.Number": ["id"],
  "Input.Date": ["id"],
  "Input.Time": ["id"],
  "Input.Toggle": ["id", "title"],
  "Input.ChoiceSet": ["id"],
};

/** Each object with a `type` in the card, checked for the properties its type requires: present, and not empty. */
function missingRequired(card: unknown): CardEvent[] {
  const events: CardEvent[] = [];
  const walk = (value: unknown, path: string) => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        walk(item, `${path}[${i}]`);
      });
      return;
    }
    if (typeof value !== "object" || value === null) return;
    const o = value as Record<string, unknown>;
    const type = typeof o.type === "string" ? o.type : undefined;
    for (const property of (type && REQUIRED[type]) ?? []) {
      const v = o[property];
      if (v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0))
        events.push({
          phase: "Schema",
          event: "MissingRequiredProperty",
          message: `${path || "card"} (${type}): ${property} is required and not empty`,
        });
    }
    if (type === "FactSet" && Array.isArray(o.facts))
      o.facts.forEach((f: unknown, i) => {
        const fact = (typeof f === "object" && f !== null ? f : {}) as Record<string, unknown>;
        for (const property of ["title", "value"])
          if (typeof fact[property] !== "string")
            events.push({ phase: "Schema", event: "MissingRequiredProperty", message: `${path}.facts[${i}]: ${property} is required` });
      });
    for (const [key, child] of Object.entries(o)) walk(child, path ? `${path}.${key}` : key);
  };
  walk(card, "");
  return events;
}

// The check the browser tests render: the demo tenant on two days, with the names and lists that strain a layout.

const demo = JSON.parse(readFileSync(new URL("../../examples/demo/inventory.json", import.meta.url), "utf8")) as InventoryInput;

/** 600 single IPv6 addresses 2 apart: none merge, so the stale list is longer than a report shows. */
const LONG_STALE = Array.from({ length: 600 }, (_, i) => `2001:db8:aaaa:bbbb:cccc:dddd:eeee:${(i * 2).toString(16)}`);
export const HOSTILE_CONNECTOR = 'EX02\\<script>alert(1)</script>"onload=alert(2)';
/** 63 characters after the server; Exchange allows 64. */
export const LONG_CONNECTOR = "EX01\\Inbound from Office 365 through the edge transport pool west";

/**
 * The demo inventory with one more connector with a long name and one with a
 * hostile one, and an exact allowlist of hundreds of stale IPv6 addresses.
 * Day 2: the long-named connector allows one more stale range (its stale
 * finding changed) and the hostile one got the EOP ranges it lacked (resolved).
 */
function inventory(day: 1 | 2): Partial<InventoryInput> {
  const [eop, frontend] = demo.receiveConnectors!;
  return {
    ...demo,
    receiveConnectors: [
      eop!,
      { ...frontend!, protected: frontend!.protected ?? [] },
      {
        identity: LONG_CONNECTOR,
        mode: "exact",
        remoteIPRanges: ["40.92.0.0/15", "2a01:111:f400::/48", "198.51.100.0/24", ...(day === 2 ? ["203.0.113.0/24"] : [])],
        protected: [],
      },
      { identity: HOSTILE_CONNECTOR, mode: "superset", remoteIPRanges: day === 1 ? ["40.92.0.0/15"] : EOP_WORLDWIDE, protected: [] },
    ],
    allowlists: [...demo.allowlists!, { name: "edge-fw smtp-in v6", mode: "exact", entries: ["2a01:111:f400::/48", ...LONG_STALE], protected: [] }],
  };
}

/** Two daily checks against the Worldwide EOP set with a channel configured: the first finds everything new, the second a change and a resolution. */
export function twoDailyChecks(): { first: ReturnType<typeof evaluate>; second: ReturnType<typeof evaluate> } {
  const first = evaluate(observations(inventory(1), { eopRanges: EOP_WORLDWIDE }), { history: { previous: undefined, canAlert: true } });
  const second = evaluate(
    { ...observations(inventory(2), { eopRanges: EOP_WORLDWIDE }), at: new Date("2026-11-23T06:00:00Z") },
    { history: { previous: first.next, canAlert: true } },
  );
  return { first, second };
}
