/**
 * A CPU profile of this process over part of the benchmark (node:inspector),
 * written as a .cpuprofile for Chrome DevTools and summed up in a few lines:
 * self time by where the code lives (our modules, each package, Node itself,
 * GC, idle) and the functions that took most.
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export async function startProfiler(): Promise<{ stop(file: string): Promise<string> }> {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 500 });
  await session.post("Profiler.start");
  return {
    async stop(file) {
      const { profile } = (await session.post("Profiler.stop")) as unknown as { profile: Profile };
      session.disconnect();
      writeFileSync(file, JSON.stringify(profile));
      return `${file}\n${summary(profile)}`;
    },
  };
}

/** Where a frame's code lives: `src/state`, `@azure/core-rest-pipeline`, `node:internal`, `(garbage collector)`… */
function place(url: string, name: string): string {
  if (!url) return name.startsWith("(") ? name : "(native)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  const ours = /\/dist\/((?:src|bench|test)\/[^/]+)/.exec(url)?.[1];
  if (ours) return ours;
  if (url.startsWith("node:")) return "node";
  return url;
}

function summary(profile: Profile): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const byPlace = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let all = 0;
  for (const [id, us] of self) {
    const { callFrame } = byId.get(id)!;
    all += us;
    const where = place(callFrame.url, callFrame.functionName);
    byPlace.set(where, (byPlace.get(where) ?? 0) + us);
    const fn = `${callFrame.functionName || "(anonymous)"} ${where}${callFrame.url ? `:${callFrame.lineNumber + 1}` : ""}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  const top = (map: Map<string, number>, n: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([key, us]) => `    ${((us / all) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`)
      .join("\n");
  return `  self time by place (${(all / 1e6).toFixed(1)} s sampled):\n${top(byPlace, 16)}\n  top functions:\n${top(byFunction, 25)}`;
}
