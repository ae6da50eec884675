/**
 * vitest globalSetup: one in-memory Azurite (Blob, Queue and Table services)
 * for the whole run, on free ports so parallel runs on one machine do not
 * collide. Tests get its connection string, with all three endpoints, from
 * `inject("azuriteConnectionString")`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { realpathSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    azuriteConnectionString: string;
    /** The same string, under the name the Table-only tests were written with. */
    azuriteTableConnectionString: string;
  }
}

const HOST = "127.0.0.1";
const SERVICES = ["blob", "queue", "table"] as const;
type Ports = Record<(typeof SERVICES)[number], number>;
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;
/** Another process may take a free port between our probe and Azurite's listen. */
const START_ATTEMPTS = 3;
/** Azurite's well-known development account; it is public and only works against the emulator. */
const DEV_ACCOUNT = "devstoreaccount1";
const DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { child, ports } = await startAzurite();
  const endpoint = (service: keyof Ports) => `http://${HOST}:${ports[service]}/${DEV_ACCOUNT}`;
  const connectionString =
    `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};` +
    `BlobEndpoint=${endpoint("blob")};QueueEndpoint=${endpoint("queue")};TableEndpoint=${endpoint("table")};`;
  project.provide("azuriteConnectionString", connectionString);
  project.provide("azuriteTableConnectionString", connectionString);
  return () => stop(child);
}

async function startAzurite(): Promise<{ child: ChildProcess; ports: Ports }> {
  for (let attempt = 1; ; attempt++) {
    const ports = await freePorts();
    try {
      return { child: await launch(ports), ports };
    } catch (error) {
      if (attempt >= START_ATTEMPTS || !(error instanceof Error && error.message.includes("EADDRINUSE"))) throw error;
    }
  }
}

async function launch(ports: Ports): Promise<ChildProcess> {
  // Run the bin's script with this Node rather than trusting `env node` on the PATH.
  const bin = realpathSync(`${repoRoot}node_modules/.bin/azurite`);
  const args = ["--inMemoryPersistence", "--disableTelemetry", "--skipApiVersionCheck"];
  for (const service of SERVICES) args.push(`--${service}Host`, HOST, `--${service}Port`, String(ports[service]));
  // The working directory is Azurite's default --location; keep it out of the repository.
  const child = spawn(process.execPath, [bin, ...args], { cwd: tmpdir(), stdio: ["ignore", "pipe", "pipe"] });
  const stderr = tail(child.stderr);
  const stdout = tail(child.stdout);
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));

  const deadline = Date.now() + START_TIMEOUT_MS;
  const where = SERVICES.map((service) => `${service} ${HOST}:${ports[service]}`).join(", ");
  while (!(await Promise.all(SERVICES.map((service) => accepts(ports[service])))).every(Boolean)) {
    const output = () => `\nstderr: ${stderr() || "(empty)"}\nstdout: ${stdout() || "(empty)"}`;
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`azurite exited (${child.exitCode ?? child.signalCode}) before accepting connections (${where})${output()}`);
    }
    if (Date.now() > deadline) {
      await stop(child);
      throw new Error(`azurite did not accept connections (${where}) within ${START_TIMEOUT_MS} ms${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return child;
}

/** Three distinct free ports: each listener stays open until all are taken, so the system cannot hand one out twice. */
async function freePorts(): Promise<Ports> {
  const servers = await Promise.all(SERVICES.map(() => listening()));
  const ports = servers.map((server) => {
    const address = server.address();
    if (typeof address !== "object" || !address) throw new Error("no port assigned");
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return Object.fromEntries(SERVICES.map((service, i) => [service, ports[i]])) as Ports;
}

function listening(): Promise<ReturnType<typeof createServer>> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, HOST, () => resolve(server));
  });
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

/** Keeps draining a stream (a full pipe would block Azurite) and remembers its last few KB for error messages. */
function tail(stream: NodeJS.ReadableStream | null, limit = 8_192): () => string {
  let text = "";
  stream?.setEncoding("utf8");
  stream?.on("data", (chunk: string) => {
    text = (text + chunk).slice(-limit);
  });
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
