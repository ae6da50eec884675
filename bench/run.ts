/**
 * `npm run bench` (`npm run -s build && node dist/bench/run.js`): figures are
 * medians, each compared with its obvious alternative in the same run; these
 * machines are shared and noisy, so read the ratios rather than the absolute
 * numbers. Sections, in order:
 *
 * 1. Range engine, in this process, 200,000 entries (bench/workload.ts):
 *    parse, merge into the minimal CIDR cover, and drift against the EOP
 *    set, against `ipaddr.js` and `cidr-tools`, checking the results agree;
 *    then every entry form (a-b ranges too) through parse, merge and cover.
 * 2. Start-up (bench/startup.ts): `node -e 0`, `mailflow-guard --help` and a
 *    `check` of the demo inventory (the package's `bin`), each as its own
 *    process, median of 9 after a warm-up; goal: within 2.5× the bare start.
 * 3. Full check (bench/full-check.ts in a child process, median of 3): a
 *    200,000-entry allowlist in superset mode (goal: under 1 s and 300 MiB
 *    peak RSS) and, for reference, the same list in exact mode.
 * 5. (printed after section 1) Exchange exports (bench/exchange-exports.ts):
 *    400 receive connectors as Export-Clixml wrote them against the same as
 *    JSON, read into the raw inventory `check` takes.
 * 4. Against Python (bench/versus-python.ts): the full check of 200,000
 *    entries over four allowlists (two exact, two superset) against
 *    bench/check.py, a stdlib `ipaddress` script, each in its own process,
 *    median of 3: wall times, ratio ours/python (goal: at most 0.25×), peak
 *    RSS (ours under 300 MiB), and whether the findings are identical.
 *
 * The exit code is 1 when the findings differ from Python's (FINDINGS
 * DIFFER), when the superset full check misses its goal, or when our peak
 * RSS in section 4 reaches 300 MiB; the other goals (and section 1's
 * RESULTS DIFFER) are printed only. Section 4 needs python3 (3.11, stdlib
 * only) and is skipped without it.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { excludeCidr, mergeCidr, parseCidr } from "cidr-tools";
import ipaddr from "ipaddr.js";
import { parseRange, RangeSet } from "../src/ip/index.js";
import { exchangeExportsSection } from "./exchange-exports.js";
import { startupSection } from "./startup.js";
import { versusPythonSection } from "./versus-python.js";
import { allowlistEntries, largeInventory } from "./workload.js";

const ENTRIES = 200_000;
const RUNS = 5;
const GOAL_MS = 1000;
const GOAL_RSS_BYTES = 300 * 1024 * 1024;
const EOP = ["40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17", "2a01:111:f400::/48", "2a01:111:f403::/48"];
const root = fileURLToPath(new URL("../../", import.meta.url));
const feedFile = join(root, "examples/demo/feed/endpoints-worldwide.json");

/** Median wall time of `RUNS` runs after one warm-up; `result` is the last run's value. */
function measure<T>(work: () => T): { ms: number; result: T } {
  let result = work();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    result = work();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(RUNS / 2)]!, result };
}

const fmt = (ms: number) => `${ms.toFixed(1).padStart(8)} ms`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const sameCidrs = (a: readonly string[], b: readonly string[]) => RangeSet.parse(a).equals(RangeSet.parse(b));

function compare(title: string, ours: () => string[] | number, theirs: [string, () => string[] | number][]): void {
  const mine = measure(ours);
  console.log(`\n${title}`);
  console.log(`  mailflow-guard   ${fmt(mine.ms)}`);
  for (const [name, work] of theirs) {
    const other = measure(work);
    const agree =
      Array.isArray(mine.result) && Array.isArray(other.result) ? (sameCidrs(mine.result, other.result) ? "same result" : "RESULTS DIFFER") : "";
    console.log(`  ${name.padEnd(16)} ${fmt(other.ms)}   ${(other.ms / mine.ms).toFixed(1)}× slower   ${agree}`);
  }
}

console.log(`mailflow-guard benchmark · Node ${process.version} · ${ENTRIES.toLocaleString("en")} entries · median of ${RUNS} runs`);

// The libraries read CIDRs and single addresses only, so the comparison leaves out a-b ranges.
const cidrs = allowlistEntries(ENTRIES, { cidrOnly: true });
const mixed = allowlistEntries(ENTRIES);
const eopSet = RangeSet.parse(EOP);

compare(`Parse ${ENTRIES.toLocaleString("en")} entries (IPv4 and IPv6 addresses and CIDRs)`, () => cidrs.map(parseRange).length, [
  ["ipaddr.js", () => cidrs.map((e) => (e.includes("/") ? ipaddr.parseCIDR(e) : ipaddr.parse(e))).length],
  ["cidr-tools", () => cidrs.map((e) => parseCidr(e)).length],
]);

compare("Merge into the minimal CIDR cover", () => RangeSet.parse(cidrs).toCidrs(), [["cidr-tools", () => mergeCidr(cidrs)]]);

compare("Drift of the allowlist against the EOP set (missing = EOP − allowlist, stale = allowlist − EOP)", () => {
  const allowlist = RangeSet.parse(cidrs);
  return [...eopSet.subtract(allowlist).toCidrs(), ...allowlist.subtract(eopSet).toCidrs()];
}, [["cidr-tools", () => [...excludeCidr(EOP, cidrs), ...excludeCidr(cidrs, EOP)]]]);

const everyForm = measure(() => RangeSet.parse(mixed).toCidrs().length);
console.log(`\nEvery form Exchange accepts, a-b ranges included (no library above reads them): ${fmt(everyForm.ms)} for parse, merge and cover`);

exchangeExportsSection(root, measure, fmt);

startupSection(root);

console.log(
  `\nFull check: mailflow-guard check of an inventory with a ${ENTRIES.toLocaleString("en")}-entry firewall allowlist, in its own process (median ` +
    `of 3)`,
);
const SCENARIOS = [
  { mode: "superset", title: "allowlist in superset mode (must contain EOP)", goal: true },
  // Every entry of a 200,000-entry "exact" list is stale: the report lists ~330,000 ranges and 200,000 removals.
  { mode: "exact", title: "worst case: the same list in exact mode, all stale", goal: false },
] as const;
const work = await mkdtemp(join(tmpdir(), "mailflow-guard-bench-"));
let failed = false;
try {
  for (const scenario of SCENARIOS) {
    const inventory = join(work, `inventory-${scenario.mode}.json`);
    await writeFile(inventory, JSON.stringify(largeInventory(mixed, scenario.mode)));
    const runs: { ms: number; peakRssBytes: number; exitCode: number; stderr: string }[] = [];
    for (let i = 0; i < 3; i++) {
      const dir = await mkdtemp(join(work, "run-"));
      const child = spawnSync(process.execPath, [join(root, "dist/bench/full-check.js"), inventory, feedFile, dir], { encoding: "utf8" });
      if (child.status !== 0) throw new Error(`the full check failed: ${child.stderr.trim()}`);
      runs.push(JSON.parse(child.stdout) as (typeof runs)[number]);
    }
    const bad = runs.find((r) => r.exitCode !== 2);
    if (bad) throw new Error(`the full check should find drift (exit 2) but exited ${bad.exitCode}: ${bad.stderr.trim()}`);
    const ms = runs.map((r) => r.ms).sort((a, b) => a - b)[1]!;
    const rss = Math.max(...runs.map((r) => r.peakRssBytes));
    const ok = ms < GOAL_MS && rss < GOAL_RSS_BYTES;
    if (scenario.goal) failed ||= !ok;
    const verdict = scenario.goal ? (ok ? "meets the goal" : "MISSES THE GOAL") : "";
    console.log(`  ${scenario.title.padEnd(52)} ${fmt(ms)}   peak RSS ${mib(rss).padStart(8)}   ${verdict}`);
  }
  console.log(`  goal: under ${GOAL_MS} ms and ${mib(GOAL_RSS_BYTES)} peak RSS (Node itself included)`);

  const versus = versusPythonSection(root, work, ENTRIES, feedFile, GOAL_RSS_BYTES);
  if (!versus.identical || (versus.ran && versus.oursRssBytes >= GOAL_RSS_BYTES)) failed = true;
} finally {
  await rm(work, { recursive: true, force: true });
}
if (failed) process.exitCode = 1;
