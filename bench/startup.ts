/**
 * Start-up: how long an admin waits for the command line before it does
 * anything, against a bare `node -e 0` measured in the same run. Each
 * command runs as its own child process (after one warm-up of each, rounds
 * interleaved so noise hits all three alike); the figures are medians of
 * wall time as the parent sees it, spawn included. The command is the
 * package's `bin` (what `mailflow-guard` runs), `dist/src/cli/main.js` if
 * package.json names none.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const RUNS = 9;
/** `--help` and a small `check` should start within this multiple of a bare Node. */
export const STARTUP_GOAL_RATIO = 2.5;

interface Command {
  title: string;
  args: (dir: string) => string[];
  /** The exit code that means it worked: `check` of the demo finds drift. */
  exitCode: number;
  goal: boolean;
}

export interface StartupResult {
  title: string;
  ms: number;
  ratio: number;
  goal: boolean;
}

/** The environment without the settings that would send the CLI to another state store. */
function localEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => key !== "MAILFLOW_GUARD_STATE_DIR" && !key.startsWith("AzureWebJobsStorage")),
  );
}

/** The file `mailflow-guard` runs, relative to the root. */
function binPath(root: string): string {
  const { bin } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { bin?: string | Record<string, string> };
  return (typeof bin === "string" ? bin : bin?.["mailflow-guard"]) ?? "dist/src/cli/main.js";
}

/** Runs the start-up measurements, prints them, and returns them; throws if a command fails. */
export function startupSection(root: string): StartupResult[] {
  const bin = binPath(root);
  const main = join(root, bin);
  const commands: Command[] = [
    { title: "node -e 0 (bare start)", args: () => ["-e", "0"], exitCode: 0, goal: false },
    { title: "mailflow-guard --help", args: () => [main, "--help"], exitCode: 0, goal: true },
    {
      title: "mailflow-guard check (the demo inventory)",
      args: (dir) => [
        main,
        "check",
        "--inventory",
        join(root, "examples/demo/inventory.json"),
        "--feed-file",
        join(root, "examples/demo/feed/endpoints-worldwide.json"),
        "--feed-version",
        "2025060100",
        "--state",
        join(dir, "state"),
        "--out",
        join(dir, "out"),
      ],
      exitCode: 2,
      goal: true,
    },
  ];
  const work = mkdtempSync(join(tmpdir(), "mailflow-guard-startup-"));
  try {
    const run = (command: Command): number => {
      // A fresh state and output directory each time, so every run does the same work.
      const dir = mkdtempSync(join(work, "run-"));
      const started = performance.now();
      const child = spawnSync(process.execPath, command.args(dir), { cwd: root, encoding: "utf8", env: localEnv() });
      const ms = performance.now() - started;
      rmSync(dir, { recursive: true, force: true });
      if (child.status !== command.exitCode) {
        throw new Error(
          `start-up: ${command.title} exited ${child.status ?? child.signal} (expected ${command.exitCode}): ` +
            `${(child.stderr || child.error?.message || "").trim()}`,
        );
      }
      return ms;
    };
    for (const command of commands) run(command);
    const times = commands.map(() => [] as number[]);
    for (let i = 0; i < RUNS; i++) {
      for (const [c, command] of commands.entries()) times[c]?.push(run(command));
    }
    const medians = times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!);
    const bare = medians[0]!;
    const results = commands.map((command, c) => ({ title: command.title, ms: medians[c]!, ratio: medians[c]! / bare, goal: command.goal }));

    console.log(`\nStart-up: each command in its own process (mailflow-guard = node ${bin}), wall time (median of ${RUNS} after a warm-up)`);
    for (const r of results) {
      const verdict = r.goal ? (r.ratio <= STARTUP_GOAL_RATIO ? "meets the goal" : "MISSES THE GOAL") : "";
      console.log(`  ${r.title.padEnd(44)} ${r.ms.toFixed(1).padStart(8)} ms   ${r.ratio.toFixed(1).padStart(5)}× bare   ${verdict}`);
    }
    console.log(`  goal: within ${STARTUP_GOAL_RATIO}× the bare start`);
    return results;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
