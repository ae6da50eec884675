/** The machine's and the Azurite processes' figures for the scale benchmark, from /proc. */
import { readFileSync } from "node:fs";

/** A process's CPU time (user + system) in ms and its peak resident memory in bytes, from /proc; undefined elsewhere. */
export function processFigures(pid: number): { cpuMs: number; peakRssBytes: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    // USER_HZ is 100 on every Linux this runs on.
    return { cpuMs: ticks * 10, peakRssBytes: Number(hwm ?? 0) * 1024 };
  } catch {
    return undefined;
  }
}

/** The machine's busy and total CPU time in ms, summed over its CPUs, from /proc/stat; undefined elsewhere. */
export function machineCpu(): { busyMs: number; totalMs: number } | undefined {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: idle and iowait are not busy; guest time is already in user.
    const all = ticks.slice(0, 8).reduce((sum, t) => sum + t, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return { busyMs: (all - idle) * 10, totalMs: all * 10 };
  } catch {
    return undefined;
  }
}
