/** The machine's and the Azurite processes' figures for the scale benchmark, from /proc. */
import { readFileSync } from "node:fs";
import { fmtS, mib } from "./scale-counters.js";

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

export interface CpuFigures {
  self: number;
  /** By Azurite process. */
  azurite: Map<string, number>;
  machine: { busyMs: number; totalMs: number } | undefined;
}

export function cpuFigures(processes: readonly { name: string; pid: number }[]): CpuFigures {
  const { user, system } = process.cpuUsage();
  return {
    self: (user + system) / 1000,
    azurite: new Map(processes.map(({ name, pid }) => [name, processFigures(pid)?.cpuMs ?? 0])),
    machine: machineCpu(),
  };
}

/** CPU time spent between two readings: ours, Azurite's, and the machine's (with what other processes took). */
export function cpuSpent(before: CpuFigures, after: CpuFigures) {
  const ours = after.self - before.self;
  const azuriteMs = [...after.azurite].map(([name, ms]) => [name, ms - (before.azurite.get(name) ?? 0)] as const);
  const azuriteTotal = azuriteMs.reduce((sum, [, ms]) => sum + ms, 0);
  const machine =
    before.machine && after.machine
      ? { busy: after.machine.busyMs - before.machine.busyMs, all: after.machine.totalMs - before.machine.totalMs }
      : undefined;
  return { ours, azuriteMs, azuriteTotal, machine, others: machine && Math.max(0, machine.busy - ours - azuriteTotal) };
}

export function describeCpu(spent: ReturnType<typeof cpuSpent>, wallMs: number): string {
  const parts = [`this process ${fmtS(spent.ours)} (${((spent.ours / wallMs) * 100).toFixed(0)}% of one CPU)`];
  for (const [name, ms] of spent.azuriteMs) parts.push(`${name} ${fmtS(ms)} (${((ms / wallMs) * 100).toFixed(0)}%)`);
  if (spent.machine && spent.others !== undefined) {
    const { busy, all } = spent.machine;
    parts.push(`machine busy ${fmtS(busy)} of ${fmtS(all)} (${((busy / all) * 100).toFixed(0)}%), other processes ${fmtS(spent.others)}`);
  }
  return parts.join(", ");
}

export function azuriteMemory(processes: readonly { name: string; pid: number }[]): string {
  const figures = processes.map(({ name, pid }) => `${name} ${mib(processFigures(pid)?.peakRssBytes ?? 0)}`);
  return figures.join(", ");
}
