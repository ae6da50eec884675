/**
 * vitest globalSetup: one in-memory Azurite Table service for the whole run,
 * on a free port so parallel runs on one machine do not collide. Tests get
 * its connection string with `inject("azuriteTableConnectionString")`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { realpathSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    azuriteTableConnectionString: string;
  }
}

const HOST = "127.0.0.1";
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;
/** Another process may take the free port between our probe and Azurite's listen. */
const START_ATTEMPTS = 3;
/** Azurite's well-known development account; it is public and only works against the emulator. */
const DEV_ACCOUNT = "devstoreaccount1";
const DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { child, port } = await startAzurite();
  project.provide(
    "azuriteTableConnectionString",
    `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};TableEndpoint=http://${HOST}:${port}/${DEV_ACCOUNT};`,
  );
  return () => stop(child);
}

async function startAzurite(): Promise<{ child: ChildProcess; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return { child: await launch(port), port };
    } catch (error) {
      if (attempt >= START_ATTEMPTS || !(error instanceof Error && error.message.includes("EADDRINUSE"))) throw error;
    }
  }
}

async function launch(port: number): Promise<ChildProcess> {
  // Run the bin's script with this Node rather than trusting `env node` on the PATH.
  const bin = realpathSync(`${repoRoot}node_modules/.bin/azurite-table`);
  const args = ["--inMemoryPersistence", "--disableTelemetry", "--skipApiVersionCheck", "--tableHost", HOST, "--tablePort", String(port)];
  // The working directory is Azurite's default --location; keep it out of the repository.
  const child = spawn(process.execPath, [bin, ...args], { cwd: tmpdir(), stdio: ["ignore", "pipe", "pipe"] });
  const stderr = tail(child.stderr);
  const stdout = tail(child.stdout);
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await accepts(port))) {
    const output = () => `\nstderr: ${stderr() || "(empty)"}\nstdout: ${stdout() || "(empty)"}`;
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`azurite-table exited (${child.exitCode ?? child.signalCode}) before accepting connections on ${HOST}:${port}${output()}`);
    }
    if (Date.now() > deadline) {
      await stop(child);
      throw new Error(`azurite-table did not accept connections on ${HOST}:${port} within ${START_TIMEOUT_MS} ms${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return child;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port assigned"))));
    });
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
