import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { FEED_VERSION, GUID } from "../ids.js";
import { INSTANCES, type Instance } from "./instances.js";

/** What the server publishes per instance; change it between requests to move the feed on. */
export interface RecordedInstance {
  /** `YYYYMMDDNN`, answered by /version. */
  version: string;
  /** The raw /endpoints answer: an array of endpoint sets, or anything a test wants to send. */
  endpoints: unknown;
  /** Change records; /changes/{instance}/{v} answers those with a version after v. */
  changes?: unknown[];
}

export type RecordedFeed = Partial<Record<Instance, RecordedInstance>>;

export interface FeedServerRequest {
  method: string;
  /** The path as received, without the query. */
  path: string;
  /** The query parameters as sent (names in their original case). */
  query: Record<string, string>;
}

/** A canned answer in place of the feed's. */
export interface InterceptedResponse {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** Wait this long before answering (for timeouts). */
  delayMs?: number;
  /** Send the headers and the first half of the body, then wait this long before the rest (a stalled download). */
  stallMs?: number;
}

export interface FeedServerOptions {
  port?: number;
  /** Serve under a path prefix, e.g. "/m365", as a mirror or proxy would. */
  basePath?: string;
  /** Called for every request first; an answer replaces the feed's. */
  intercept?: (request: FeedServerRequest) => InterceptedResponse | undefined;
  /**
   * Throttle like the service: after `requests` answered calls to /endpoints
   * and /changes with one clientrequestid, those calls get 429 (with
   * `Retry-After` when `retryAfterSeconds` is set). /version is never throttled.
   */
  rateLimit?: { requests: number; retryAfterSeconds?: number };
}

export interface FeedServer {
  /** The base URL to give a feed client, without a trailing slash. */
  url: string;
  /** Every request, in order, intercepted ones included. */
  requests: FeedServerRequest[];
  close(): Promise<void>;
}

/** The real service answers a bad instance and a missing or malformed id alike, with this text and 400. */
const BAD_REQUEST_TEXT =
  "Invalid Instance string specified or ClientRequestId not specified in the Url. Documentation is available at http://aka.ms/ipurlws";

/**
 * A local stand-in for the Microsoft 365 endpoints service on 127.0.0.1,
 * answering /version, /endpoints and /changes the way the real one does
 * (case-insensitive names, CRLF pretty-printed JSON, 400 without a GUID or
 * for an unknown instance, ServiceAreas and NoIPv6 filters, optional 429),
 * for the demo and for tests that need real HTTP. An instance that is valid
 * but not in `feed` answers 404: the stand-in has nothing recorded for it.
 *
 * @example
 * const server = await startFeedServer({ Worldwide: { version: "2025010100", endpoints: sets } });
 * const feed = createFeedClient({ baseUrl: server.url, clientRequestId: randomUUID() });
 * await server.close();
 */
export async function startFeedServer(feed: RecordedFeed, options: FeedServerOptions = {}): Promise<FeedServer> {
  const basePath = (options.basePath ?? "").replace(/\/+$/, "");
  const requests: FeedServerRequest[] = [];
  const pending = new Set<NodeJS.Timeout>();
  const later = (ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      pending.delete(timer);
      run();
    }, ms);
    pending.add(timer);
  };
  /** Throttled calls per clientrequestid, counted like the service: per caller id, not per connection. */
  const calls = new Map<string, number>();

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const request: FeedServerRequest = { method: req.method ?? "GET", path: url.pathname, query: Object.fromEntries(url.searchParams) };
    requests.push(request);
    const canned = options.intercept?.(request);
    if (!canned) return answer(res, route(feed, req, url, basePath, options.rateLimit, calls));
    if (!canned.delayMs) return sendCanned(res, canned, later);
    later(canned.delayMs, () => sendCanned(res, canned, later));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${basePath}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of pending) clearTimeout(timer);
        pending.clear();
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets and delayed answers would hold close() open.
        server.closeAllConnections();
      }),
  };
}

type Answer = ({ status: number; json: unknown } | { status: number; text: string }) & { headers?: Record<string, string> };

function route(
  feed: RecordedFeed,
  req: IncomingMessage,
  url: URL,
  basePath: string,
  rateLimit: FeedServerOptions["rateLimit"],
  calls: Map<string, number>,
): Answer {
  if (req.method !== "GET" && req.method !== "HEAD") return { status: 405, text: "The requested resource does not support this HTTP method." };
  const segments = routeSegments(url.pathname, basePath);
  const [operation = "", instanceName, since] = segments ?? [];
  const kind = operation.toLowerCase();
  const known =
    segments !== undefined &&
    ((kind === "version" && segments.length <= 2) ||
      (kind === "endpoints" && segments.length === 2) ||
      (kind === "changes" && segments.length === 3));
  if (!known) return notFound();

  // The service's parameter names are case-insensitive.
  const param = (name: string) => [...url.searchParams].find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
  const guid = param("clientrequestid");
  if (guid === undefined || !GUID.test(guid)) return { status: 400, text: BAD_REQUEST_TEXT };

  if (instanceName === undefined) {
    return { status: 200, json: INSTANCES.flatMap((name) => (feed[name] ? [{ instance: name, latest: feed[name].version }] : [])) };
  }
  // Germany is retired, so it is as unknown as any other name.
  const instance = INSTANCES.find((name) => name.toLowerCase() === instanceName.toLowerCase());
  if (!instance) return { status: 400, text: BAD_REQUEST_TEXT };
  const recorded = feed[instance];
  if (!recorded) return { status: 404, text: `The stand-in feed service has no recording for ${instance}.` };

  if (kind === "version") return { status: 200, json: { instance, latest: recorded.version } };
  if (rateLimit) {
    const key = guid.toLowerCase();
    const count = (calls.get(key) ?? 0) + 1;
    calls.set(key, count);
    if (count > rateLimit.requests) {
      const headers: Record<string, string> = rateLimit.retryAfterSeconds !== undefined ? { "retry-after": String(rateLimit.retryAfterSeconds) } : {};
      return { status: 429, text: "Too many requests. Wait an hour or use a new ClientRequestId.", headers };
    }
  }
  if (kind === "changes") {
    if (since === undefined || !FEED_VERSION.test(since)) return { status: 400, text: "Invalid version: expected 10 digits (YYYYMMDDNN)." };
    return { status: 200, json: (recorded.changes ?? []).filter((record) => isAfter(record, since)) };
  }
  return { status: 200, json: filterEndpoints(recorded.endpoints, param("ServiceAreas"), param("NoIPv6")?.toLowerCase() === "true") };
}

/** The decoded path segments after `basePath`; undefined when the path is outside it or malformed. */
function routeSegments(pathname: string, basePath: string): string[] | undefined {
  const lower = pathname.toLowerCase();
  const base = basePath.toLowerCase();
  if (base && lower !== base && !lower.startsWith(`${base}/`)) return undefined;
  try {
    return pathname.slice(basePath.length).split("/").filter(Boolean).map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

/** Records that carry no comparable version pass, so tests can send malformed ones. */
function isAfter(record: unknown, version: string): boolean {
  const recordVersion = isObject(record) ? record.version : undefined;
  return typeof recordVersion !== "string" || recordVersion > version;
}

function filterEndpoints(endpoints: unknown, serviceAreas: string | undefined, noIPv6: boolean): unknown {
  if (!Array.isArray(endpoints)) return endpoints;
  const areas = serviceAreas
    ?.split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  return endpoints
    .filter((set) => !areas || !isObject(set) || typeof set.serviceArea !== "string" || areas.includes(set.serviceArea.toLowerCase()))
    .map((set) => (noIPv6 && isObject(set) && Array.isArray(set.ips) ? withoutIPv6(set, set.ips) : set));
}

/** Like the service: the IPv6 entries go, and `ips` disappears when nothing is left. */
function withoutIPv6(set: Record<string, unknown>, ips: unknown[]): Record<string, unknown> {
  const copy = { ...set, ips: ips.filter((ip) => typeof ip !== "string" || !ip.includes(":")) };
  if (copy.ips.length === 0) delete (copy as Record<string, unknown>).ips;
  return copy;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function notFound(): Answer {
  return { status: 404, text: "The resource you are looking for has been removed, had its name changed, or is temporarily unavailable." };
}

function answer(res: ServerResponse, result: Answer): void {
  // The service pretty-prints with two spaces and CRLF line ends.
  const json = "json" in result;
  const body = json ? JSON.stringify(result.json, null, 2).replace(/\n/g, "\r\n") : result.text;
  res.writeHead(result.status, {
    "content-type": json ? "application/json; charset=utf-8" : "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    ...result.headers,
  });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

/** A declared Content-Length above the body's size cuts the connection after the body, like a dropped download. */
function sendCanned(res: ServerResponse, canned: InterceptedResponse, later: (ms: number, run: () => void) => void): void {
  if (res.destroyed) return;
  const body = Buffer.from(canned.body ?? "");
  const headers = { "content-type": "application/json; charset=utf-8", ...canned.headers };
  const declared = Object.entries(headers).find(([name]) => name.toLowerCase() === "content-length")?.[1];
  res.writeHead(canned.status, headers);
  const finish = (rest: Buffer) => {
    if (res.destroyed) return;
    if (declared !== undefined && Number(declared) > body.byteLength) res.write(rest, () => res.destroy());
    else res.end(rest);
  };
  if (!canned.stallMs) {
    finish(body);
    return;
  }
  const half = Math.floor(body.byteLength / 2);
  res.write(body.subarray(0, half));
  later(canned.stallMs, () => finish(body.subarray(half)));
}
