/**
 * Azurite for the scale benchmark: Blob, Queue and Table in memory, on free
 * ports, started with this Node from the package's bin scripts. By default
 * each service is its own process (`azurite-blob`, `azurite-queue`,
 * `azurite-table`), as the real services do not share one event loop; `single`
 * runs the three in one `azurite` process, as the tests do.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, realpathSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";

const HOST = "127.0.0.1";
export const SERVICES = ["blob", "queue", "table"] as const;
export type Service = (typeof SERVICES)[number];
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;
const START_ATTEMPTS = 3;
/** Azurite's well-known development account; public, and it only works against the emulator. */
const DEV_ACCOUNT = "devstoreaccount1";
const DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/** dist/bench/ → the repository. */
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

export interface Azurite {
  connectionString: string;
  ports: Record<Service, number>;
  /** The processes, for their CPU time and peak memory. */
  processes: { name: string; pid: number }[];
  stop(): Promise<void>;
}

export async function startAzurite(layout: "split" | "single" = "split"): Promise<Azurite> {
  for (let attempt = 1; ; attempt++) {
    const ports = await freePorts();
    const children: ChildProcess[] = [];
    const names = layout === "single" ? ["azurite"] : SERVICES.map((service) => `azurite-${service}`);
    try {
      if (layout === "single") children.push(await launch("azurite", SERVICES, ports));
      else for (const service of SERVICES) children.push(await launch(`azurite-${service}`, [service], ports));
      const endpoint = (service: Service) => `http://${HOST}:${ports[service]}/${DEV_ACCOUNT}`;
      return {
        connectionString:
          `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};` +
          `BlobEndpoint=${endpoint("blob")};QueueEndpoint=${endpoint("queue")};TableEndpoint=${endpoint("table")};`,
        ports,
        processes: children.flatMap((child, i) => (child.pid === undefined ? [] : [{ name: names[i]!, pid: child.pid }])),
        stop: () => Promise.all(children.map(stop)).then(() => undefined),
      };
    } catch (error) {
      await Promise.all(children.map(stop));
      if (attempt >= START_ATTEMPTS || !(error instanceof Error && error.message.includes("EADDRINUSE"))) throw error;
    }
  }
}

async function launch(binName: string, services: readonly Service[], ports: Record<Service, number>): Promise<ChildProcess> {
  // The bin's script with this Node, not whatever `env node` finds on the PATH.
  const bin = realpathSync(`${repoRoot}node_modules/.bin/${binName}`);
  const args = ["--inMemoryPersistence", "--disableTelemetry", "--skipApiVersionCheck"];
  for (const service of services) args.push(`--${service}Host`, HOST, `--${service}Port`, String(ports[service]));
  // The working directory is Azurite's default --location: keep it out of the repository.
  const child = spawn(process.execPath, [bin, ...args], { cwd: tmpdir(), stdio: ["ignore", "pipe", "pipe"] });
  const output = tail(child.stdout, child.stderr);
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await Promise.all(services.map((service) => accepts(ports[service])))).every(Boolean)) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${binName} exited (${child.exitCode ?? child.signalCode}) before accepting connections: ${output() || "(no output)"}`);
    if (Date.now() > deadline) {
      await stop(child);
      throw new Error(`${binName} did not accept connections within ${START_TIMEOUT_MS} ms: ${output() || "(no output)"}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return child;
}

/** Distinct free ports: each listener stays open until all are taken, so none is handed out twice. */
async function freePorts(): Promise<Record<Service, number>> {
  const servers = await Promise.all(
    SERVICES.map(
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once("error", reject);
          server.listen(0, HOST, () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (typeof address !== "object" || !address) throw new Error("no port assigned");
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return Object.fromEntries(SERVICES.map((service, i) => [service, ports[i]])) as Record<Service, number>;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Drains the streams (a full pipe would block Azurite) and keeps their last few KB for an error message. */
function tail(...streams: (NodeJS.ReadableStream | null)[]): () => string {
  let text = "";
  for (const stream of streams) {
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      text = (text + chunk).slice(-8_192);
    });
  }
  return () => text.trim();
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

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
