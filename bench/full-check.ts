/**
 * One full `mailflow-guard check` in this process, as an admin runs it:
 * read and validate the inventory, store it, take the feed from a saved
 * /endpoints response, evaluate, write the report and scripts. Prints one
 * JSON line with the wall time and the peak resident memory, which is why
 * it runs as its own process.
 *
 * Usage: node dist/bench/full-check.js INVENTORY FEED-FILE WORK-DIR
 */
import { join } from "node:path";
import { cli } from "../src/cli/cli.js";

const [inventory, feedFile, workDir] = process.argv.slice(2);
if (!inventory || !feedFile || !workDir) throw new Error("usage: full-check INVENTORY FEED-FILE WORK-DIR");

let stderr = "";
const started = performance.now();
const exitCode = await cli(
  ["check", "--inventory", inventory, "--feed-file", feedFile, "--feed-version", "2025060100", "--state", join(workDir, "state"), "--out", join(workDir, "out"), "--json"],
  { stdout: () => {}, stderr: (text) => void (stderr += text), env: {}, cwd: workDir },
);
const ms = performance.now() - started;
process.stdout.write(JSON.stringify({ ms, exitCode, stderr, peakRssBytes: process.resourceUsage().maxRSS * 1024 }) + "\n");
