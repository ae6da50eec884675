import { setTimeout as wait } from "node:timers/promises";
import type { z } from "zod";
import { HttpError, InputError, MailflowGuardError, oneLine, redactUrl, redactUrls, ThrottledError, TransportError } from "../errors.js";
import { validate } from "../validation.js";
import { readBytes, readText } from "./body.js";
import { isRetryable, parseRetryAfter, type RetryPolicy, retryDelay } from "./retry.js";

export interface HttpClientOptions {
  /** The service root: http(s), a path prefix and a trailing slash are fine; no query, fragment or credentials. */
  baseUrl: string;
  /** The service as errors name it, e.g. "the Microsoft 365 endpoints service". */
  service: string;
  retry: RetryPolicy;
  fetch?: typeof fetch;
  /** Per attempt, reading the body included. Default 30 s. */
  timeoutMs?: number;
  /** A larger answer is refused. Default 20 MiB. */
  maxResponseBytes?: number;
  /** Sent with every request; `user-agent` is "mailflow-guard" unless set here. */
  headers?: Record<string, string>;
  /** Text that must never appear in an error (a webhook signature, a token, a client id); each is replaced by "…". */
  secrets?: readonly string[];
  /** What a ThrottledError without `Retry-After` advises. Default "wait before asking {service} again". */
  throttledAdvice?: string;
  sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1), for the backoff's jitter. */
  random?: () => number;
  /** Milliseconds since the epoch, to read a `Retry-After` date. */
  now?: () => number;
}

export type HttpRequestInit = {
  /** Default GET. */
  method?: string;
  /**
   * Under the base URL: segments, each encoded (they may be data), or a path
   * written by code and already encoded, starting with "/". Default the root.
   */
  path?: string | readonly string[];
  query?: Record<string, string>;
  headers?: Record<string, string>;
} & ({ json?: unknown; text?: never } | { text?: string; json?: never });

/** A 2xx answer, read whole (within the size cap and the attempt's timeout). */
export interface HttpResponse {
  status: number;
  headers: Headers;
  /** The service's id for the request, when it sent one. */
  requestId: string | undefined;
  /** How many attempts it took under the retry policy: 1 when the first one was answered. */
  attempts: number;
  /** The body, decoded as UTF-8. */
  text(): string;
  /** The body parsed as JSON; an InputError naming the request when it is not. */
  json(): unknown;
}

export interface HttpClient {
  /** The root the client asks, without a trailing slash. */
  readonly baseUrl: string;
  /** One request with the client's retry policy; a status other than 2xx throws HttpError (429: ThrottledError). */
  request(init?: HttpRequestInit): Promise<HttpResponse>;
  /** GETs JSON and validates it; a validation error names the request, e.g. `GET /version/Worldwide: latest: …`. */
  getJson<S extends z.ZodType>(path: string | readonly string[], schema: S, query?: Record<string, string>): Promise<z.output<S>>;
}

/** Where a service says which request it was, in the order looked at. */
const REQUEST_ID_HEADERS = ["request-id", "x-ms-request-id", "client-request-id", "x-ms-client-request-id"];
const ERROR_TEXT_BYTES = 4096;
const ERROR_TEXT_CHARS = 300;

interface Call {
  method: string;
  href: string;
  /** The URL as errors show it: no query, no user info, no secrets. */
  url: string;
  /** `GET https://host/path`, for HTTP and transport errors. */
  target: string;
  /** `GET /path`, for errors about the answer's content. */
  source: string;
  headers: Headers;
  body: string | undefined;
}

/**
 * The HTTP client for every outside service: retries as its policy says,
 * times out each attempt (reading the body included), caps what it reads,
 * and throws errors of the product's hierarchy whose messages carry the
 * method, the URL without query, the status, the start of the service's
 * text and its request id, on one line with the secrets replaced by "…".
 *
 * @example
 * const teams = createHttpClient({ baseUrl: "https://prod-01.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke",
 *   service: "the Teams webhook", retry: WEBHOOK_RETRY, secrets: [sig] });
 * await teams.request({ method: "POST", query: { "api-version": "2016-06-01", sig }, json: card });
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const { service, retry: policy } = options;
  const secrets = [...new Set(options.secrets ?? [])].filter((s) => s !== "").sort((a, b) => b.length - a.length);
  // Longest first, so a secret that contains another is replaced whole.
  const scrub = (text: string) => secrets.reduce((out, secret) => out.split(secret).join("…"), text);
  const root = parseBaseUrl(options.baseUrl, service);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxBytes = options.maxResponseBytes ?? 20 * 1024 * 1024;
  const sleep = options.sleep ?? ((ms: number) => wait(ms));
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const throttledAdvice = options.throttledAdvice ?? `wait before asking ${service} again`;

  async function run(call: Call): Promise<HttpResponse> {
    for (let attempt = 1; ; attempt++) {
      try {
        return { ...(await send(call)), attempts: attempt };
      } catch (error) {
        if (!isRetryable(error, policy)) throw error;
        if (attempt > policy.retries) throw withAttempts(error, attempt);
        await sleep(retryDelay(error, attempt, policy, random));
      }
    }
  }

  function prepare(init: HttpRequestInit): Call {
    const method = (init.method ?? "GET").toUpperCase();
    const path = init.path ?? "";
    const source = scrub(`${method} ${typeof path === "string" ? path || "/" : `/${path.join("/")}`}`);
    const bad = (detail: string) => new InputError(detail, { source });
    if (typeof path !== "string" && path.some((s) => s === "" || s === "." || s === "..")) throw bad("a path segment is empty, . or ..");
    if (typeof path === "string" && path !== "" && !path.startsWith("/")) throw bad(`expected a path starting with "/"`);
    const url = new URL(root + (typeof path === "string" ? path : path.map((s) => `/${encodeURIComponent(s)}`).join("")));
    // Dot segments, or a query in a written path, would leave the root or bypass `query`.
    if ((url.href !== root && !url.href.startsWith(`${root}/`)) || url.search || url.hash) throw bad(`expected a path under ${scrub(root)}`);
    url.search = new URLSearchParams(init.query ?? {}).toString();
    // fetch would refuse it, and the refusal would look like a network error worth retrying.
    if ((method === "GET" || method === "HEAD") && (init.json !== undefined || init.text !== undefined))
      throw bad(`a ${method} request cannot have a body`);

    const headers = new Headers({ "user-agent": "mailflow-guard" });
    for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value);
    let body: string | undefined;
    if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      headers.set("content-type", "application/json");
    } else {
      body = init.text;
    }
    for (const [name, value] of Object.entries(init.headers ?? {})) headers.set(name, value);
    const shown = scrub(redactUrl(url.href));
    return { method, href: url.href, url: shown, target: `${method} ${shown}`, source, headers, body };
  }

  async function send(call: Call): Promise<Omit<HttpResponse, "attempts">> {
    let response: Response;
    try {
      response = await fetchImpl(call.href, { method: call.method, headers: call.headers, body: call.body, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw transportError(error, call, undefined);
    }
    const requestId = requestIdOf(response.headers);
    const noted = requestId === undefined ? "" : ` (request id ${requestId})`;
    const statusLine = `${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
    const answer = { method: call.method, url: call.url, requestId, retryAfterSeconds: parseRetryAfter(response.headers.get("retry-after"), now()) };
    if (response.status === 429) {
      await response.body?.cancel().catch(() => undefined);
      const advice = answer.retryAfterSeconds === undefined ? throttledAdvice : `it asks to wait ${answer.retryAfterSeconds} s`;
      throw new ThrottledError(scrub(`${call.target} answered ${statusLine}; ${advice}${noted}`), answer);
    }
    if (!response.ok) {
      const detail = await serviceText(response);
      throw new HttpError(scrub(`${call.target} answered ${statusLine}${detail ? `: ${detail}` : ""}${noted}`), {
        ...answer,
        status: response.status,
      });
    }
    let text: string;
    try {
      text = await readText(response, {
        limit: maxBytes,
        tooLarge: () =>
          new InputError(`the answer of ${service} is larger than ${formatBytes(maxBytes)}, the most this client reads`, { source: call.source }),
        notUtf8: (cause) => new InputError(`the answer of ${service} is not valid UTF-8`, { source: call.source }, { cause }),
      });
    } catch (error) {
      throw error instanceof MailflowGuardError ? error : transportError(error, call, requestId);
    }
    return { status: response.status, headers: response.headers, requestId, text: () => text, json: () => parseJson(text, call.source) };
  }

  function transportError(error: unknown, call: Call, requestId: string | undefined): TransportError {
    const noted = requestId === undefined ? "" : ` (request id ${requestId})`;
    if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
      return new TransportError(scrub(`${call.target} timed out after ${timeoutMs / 1000} s${noted}`), call.url, {
        cause: error,
        timedOut: true,
        requestId,
      });
    }
    // fetch says only "fetch failed"; the reason (ECONNREFUSED, reset, DNS) is in the cause.
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    return new TransportError(scrub(`${call.target} failed: ${redactUrls(describeCause(cause))}${noted}`), call.url, { cause: error, requestId });
  }

  /** The start of an error answer, on one line; never fails, since the status already says enough. */
  async function serviceText(response: Response): Promise<string> {
    try {
      const { bytes, complete } = await readBytes(response, ERROR_TEXT_BYTES);
      // Scrubbed before it is cut, so a cut cannot leave part of a secret.
      const text = oneLine(redactUrls(scrub(new TextDecoder().decode(bytes))));
      return text.length > ERROR_TEXT_CHARS || !complete ? `${text.slice(0, ERROR_TEXT_CHARS)}…` : text;
    } catch {
      return "";
    }
  }

  function parseJson(text: string, source: string): unknown {
    try {
      return JSON.parse(text);
    } catch (error) {
      // V8 quotes the text it failed on.
      throw new InputError(`the answer of ${service} is not valid JSON (${scrub(oneLine(error))})`, { source }, { cause: error });
    }
  }

  /** The last failure again, saying how often it was tried, with the failure itself as cause. */
  function withAttempts(error: unknown, attempts: number): unknown {
    if (attempts === 1) return error;
    const message = `${(error as Error).message} (${attempts} attempts)`;
    if (error instanceof ThrottledError) return new ThrottledError(message, error, { cause: error });
    if (error instanceof HttpError) return new HttpError(message, error, { cause: error });
    if (error instanceof TransportError)
      return new TransportError(message, error.url, { cause: error, timedOut: error.timedOut, requestId: error.requestId });
    return error;
  }

  return {
    baseUrl: root,
    request: async (init = {}) => run(prepare(init)),
    async getJson(path, schema, query) {
      const call = prepare({ path, query, headers: { accept: "application/json" } });
      return validate(schema, (await run(call)).json(), call.source);
    },
  };
}

/** Only http(s), and no query, fragment or credentials: they would leak into every request and could not be redacted. */
function parseBaseUrl(text: string, service: string): string {
  const invalid = () => new InputError("expected an http(s) URL without query, fragment or credentials", { source: `the base URL of ${service}` });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid();
  }
  if (!/^https?:$/.test(url.protocol) || url.search || url.hash || url.username || url.password) throw invalid();
  return url.origin + url.pathname.replace(/\/+$/, "");
}

function requestIdOf(headers: Headers): string | undefined {
  for (const name of REQUEST_ID_HEADERS) {
    const value = headers.get(name)?.trim();
    if (value) return value;
  }
  return undefined;
}

/** Connecting to a name with several addresses fails with an AggregateError whose message is empty. */
function describeCause(cause: unknown): string {
  const text = oneLine(cause);
  if (text !== "") return text;
  if (cause instanceof AggregateError && cause.errors.length > 0) return [...new Set(cause.errors.map((e) => oneLine(e)))].join("; ");
  const code = (cause as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "no reason given";
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB` : `${bytes} bytes`;
}
