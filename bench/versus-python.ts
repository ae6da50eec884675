/**
 * The full `mailflow-guard check` of a 200,000-entry inventory (four
 * allowlists, two exact and two superset) against `bench/check.py`, the same
 * check written with Python's standard `ipaddress` module, each in its own
 * process, interleaved, in the same run. Prints both wall times, the ratio,
 * both peak RSS figures, and whether the two agree finding for finding.
 */
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RangeSet } from "../src/ip/index.js";
import { fourAllowlistInventory } from "./workload.js";

const RUNS = 3;
/** Our wall time should be at most this share of Python's. */
export const PYTHON_GOAL_RATIO = 0.25;

type Drift = Record<string, { missing: string[]; stale: string[] }>;

interface Measured {
  wallMs: number;
  innerMs: number;
  peakRssBytes: number;
}

export interface VersusPythonResult {
  /** False when python3 is not on this machine. */
  ran: boolean;
  identical: boolean;
  oursRssBytes: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const ms = (value: number) => `${value.toFixed(1).padStart(8)} ms`;

/** `work` is a scratch directory the caller removes. */
export function versusPythonSection(root: string, work: string, entries: number, feedFile: string, goalRssBytes: number): VersusPythonResult {
  const inventory = fourAllowlistInventory(entries);
  const total = inventory.allowlists.reduce((sum, list) => sum + list.entries.length, 0);
  const exact = inventory.allowlists.filter((list) => list.mode === "exact").length;
  console.log(
    `\nFull check against Python's ipaddress (bench/check.py): ${total.toLocaleString("en")} entries over ${inventory.allowlists.length} ` +
      `allowlists ` +
      `(${exact} exact, ${inventory.allowlists.length - exact} superset), each in its own process (median of ${RUNS}, interleaved)`,
  );
  const python = spawnSync("python3", ["--version"], { encoding: "utf8" });
  if (python.status !== 0) {
    console.log(`  skipped: python3 is not available (${(python.error?.message ?? python.stderr).trim()})`);
    return { ran: false, identical: true, oursRssBytes: 0 };
  }

  const inventoryFile = join(work, "inventory-four-allowlists.json");
  writeFileSync(inventoryFile, JSON.stringify(inventory));
  const script = join(root, "bench/check.py");
  const names = inventory.allowlists.map((list) => list.name);

  const oursRuns: Measured[] = [];
  const pythonRuns: Measured[] = [];
  let oursDrift: Drift | undefined;
  let pythonDrift: Drift | undefined;
  for (let i = 0; i < RUNS; i++) {
    {
      const dir = mkdtempSync(join(work, "ours-"));
      const jsonFile = join(dir, "check.json");
      const started = performance.now();
      const child = spawnSync(process.execPath, [join(root, "dist/bench/full-check.js"), inventoryFile, feedFile, dir, jsonFile], {
        encoding: "utf8",
      });
      const wallMs = performance.now() - started;
      if (child.status !== 0) throw new Error(`the full check failed: ${child.stderr.trim()}`);
      const result = JSON.parse(child.stdout) as { ms: number; exitCode: number; stderr: string; peakRssBytes: number };
      if (result.exitCode !== 2) throw new Error(`the full check should find drift (exit 2) but exited ${result.exitCode}: ${result.stderr.trim()}`);
      oursRuns.push({ wallMs, innerMs: result.ms, peakRssBytes: result.peakRssBytes });
      oursDrift ??= fromFindings((JSON.parse(readFileSync(jsonFile, "utf8")) as { findings?: OurFinding[] }).findings ?? [], names);
    }
    {
      const outFile = join(work, `python-${i}.json`);
      const out = openSync(outFile, "w");
      const started = performance.now();
      const child = spawnSync("python3", [script, inventoryFile, feedFile], { stdio: ["ignore", out, "pipe"], encoding: "utf8" });
      const wallMs = performance.now() - started;
      closeSync(out);
      if (child.status !== 0) throw new Error(`bench/check.py failed: ${child.stderr.trim()}`);
      const result = JSON.parse(child.stderr.trim().split("\n").pop()!) as { ms: number; peakRssBytes: number };
      pythonRuns.push({ wallMs, innerMs: result.ms, peakRssBytes: result.peakRssBytes });
      pythonDrift ??= JSON.parse(readFileSync(outFile, "utf8")) as Drift;
    }
  }

  const ours = summarise(oursRuns);
  const theirs = summarise(pythonRuns);
  const ratio = ours.wallMs / theirs.wallMs;
  const innerRatio = ours.innerMs / theirs.innerMs;
  const rssOk = ours.peakRssBytes < goalRssBytes;
  console.log(
    `  mailflow-guard check   ${ms(ours.wallMs)} wall (${ms(ours.innerMs).trim()} in-process)   peak RSS ${mib(ours.peakRssBytes).padStart(8)}   ` +
      `${rssOk ? "under" : "OVER"} ${mib(goalRssBytes)}`,
  );
  console.log(
    `  python3 check.py       ${ms(theirs.wallMs)} wall (${ms(theirs.innerMs).trim()} in-script)    peak RSS ${mib(theirs.peakRssBytes).padStart(8)}`,
  );
  console.log(
    `  ours / python          ${ratio.toFixed(2).padStart(8)}× wall (${innerRatio.toFixed(2)}× in-process)   ` +
      `goal: at most ${PYTHON_GOAL_RATIO}× ` +
      `wall   ${ratio <= PYTHON_GOAL_RATIO ? "meets the goal" : "MISSES THE GOAL"}`,
  );

  const differences = compareDrift(oursDrift!, pythonDrift!, names);
  if (differences.length === 0) {
    const count = (field: "missing" | "stale") => names.reduce((sum, name) => sum + oursDrift![name]![field].length, 0);
    console.log(
      `  findings: IDENTICAL (${names.length} allowlists: ${count("missing")} missing and ${count("stale").toLocaleString("en")} stale ranges)`,
    );
  } else {
    console.log(`\n  !!! FINDINGS DIFFER between mailflow-guard and bench/check.py !!!`);
    for (const line of differences) console.log(`    ${line}`);
    console.log("");
  }
  return { ran: true, identical: differences.length === 0, oursRssBytes: ours.peakRssBytes };
}

function summarise(runs: Measured[]): Measured {
  return {
    wallMs: median(runs.map((r) => r.wallMs)),
    innerMs: median(runs.map((r) => r.innerMs)),
    peakRssBytes: Math.max(...runs.map((r) => r.peakRssBytes)),
  };
}

/** A finding of `check --json`: `{rule, target, targetKind, ranges}` today, `{rule, subject: {kind, name}, ranges}` next. */
interface OurFinding {
  rule: string;
  ranges?: string[];
  target?: string;
  targetKind?: string;
  subject?: { kind?: string; name?: string };
}

/** Our findings in the script's shape: every allowlist, with empty lists where nothing drifted. */
function fromFindings(findings: OurFinding[], names: string[]): Drift {
  const drift: Drift = Object.fromEntries(names.map((name) => [name, { missing: [], stale: [] }]));
  for (const finding of findings) {
    if (finding.rule !== "missing-eop-range" && finding.rule !== "stale-eop-range") continue;
    const kind = finding.subject?.kind ?? finding.targetKind;
    if (kind !== undefined && kind !== "allowlist") continue;
    const name = finding.subject?.name ?? finding.target ?? "(no name)";
    const entry = drift[name] ?? { missing: [], stale: [] };
    drift[name] = entry;
    entry[finding.rule === "missing-eop-range" ? "missing" : "stale"].push(...(finding.ranges ?? []));
  }
  return drift;
}

/** One line per difference; empty when identical, string for string. */
function compareDrift(ours: Drift, theirs: Drift, names: string[]): string[] {
  const lines: string[] = [];
  const all = [...new Set([...names, ...Object.keys(ours), ...Object.keys(theirs)])];
  for (const name of all) {
    const a = ours[name];
    const b = theirs[name];
    if (!a || !b) {
      lines.push(`${JSON.stringify(name)}: only in ${a ? "mailflow-guard" : "check.py"}`);
      continue;
    }
    for (const field of ["missing", "stale"] as const) {
      const x = a[field];
      const y = b[field];
      if (x.length === y.length && x.every((v, i) => v === y[i])) continue;
      const at = x.findIndex((v, i) => v !== y[i]);
      const first = at < 0 ? x.length : at;
      let sameAddresses = "";
      try {
        sameAddresses = RangeSet.parse(x).equals(RangeSet.parse(y)) ? "; the same addresses, written differently" : "; different addresses";
      } catch (error) {
        sameAddresses = `; cannot compare addresses: ${(error as Error).message}`;
      }
      lines.push(
        `${JSON.stringify(name)} ${field}: mailflow-guard ${x.length} ranges, check.py ${y.length}; first difference at [${first}]: ` +
          `${JSON.stringify(x[first] ?? null)} vs ${JSON.stringify(y[first] ?? null)}${sameAddresses}`,
      );
    }
  }
  return lines;
}
