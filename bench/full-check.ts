/**
 * One full `mailflow-guard check` in this process, as an admin runs it:
 * read and validate the inventory, store it, take the feed from a saved
 * /endpoints response, evaluate, write the report and scripts. Prints one
 * JSON line with the wall time and the peak resident memory, which is why
 * it runs as its own process.
 *
 * With JSON-FILE, also writes the `--json` output there, as
 * `mailflow-guard check --json > JSON-FILE` would (the wall time includes
 * the write; the memory figure too).
 *
 * Usage: node dist/bench/full-check.js INVENTORY FEED-FILE WORK-DIR [JSON-FILE]
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { cli } from "../src/cli/cli.js";

const [inventory, feedFile, workDir, jsonFile] = process.argv.slice(2);
if (!inventory || !feedFile || !workDir) throw new Error("usage: full-check INVENTORY FEED-FILE WORK-DIR [JSON-FILE]");

let stderr = "";
let stdout = "";
const started = performance.now();
const exitCode = await cli(
  [
    "check",
    "--inventory",
    inventory,
    "--feed-file",
    feedFile,
    "--feed-version",
    "2025060100",
    "--state",
    join(workDir, "state"),
    "--out",
    join(workDir, "out"),
    "--json",
  ],
  {
    stdout: jsonFile
      ? (text) => {
          stdout += text;
        }
      : () => {},
    stderr: (text) => {
      stderr += text;
    },
    env: {},
    cwd: workDir,
  },
);
if (jsonFile) writeFileSync(jsonFile, stdout);
const ms = performance.now() - started;
process.stdout.write(`${JSON.stringify({ ms, exitCode, stderr, peakRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
