import { setTimeout as wait } from "node:timers/promises";
import { HttpError, InputError, ThrottledError, TransportError, oneLine, redactUrl } from "../errors.js";
import { parseInstance, type Instance } from "./instances.js";
import {
  changesSchema,
  endpointSetsSchema,
  validate,
  versionInfoSchema,
  versionSchema,
  type ChangeRecord,
  type EndpointSet,
  type VersionInfo,
} from "./schema.js";

export const DEFAULT_FEED_BASE_URL = "https://endpoints.office.com";

export interface FeedClientOptions {
  /** The service root, e.g. DEFAULT_FEED_BASE_URL; a path prefix and a trailing slash are fine. */
  baseUrl: string;
  /** This installation's GUID, sent as `clientrequestid` on every call. */
  clientRequestId: string;
  fetch?: typeof fetch;
  /** Per attempt, reading the body included. Default 30 s. */
  timeoutMs?: number;
  /** Further attempts after a 5xx, a timeout or a network error. Default 3. */
  retries?: number;
  sleep?: (ms: number) => Promise<void>;
  /** A larger answer is refused. Default 20 MiB. */
  maxResponseBytes?: number;
  userAgent?: string;
}

export interface FeedClient {
  /** The root the client asks, without a trailing slash. */
  readonly baseUrl: string;
  getVersion(instance: Instance): Promise<VersionInfo>;
  getEndpoints(instance: Instance, options?: EndpointsOptions): Promise<EndpointSet[]>;
  /** The change records published after `sinceVersion` (`0000000000` for all). */
  getChanges(instance: Instance, sinceVersion: string): Promise<ChangeRecord[]>;
}

export interface EndpointsOptions {
  /** Only the sets of this area (`ServiceAreas=`). */
  serviceAreas?: "Exchange";
  /** Leave out IPv6 ranges (`NoIPv6=true`); the EOP check wants both, so this is for diagnostics. */
  noIPv6?: boolean;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The GUID in Microsoft's documentation, which the service may block. */
const DOCUMENTATION_GUID = "b10c5ed1-bad1-445f-b386-b919946339a7";
const ERROR_TEXT_BYTES = 4096;
const ERROR_TEXT_CHARS = 300;
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;

/**
 * A client for the Microsoft 365 IP Address and URL web service. Every answer
 * is validated; 5xx, timeouts and network errors are retried with backoff, a
 * 429 is not (the service asks callers to wait an hour). Errors carry URLs
 * without their query, so the client request id stays out of logs.
 *
 * @example
 * const feed = createFeedClient({ baseUrl: DEFAULT_FEED_BASE_URL, clientRequestId: await clientRequestId(store) });
 * const { latest } = await feed.getVersion("Worldwide");
 */
export function createFeedClient(options: FeedClientOptions): FeedClient {
  const root = parseBaseUrl(options.baseUrl);
  const clientRequestId = parseClientRequestId(options.clientRequestId);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const retries = options.retries ?? 3;
  const sleep = options.sleep ?? ((ms: number) => wait(ms));
  const maxBytes = options.maxResponseBytes ?? 20 * 1024 * 1024;
  const headers = { accept: "application/json", "user-agent": options.userAgent ?? "mailflow-guard" };

  /** GETs `{root}/{segments}` and returns the parsed JSON with the route that names it in errors. */
  async function get(segments: string[], params: Record<string, string> = {}): Promise<{ data: unknown; source: string }> {
    const url = new URL(root + segments.map((s) => `/${encodeURIComponent(s)}`).join(""));
    url.search = new URLSearchParams({ clientrequestid: clientRequestId, ...params }).toString();
    const source = `GET /${segments.join("/")}`;
    for (let attempt = 1; ; attempt++) {
      try {
        const text = await fetchText(url.href, source);
        return { data: parseJsonText(text, source), source };
      } catch (error) {
        if (!isRetryable(error)) throw error;
        if (attempt > retries) throw withAttempts(error, attempt);
        await sleep(backoff(attempt));
      }
    }
  }

  async function fetchText(href: string, source: string): Promise<string> {
    const target = `GET ${redactUrl(href)}`;
    let response: Response;
    try {
      response = await fetchImpl(href, { method: "GET", headers, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw transportError(error, target, href, timeoutMs);
    }
    const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
    if (response.status === 429) {
      await response.body?.cancel().catch(() => undefined);
      const retryAfterSeconds = parseRetryAfter(response.headers.get("retry-after"));
      const advice = retryAfterSeconds === undefined ? "wait an hour or use a new client request id" : `it asks to wait ${retryAfterSeconds} s`;
      throw new ThrottledError(`${target} answered ${status}; ${advice}`, { method: "GET", url: href, retryAfterSeconds });
    }
    if (!response.ok) {
      const detail = await serviceText(response);
      throw new HttpError(`${target} answered ${status}${detail ? `: ${detail}` : ""}`, { status: response.status, method: "GET", url: href });
    }
    const declared = Number(response.headers.get("content-length") ?? Number.NaN);
    if (declared > maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw tooLarge(source, maxBytes);
    }
    let body: { bytes: Uint8Array; complete: boolean };
    try {
      body = await readUpTo(response, maxBytes);
    } catch (error) {
      throw transportError(error, target, href, timeoutMs);
    }
    if (!body.complete) throw tooLarge(source, maxBytes);
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(body.bytes);
    } catch (error) {
      throw new InputError("the answer is not valid UTF-8", { source }, { cause: error });
    }
  }

  return {
    baseUrl: root,
    async getVersion(instance) {
      const name = parseInstance(instance);
      const { data, source } = await get(["version", name]);
      const info = validate(versionInfoSchema, data, source);
      if (info.instance.toLowerCase() !== name.toLowerCase()) {
        throw new InputError(`expected the version of ${name}, got one for ${JSON.stringify(info.instance)}`, { source, path: "instance" });
      }
      return info;
    },
    async getEndpoints(instance, endpointOptions = {}) {
      const params: Record<string, string> = {};
      if (endpointOptions.serviceAreas) params["ServiceAreas"] = endpointOptions.serviceAreas;
      if (endpointOptions.noIPv6) params["NoIPv6"] = "true";
      const { data, source } = await get(["endpoints", parseInstance(instance)], params);
      return validate(endpointSetsSchema, data, source);
    },
    async getChanges(instance, sinceVersion) {
      const since = validate(versionSchema, sinceVersion, "sinceVersion");
      const { data, source } = await get(["changes", parseInstance(instance), since]);
      return validate(changesSchema, data, source);
    },
  };
}

/** Only http(s), and no query, fragment or credentials: they would leak into every request and could not be redacted. */
function parseBaseUrl(text: string): string {
  const invalid = () => new InputError("expected an http(s) URL without query, fragment or credentials", { source: "feed base URL" });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid();
  }
  if (!/^https?:$/.test(url.protocol) || url.search || url.hash || url.username || url.password) throw invalid();
  return url.origin + url.pathname.replace(/\/+$/, "");
}

function parseClientRequestId(text: string): string {
  if (!GUID.test(text)) throw new InputError("expected a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, hex digits)", { source: "clientRequestId" });
  if (text.toLowerCase() === DOCUMENTATION_GUID) {
    throw new InputError("this GUID is the one in Microsoft's documentation; generate one for this installation", { source: "clientRequestId" });
  }
  return text;
}

function isRetryable(error: unknown): error is TransportError | HttpError {
  return error instanceof TransportError || (error instanceof HttpError && error.status >= 500);
}

/** The last failure, saying how often it was tried. */
function withAttempts(error: TransportError | HttpError, attempts: number): TransportError | HttpError {
  if (attempts === 1) return error;
  const message = `${error.message} (${attempts} attempts)`;
  return error instanceof HttpError
    ? new HttpError(message, { status: error.status, method: error.method, url: error.url }, { cause: error })
    : new TransportError(message, error.url, { cause: error });
}

/** Exponential with jitter, so many installations that failed together do not retry together. */
function backoff(attempt: number): number {
  const base = BACKOFF_BASE_MS * 2 ** (attempt - 1);
  return Math.min(base + Math.random() * base, BACKOFF_MAX_MS);
}

function transportError(error: unknown, target: string, href: string, timeoutMs: number): TransportError {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return new TransportError(`${target} timed out after ${timeoutMs / 1000} s`, href, { cause: error });
  }
  // fetch says only "fetch failed"; the reason (ECONNREFUSED, reset, DNS) is in the cause.
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const reason = describeCause(cause).split(href).join(redactUrl(href));
  return new TransportError(`${target} failed: ${reason}`, href, { cause: error });
}

/** Connecting to a name with several addresses fails with an AggregateError whose message is empty. */
function describeCause(cause: unknown): string {
  const text = oneLine(cause);
  if (text !== "") return text;
  if (cause instanceof AggregateError && cause.errors.length > 0) return [...new Set(cause.errors.map((e) => oneLine(e)))].join("; ");
  const code = (cause as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "no reason given";
}

/** Seconds to wait: `Retry-After` is either a number of seconds or an HTTP date. */
function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** The start of an error answer, on one line; never fails, since the status already says enough. */
async function serviceText(response: Response): Promise<string> {
  try {
    const { bytes, complete } = await readUpTo(response, ERROR_TEXT_BYTES);
    const text = oneLine(new TextDecoder().decode(bytes));
    return text.length > ERROR_TEXT_CHARS || !complete ? `${text.slice(0, ERROR_TEXT_CHARS)}…` : text;
  } catch {
    return "";
  }
}

/** Reads at most `limit` bytes; `complete` is false when the body was longer and reading stopped. */
async function readUpTo(response: Response, limit: number): Promise<{ bytes: Uint8Array; complete: boolean }> {
  if (!response.body) return { bytes: new Uint8Array(), complete: true };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { bytes: Buffer.concat(chunks, size), complete: true };
    chunks.push(value);
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return { bytes: Buffer.concat(chunks, size).subarray(0, limit), complete: false };
    }
  }
}

function tooLarge(source: string, limit: number): InputError {
  return new InputError(`the answer is larger than ${formatBytes(limit)}, the most this client reads`, { source });
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB` : `${bytes} bytes`;
}

function parseJsonText(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(`the answer is not valid JSON (${oneLine(error)})`, { source }, { cause: error });
  }
}
