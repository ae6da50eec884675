import { describe, expect, it } from "vitest";
import { HttpError, InputError, ThrottledError, TransportError } from "../errors.js";
import { FEED_RETRY, GRAPH_RETRY, isRetryable, parseRetryAfter, retryDelay, WEBHOOK_RETRY } from "./retry.js";

const url = "https://graph.microsoft.com/v1.0/users/a/sendMail";
const status = (code: number) => new HttpError(`GET ${url} answered ${code}`, { status: code, method: "GET", url });
const throttled = new ThrottledError(`GET ${url} answered 429`, { method: "GET", url, retryAfterSeconds: 10 });
const timedOut = new TransportError(`GET ${url} timed out`, url, { timedOut: true });
const refused = new TransportError(`GET ${url} failed: ECONNREFUSED`, url);

describe("isRetryable", () => {
  it("follows each policy", () => {
    const errors = { 500: status(500), 503: status(503), 501: status(501), 400: status(400), 429: throttled, timedOut, refused };
    const verdicts = (policy: typeof FEED_RETRY) =>
      Object.fromEntries(Object.entries(errors).map(([name, error]) => [name, isRetryable(error, policy)]));
    expect(verdicts(FEED_RETRY)).toEqual({ 500: true, 503: true, 501: false, 400: false, 429: false, timedOut: true, refused: true });
    expect(verdicts(GRAPH_RETRY)).toEqual({ 500: true, 503: true, 501: false, 400: false, 429: true, timedOut: false, refused: true });
    expect(verdicts(WEBHOOK_RETRY)).toEqual({ 500: true, 503: true, 501: false, 400: false, 429: true, timedOut: false, refused: true });
  });

  it("never retries what is not about transport or status", () => {
    expect(isRetryable(new InputError("is not valid JSON", { source: "GET /version" }), FEED_RETRY)).toBe(false);
    expect(isRetryable(new Error("boom"), GRAPH_RETRY)).toBe(false);
    expect(isRetryable("boom", GRAPH_RETRY)).toBe(false);
  });
});

describe("retryDelay", () => {
  it("takes Retry-After only when the policy honours it, capped", () => {
    expect(retryDelay(throttled, 1, GRAPH_RETRY, () => 0)).toBe(10_000);
    expect(retryDelay(new ThrottledError("", { method: "GET", url, retryAfterSeconds: 3600 }), 1, GRAPH_RETRY, () => 0)).toBe(
      GRAPH_RETRY.maxRetryAfterMs,
    );
    const dated503 = new HttpError("", { status: 503, method: "GET", url, retryAfterSeconds: 3 });
    expect(retryDelay(dated503, 2, GRAPH_RETRY, () => 0)).toBe(3000);
    expect(retryDelay(dated503, 2, FEED_RETRY, () => 0)).toBe(1000);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-11-22T05:00:00Z");
  it.each([
    ["120", 120],
    [" 0 ", 0],
    ["Sun, 22 Nov 2026 05:01:30 GMT", 90],
    ["Sun, 22 Nov 2026 04:00:00 GMT", 0],
    ["soon", undefined],
    [null, undefined],
  ])("reads %j as %j seconds", (value, seconds) => {
    expect(parseRetryAfter(value, now)).toBe(seconds);
  });
});
