/**
 * Local stand-ins for the Microsoft services a run talks to, each answering
 * after a fixed latency and counting what it was asked:
 * - the Microsoft 365 endpoints service: the product's own stand-in
 *   (src/feed/stand-in-service.ts) with the recorded 2025 Worldwide feed of
 *   the demo, behind a proxy that waits before passing each request on;
 * - Teams Workflows webhooks (the alert channel of some tenants): 202 to
 *   every POST, after the same wait.
 */
import { readFileSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { startFeedServer } from "../src/feed/stand-in-service.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** The version the demo's local feed service announces for its recording. */
export const FEED_VERSION = "2025060100";
/** The recording was made without IPv6; these are EOP's IPv6 SMTP ranges, put back as the tests do. */
export const EOP_IPV6 = ["2a01:111:f400::/48", "2a01:111:f403::/48"];

type EndpointSet = { id: number; ips?: string[] } & Record<string, unknown>;

/** The recorded Worldwide /endpoints answer, with set 10 (EOP SMTP) given its IPv6 ranges back. */
export function recordedWorldwide(): EndpointSet[] {
  const sets = JSON.parse(readFileSync(`${root}examples/demo/feed/endpoints-worldwide.json`, "utf8")) as EndpointSet[];
  const smtp = sets.find((set) => set.id === 10);
  if (!smtp?.ips) throw new Error("the recorded feed has no endpoint set 10 with IPs");
  smtp.ips = [...smtp.ips, ...EOP_IPV6];
  return sets;
}

export interface CountingServer {
  url: string;
  /** Requests by `METHOD /path` (the query left out), since the last `take()`. */
  take(): Map<string, number>;
  close(): Promise<void>;
}

function counter() {
  let counts = new Map<string, number>();
  return {
    add: (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1),
    take: () => {
      const taken = counts;
      counts = new Map();
      return taken;
    },
  };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    });
}

/** The endpoints service stand-in behind a proxy that holds every request `latencyMs` before passing it on. */
export async function startFeedStandIn(latencyMs: number): Promise<CountingServer> {
  const feed = await startFeedServer({ Worldwide: { version: FEED_VERSION, endpoints: recordedWorldwide() } });
  const target = new URL(feed.url);
  const counts = counter();
  const proxy = createServer((req, res) => {
    counts.add(`${req.method} ${new URL(req.url ?? "/", "http://x").pathname}`);
    setTimeout(() => forward(req, res, target), latencyMs);
  });
  const url = await listen(proxy);
  const closeProxy = closer(proxy);
  return {
    url,
    take: counts.take,
    close: async () => {
      await closeProxy();
      await feed.close();
    },
  };
}

function forward(req: IncomingMessage, res: ServerResponse, target: URL): void {
  const upstream = httpRequest(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on("error", () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(upstream);
}

/** Teams Workflows webhooks: every POST to any path is taken (202) after `latencyMs`. */
export async function startWebhookStandIn(latencyMs: number): Promise<CountingServer> {
  const counts = counter();
  const server = createServer((req, res) => {
    counts.add(`${req.method} ${req.url?.startsWith("/workflows/") ? "/workflows/{tenant}" : new URL(req.url ?? "/", "http://x").pathname}`);
    req.resume();
    req.on("end", () =>
      setTimeout(() => {
        res.writeHead(req.method === "POST" ? 202 : 405, { "content-length": "0" });
        res.end();
      }, latencyMs),
    );
  });
  const url = await listen(server);
  return { url, take: counts.take, close: closer(server) };
}
