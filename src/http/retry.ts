import { HttpError, ThrottledError, TransportError } from "../errors.js";

/**
 * When and how long to retry a request, as data, so each outside service's
 * rules are written down once and read at a glance.
 */
export interface RetryPolicy {
  /** Further attempts after the first; 0 never retries. */
  retries: number;
  /** Error statuses worth another attempt (429 is ruled by `throttled`). */
  statuses: readonly number[];
  retryOnNetworkError: boolean;
  retryOnTimeout: boolean;
  /**
   * Attempt n waits `baseMs · 2^(n-1)`; with `"full"` jitter, a random time
   * between that and twice that, so clients that failed together do not come
   * back together. Never more than `maxMs`.
   */
  backoff: { baseMs: number; maxMs: number; jitter: "full" | "none" };
  /**
   * A 429: `"wait-out"` gives up at once with a ThrottledError (the service
   * wants the caller gone for a long while); `"honour-retry-after"` waits as
   * `Retry-After` says (or backs off without one) and tries again, and honours
   * `Retry-After` on the retried `statuses` too.
   */
  throttled: "wait-out" | "honour-retry-after";
  /** The longest wait `Retry-After` may impose; with `"honour-retry-after"` only. */
  maxRetryAfterMs: number;
}

/** The statuses of a server that may answer the same request next time. */
const SERVER_ERRORS = [500, 502, 503, 504] as const;

/**
 * The Microsoft 365 endpoints service: a 429 means wait an hour or use a new
 * client request id, so retrying it would only dig deeper.
 */
export const FEED_RETRY: RetryPolicy = {
  retries: 3,
  statuses: SERVER_ERRORS,
  retryOnNetworkError: true,
  retryOnTimeout: true,
  backoff: { baseMs: 500, maxMs: 30_000, jitter: "full" },
  throttled: "wait-out",
  maxRetryAfterMs: 0,
};

/**
 * Microsoft Graph (sendMail): it throttles with 429 and `Retry-After`, also on
 * 503. A POST that timed out may have been carried out, so it is not sent
 * again: a duplicate alert mail helps no one, and the next run alerts anyway.
 */
export const GRAPH_RETRY: RetryPolicy = {
  retries: 3,
  statuses: SERVER_ERRORS,
  retryOnNetworkError: true,
  retryOnTimeout: false,
  backoff: { baseMs: 1000, maxMs: 30_000, jitter: "full" },
  throttled: "honour-retry-after",
  maxRetryAfterMs: 60_000,
};

/**
 * A Teams Workflows webhook: throttled above about 4 posts a second, not
 * always with `Retry-After`. Like Graph, a timed-out post is not sent again:
 * it may still appear in the channel.
 */
export const WEBHOOK_RETRY: RetryPolicy = { ...GRAPH_RETRY, backoff: { ...GRAPH_RETRY.backoff, maxMs: 16_000 } };

/**
 * The Exchange Online admin endpoint (InvokeCommand): like Graph, it throttles
 * with 429 and `Retry-After`. Only Get- cmdlets are sent, which change
 * nothing, so unlike Graph a timed-out request is sent again.
 */
export const EXCHANGE_ONLINE_RETRY: RetryPolicy = { ...GRAPH_RETRY, retryOnTimeout: true };

/**
 * Whether a failed attempt is worth another under `policy` (how many remain
 * is the caller's count). Errors that are not about transport or status, such
 * as an answer that fails validation, never are.
 *
 * @example isRetryable(new HttpError("…", { status: 503, method: "GET", url }), FEED_RETRY) // true
 */
export function isRetryable(error: unknown, policy: RetryPolicy): boolean {
  if (error instanceof ThrottledError) return policy.throttled === "honour-retry-after";
  if (error instanceof HttpError) return policy.statuses.includes(error.status);
  if (error instanceof TransportError) return error.timedOut ? policy.retryOnTimeout : policy.retryOnNetworkError;
  return false;
}

/**
 * How long to wait before attempt `attempt + 1`, after `error` failed attempt
 * `attempt` (from 1). `random` returns a number in [0, 1).
 */
export function retryDelay(error: unknown, attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  if (policy.throttled === "honour-retry-after" && error instanceof HttpError && error.retryAfterSeconds !== undefined) {
    return Math.min(error.retryAfterSeconds * 1000, policy.maxRetryAfterMs);
  }
  const { baseMs, maxMs, jitter } = policy.backoff;
  const step = baseMs * 2 ** (attempt - 1);
  return Math.min(jitter === "full" ? step + random() * step : step, maxMs);
}

/**
 * `Retry-After` in whole seconds: either a number of seconds or an HTTP date
 * (a date in the past is 0). Undefined when absent or unreadable.
 *
 * @example parseRetryAfter("120", Date.now()) // 120
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}
