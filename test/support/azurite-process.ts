/**
 * Azurite, the Azure Storage emulator, for the tests' global setup and the
 * scale benchmark: Blob, Queue and Table in memory, on free ports (parallel
 * runs on one machine do not collide), started with this Node from the
 * package's bin scripts. `single` runs the three in one `azurite` process, as
 * the tests do; `split` gives each service its own process, as the benchmark
 * does, for the real services do not share one event loop.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const HOST = "127.0.0.1";
export const SERVICES = ["blob", "queue", "table"] as const;
export type Service = (typeof SERVICES)[number];
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;
const START_ATTEMPTS = 3;
/** Azurite's well-known development account; public, and it only works against the emulator. */
const DEV_ACCOUNT = "devstoreaccount1";
const DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/** The package's bin scripts, found from here whether this runs from the sources or from dist/. */
function binScript(name: string): string {
  const manifest = createRequire(import.meta.url).resolve("azurite/package.json");
  const bins = (JSON.parse(readFileSync(manifest, "utf8")) as { bin: Record<string, string> }).bin;
  const script = bins[name];
  if (script === undefined) throw new Error(`azurite has no bin named ${name}`);
  return join(dirname(manifest), script);
}

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
  const bin = binScript(binName);
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
