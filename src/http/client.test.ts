import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { failure } from "../../test/support/failure.js";
import { HttpError, InputError, ThrottledError, TransportError } from "../errors.js";
import { createHttpClient, type HttpClientOptions } from "./client.js";
import { FEED_RETRY, GRAPH_RETRY, type RetryPolicy, WEBHOOK_RETRY } from "./retry.js";

interface Received {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

type Reply = (res: ServerResponse, req: Received) => void;

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

/** A real server on 127.0.0.1: request n gets replies[n] (the last one again once they run out). */
async function serve(...replies: Reply[]): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () => {
      const request = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(parts).toString("utf8") };
      received.push(request);
      const next = replies[Math.min(received.length, replies.length) - 1];
      next?.(res, request);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Stalled answers would hold close() open.
      server.closeAllConnections();
    });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

const reply =
  (status: number, body: string | Uint8Array = "", headers: Record<string, string> = {}): Reply =>
  (res) => {
    res.writeHead(status, headers);
    res.end(body);
  };
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  reply(status, JSON.stringify(body), { "content-type": "application/json; charset=utf-8", ...headers });

/** Graph's error body, with the request ids it repeats in its headers. */
const graphError = (code: string, message: string) => ({
  error: {
    code,
    message,
    innerError: {
      date: "2026-11-22T05:00:00",
      "request-id": "8f2c0c2e-1d3a-4b7e-9c55-3f1f7a2b9d10",
      "client-request-id": "8f2c0c2e-1d3a-4b7e-9c55-3f1f7a2b9d10",
    },
  },
});

/** A policy without waiting between attempts unless a test says otherwise. */
const policy = (overrides: Partial<RetryPolicy> = {}): RetryPolicy => ({ ...FEED_RETRY, ...overrides });

function client(url: string, options: Partial<HttpClientOptions> = {}) {
  const sleeps: number[] = [];
  const http = createHttpClient({
    baseUrl: url,
    service: "the test service",
    retry: FEED_RETRY,
    timeoutMs: 2000,
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 0.5,
    ...options,
  });
  return { http, sleeps };
}

describe("answers and retries", () => {
  it("retries a 503, then returns the 200 answer", async () => {
    const server = await serve(
      reply(503, "Service Unavailable", { "content-type": "text/plain" }),
      json(200, { instance: "Worldwide", latest: "2025020100" }),
    );
    const { http, sleeps } = client(server.url);
    const answer = await http.request({ path: ["version", "Worldwide"], query: { clientrequestid: "c0ffee00-0000-4000-8000-000000000001" } });
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ instance: "Worldwide", latest: "2025020100" });
    expect(server.received.map((r) => r.url)).toEqual([
      "/version/Worldwide?clientrequestid=c0ffee00-0000-4000-8000-000000000001",
      "/version/Worldwide?clientrequestid=c0ffee00-0000-4000-8000-000000000001",
    ]);
    expect(sleeps).toEqual([750]);
  });

  it("does not retry a 400, and quotes the service's text on one line", async () => {
    const exo = {
      error: {
        code: "BadRequest",
        message: "Error executing request. The term 'Get-InboundConnectr' is not recognized.",
        innererror: {
          message: "Error executing request. The term 'Get-InboundConnectr' is not recognized.",
          type: "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
          internalexception: {
            message:
              "The term 'Get-InboundConnectr' is not recognized as the name of a cmdlet, function, script file, or operable program.\r\nCheck the " +
              "spelling of the name, or if a path was included, verify that the path is correct and try again.",
            type: "System.Management.Automation.CommandNotFoundException",
          },
        },
      },
    };
    const server = await serve(reply(400, JSON.stringify(exo, null, 2).replace(/\n/g, "\r\n"), { "content-type": "application/json" }));
    const { http, sleeps } = client(`${server.url}/adminapi/beta`, { service: "the Exchange Online admin API" });
    const error = await failure(
      http.request({
        method: "POST",
        path: ["00000000-0000-4000-8000-000000000000", "InvokeCommand"],
        json: { CmdletInput: { CmdletName: "Get-InboundConnectr" } },
      }),
    );
    expect(error).toBeInstanceOf(HttpError);
    expect(error).not.toBeInstanceOf(ThrottledError);
    expect((error as HttpError).status).toBe(400);
    expect((error as HttpError).method).toBe("POST");
    expect(error.message).toMatch(
      new RegExp(
        `^POST ${server.url}/adminapi/beta/00000000-0000-4000-8000-000000000000/InvokeCommand answered 400 Bad Request: \\{ "error": \\{ "code": ` +
          `"BadRequest", .*Get-InboundConnectr.*…$`,
      ),
    );
    expect(error.message.length).toBeLessThan(450);
    expect(error.message).not.toMatch(/[\r\n]/);
    expect(server.received).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("gives up after the policy's retries, saying how often it tried and keeping the last failure as cause", async () => {
    const server = await serve(reply(502, "Bad Gateway"));
    const { http, sleeps } = client(server.url, { retry: policy({ retries: 2 }) });
    const error = await failure(http.request({ path: "/endpoints/Worldwide" }));
    expect(error).toBeInstanceOf(HttpError);
    expect(error.message).toBe(`GET ${server.url}/endpoints/Worldwide answered 502 Bad Gateway: Bad Gateway (3 attempts)`);
    expect(error.cause).toBeInstanceOf(HttpError);
    expect(server.received).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
  });

  it("does not retry a status outside the policy's", async () => {
    const server = await serve(reply(501, "Not Implemented"));
    const { http } = client(server.url);
    expect(((await failure(http.request())) as HttpError).status).toBe(501);
    expect(server.received).toHaveLength(1);
  });

  it("takes an error answer whose body fetch cannot inflate for its status, not for a failed connection", async () => {
    // Exchange Online's 403: NUL bytes labelled gzip.
    const server = await serve(reply(403, new Uint8Array(4096), { "content-encoding": "gzip" }));
    const { http, sleeps } = client(server.url);
    const error = await failure(http.request({ path: "/x" }));
    expect(error).toBeInstanceOf(HttpError);
    expect(error.message).toBe(`GET ${server.url}/x answered 403 Forbidden`);
    expect(server.received).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("posts JSON with the default headers and takes a 202 without a body", async () => {
    const server = await serve(reply(202));
    const { http } = client(`${server.url}/v1.0`, { service: "Microsoft Graph", retry: GRAPH_RETRY, headers: { authorization: "Bearer t0ken" } });
    const mail = {
      message: {
        subject: "EOP drift: 3 ranges missing",
        body: { contentType: "Text", content: "Zürich ✓" },
        toRecipients: [{ emailAddress: { address: "admin@contoso.com" } }],
      },
      saveToSentItems: false,
    };
    const answer = await http.request({ method: "post", path: ["users", "alerts@contoso.com", "sendMail"], json: mail });
    expect(answer.status).toBe(202);
    expect(answer.text()).toBe("");
    const [received] = server.received;
    expect(received?.method).toBe("POST");
    expect(received?.url).toBe("/v1.0/users/alerts%40contoso.com/sendMail");
    expect(received?.headers["content-type"]).toBe("application/json");
    expect(received?.headers["user-agent"]).toBe("mailflow-guard");
    expect(received?.headers.authorization).toBe("Bearer t0ken");
    expect(JSON.parse(received?.body ?? "")).toEqual(mail);
  });

  it("posts text, and lets a request's headers win over the client's", async () => {
    const server = await serve(reply(200, "ok"));
    const { http } = client(server.url, { headers: { "User-Agent": "mailflow-guard/0.1" } });
    expect(
      (await http.request({ method: "PUT", path: "/notes", text: "plain", headers: { "content-type": "text/plain; charset=utf-8" } })).text(),
    ).toBe("ok");
    expect(server.received[0]).toMatchObject({
      method: "PUT",
      body: "plain",
      headers: { "content-type": "text/plain; charset=utf-8", "user-agent": "mailflow-guard/0.1" },
    });
  });

  it("getJson asks for JSON and validates it, naming the request", async () => {
    const server = await serve(json(200, { instance: "Worldwide", latest: "2025020100" }), json(200, { instance: "Worldwide", latest: "latest" }));
    const { http } = client(server.url);
    const schema = z.object({ instance: z.string(), latest: z.string().regex(/^\d{10}$/, { message: "expected 10 digits" }) });
    expect(await http.getJson(["version", "Worldwide"], schema, { clientrequestid: "x" })).toEqual({ instance: "Worldwide", latest: "2025020100" });
    expect(server.received[0]?.headers.accept).toBe("application/json");
    const error = await failure(http.getJson(["version", "Worldwide"], schema));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe("GET /version/Worldwide: latest: expected 10 digits");
  });
});

describe("throttling", () => {
  it("wait-out: throws ThrottledError at once with Retry-After, without retrying", async () => {
    const server = await serve(
      reply(429, "Too many requests. Wait an hour or use a new ClientRequestId.", { "retry-after": "3600" }),
      reply(200, "[]"),
    );
    const { http, sleeps } = client(server.url, { throttledAdvice: "wait an hour or use a new client request id" });
    const error = await failure(http.request({ path: ["endpoints", "Worldwide"] }));
    expect(error).toBeInstanceOf(ThrottledError);
    expect((error as ThrottledError).status).toBe(429);
    expect((error as ThrottledError).retryAfterSeconds).toBe(3600);
    expect(error.message).toBe(`GET ${server.url}/endpoints/Worldwide answered 429 Too Many Requests; it asks to wait 3600 s`);
    expect(server.received).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("wait-out without Retry-After gives the service's advice", async () => {
    const server = await serve(reply(429));
    const { http } = client(server.url, { throttledAdvice: "wait an hour or use a new client request id" });
    const error = (await failure(http.request())) as ThrottledError;
    expect(error.retryAfterSeconds).toBeUndefined();
    expect(error.message).toBe(`GET ${server.url}/ answered 429 Too Many Requests; wait an hour or use a new client request id`);
  });

  it("honour-retry-after: sleeps as many seconds as Retry-After says, then retries", async () => {
    const throttled = json(
      429,
      { error: { code: "WorkflowRequestsThrottled", message: "Number of requests exceeded the limit." } },
      { "retry-after": "7" },
    );
    const server = await serve(throttled, reply(202));
    const { http, sleeps } = client(server.url, { retry: WEBHOOK_RETRY, random: () => 0.99 });
    expect((await http.request({ method: "POST", json: { type: "message" } })).status).toBe(202);
    expect(sleeps).toEqual([7000]);
    expect(server.received).toHaveLength(2);
  });

  it("honour-retry-after: reads Retry-After as an HTTP date", async () => {
    const now = Date.parse("2026-11-22T05:00:00Z");
    const server = await serve(reply(429, "", { "retry-after": new Date(now + 45_000).toUTCString() }), reply(202));
    const { http, sleeps } = client(server.url, { retry: GRAPH_RETRY, now: () => now });
    await http.request({ method: "POST", json: {} });
    expect(sleeps).toEqual([45_000]);
  });

  it("honour-retry-after: caps a long Retry-After, and backs off without one", async () => {
    const server = await serve(reply(429, "", { "retry-after": "3600" }), reply(429), reply(202));
    const { http, sleeps } = client(server.url, { retry: { ...GRAPH_RETRY, maxRetryAfterMs: 60_000 }, random: () => 0.25 });
    await http.request({ method: "POST", json: {} });
    // The second wait is backoff attempt 2: 2000 ms plus a quarter of it.
    expect(sleeps).toEqual([60_000, 2500]);
  });

  it("honour-retry-after: honours Retry-After on a 503 too", async () => {
    const server = await serve(json(503, graphError("ServiceNotAvailable", "Service unavailable"), { "retry-after": "4" }), json(200, { value: [] }));
    const { http, sleeps } = client(server.url, { retry: GRAPH_RETRY });
    expect((await http.request()).json()).toEqual({ value: [] });
    expect(sleeps).toEqual([4000]);
  });

  it("honour-retry-after: throws the last ThrottledError when the retries run out", async () => {
    const server = await serve(
      json(429, graphError("TooManyRequests", "Please retry again later."), {
        "retry-after": "2",
        "request-id": "8f2c0c2e-1d3a-4b7e-9c55-3f1f7a2b9d10",
      }),
    );
    const { http, sleeps } = client(server.url, { retry: { ...GRAPH_RETRY, retries: 1 } });
    const error = await failure(http.request({ method: "POST", path: "/users/a/sendMail", json: {} }));
    expect(error).toBeInstanceOf(ThrottledError);
    expect((error as ThrottledError).retryAfterSeconds).toBe(2);
    expect(error.message).toBe(
      `POST ${server.url}/users/a/sendMail answered 429 Too Many Requests; it asks to wait 2 s (request id 8f2c0c2e-1d3a-4b7e-9c55-3f1f7a2b9d10) ` +
        `(2 attempts)`,
    );
    expect(sleeps).toEqual([2000]);
  });
});

describe("backoff", () => {
  it("grows exponentially with full jitter within [step, 2·step), capped", async () => {
    const server = await serve(reply(500));
    const draws = [0, 0.999, 0.5, 0, 0.999];
    const { http, sleeps } = client(server.url, {
      retry: policy({ retries: 5, backoff: { baseMs: 500, maxMs: 5000, jitter: "full" } }),
      random: () => draws.shift() ?? 0,
    });
    await failure(http.request());
    expect(sleeps).toEqual([500, 1000 + 999, 2000 + 1000, 4000, 5000]);
    expect(server.received).toHaveLength(6);
  });

  it("without jitter, waits the steps exactly", async () => {
    const server = await serve(reply(504));
    const { http, sleeps } = client(server.url, {
      retry: policy({ retries: 3, backoff: { baseMs: 100, maxMs: 30_000, jitter: "none" } }),
      random: () => 0.9,
    });
    await failure(http.request());
    expect(sleeps).toEqual([100, 200, 400]);
  });
});

describe("transport", () => {
  it("times out a body that stalls, keeping the request id, and retries it", async () => {
    const stall: Reply = (res) => {
      res.writeHead(200, { "content-type": "application/json", "x-ms-request-id": "5d1b7b6e-0001-0002" });
      res.write('[{"id": 1, "serviceArea": "Exchange"');
    };
    const server = await serve(stall);
    const { http, sleeps } = client(server.url, { timeoutMs: 100, retry: policy({ retries: 1 }) });
    const error = await failure(http.request({ path: ["endpoints", "Worldwide"] }));
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).timedOut).toBe(true);
    expect((error as TransportError).requestId).toBe("5d1b7b6e-0001-0002");
    expect(error.message).toBe(`GET ${server.url}/endpoints/Worldwide timed out after 0.1 s (request id 5d1b7b6e-0001-0002) (2 attempts)`);
    expect(server.received).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
  });

  it("does not repeat a POST that timed out when the policy says so", async () => {
    const server = await serve(() => {});
    const { http } = client(server.url, { timeoutMs: 100, retry: WEBHOOK_RETRY });
    const error = await failure(http.request({ method: "POST", json: { type: "message" } }));
    expect((error as TransportError).timedOut).toBe(true);
    expect(server.received).toHaveLength(1);
  });

  it("retries a refused connection and says why it failed", async () => {
    const server = await serve(reply(200));
    await close?.();
    close = undefined;
    const { http, sleeps } = client(server.url, { retry: policy({ retries: 1 }) });
    const error = await failure(http.request({ path: "/version" }));
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).timedOut).toBe(false);
    expect(error.message).toMatch(new RegExp(`^GET ${server.url}/version failed: .*ECONNREFUSED.* \\(2 attempts\\)$`));
    expect(sleeps).toHaveLength(1);
  });
});

describe("what the client reads", () => {
  it("refuses an answer whose declared length is over the cap, without reading it", async () => {
    // Declares 10 MB and sends a few bytes: reading would stall until the timeout.
    const server = await serve((res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(10_000_000) });
      res.write("[");
    });
    const { http } = client(server.url, { maxResponseBytes: 1024, timeoutMs: 5000 });
    const error = await failure(http.request({ path: ["endpoints", "Worldwide"] }));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe("GET /endpoints/Worldwide: the answer of the test service is larger than 1024 bytes, the most this client reads");
  });

  it("stops reading an endless answer as soon as it is over the cap", async () => {
    // Never ends: a client that read on would time out instead.
    const server = await serve((res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const sets = `${JSON.stringify({ id: 1, ips: ["40.92.0.0/15"] })},`.repeat(100);
      const more = (error?: Error | null) => {
        if (!error && !res.destroyed) res.write(sets, more);
      };
      res.write("[", more);
    });
    const { http } = client(server.url, { maxResponseBytes: 64 * 1024, timeoutMs: 5000 });
    const error = await failure(http.request({ path: "/endpoints/Worldwide" }));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(/the answer of the test service is larger than 65536 bytes/);
    expect(server.received).toHaveLength(1);
  });

  it("refuses an answer that is not UTF-8, or not JSON when JSON is asked", async () => {
    const server = await serve(reply(200, new Uint8Array([0x5b, 0xff, 0x5d])), reply(200, "<html>Sign in</html>"));
    const { http } = client(server.url);
    const notUtf8 = await failure(http.request({ path: "/a" }));
    expect(notUtf8).toBeInstanceOf(InputError);
    expect(notUtf8.message).toBe("GET /a: the answer of the test service is not valid UTF-8");
    const answer = await http.request({ path: "/b" });
    const notJson = await failure(Promise.resolve().then(() => answer.json()));
    expect(notJson).toBeInstanceOf(InputError);
    expect(notJson.message).toMatch(/^GET \/b: the answer of the test service is not valid JSON \(.+\)$/);
    expect(server.received).toHaveLength(2);
  });
});

describe("request ids", () => {
  it.each([
    ["request-id", "8f2c0c2e-1d3a-4b7e-9c55-3f1f7a2b9d10"],
    ["x-ms-request-id", "a1b2c3d4-0000-1111-2222-333344445555"],
    ["client-request-id", "0f0f0f0f-aaaa-bbbb-cccc-ddddeeeeffff"],
    ["x-ms-client-request-id", "77777777-8888-9999-aaaa-bbbbccccdddd"],
  ])("keeps %s in the error and its message", async (header, id) => {
    const server = await serve(json(403, graphError("ErrorAccessDenied", "Access is denied."), { [header]: id }));
    const { http } = client(server.url, { retry: GRAPH_RETRY });
    const error = (await failure(http.request({ method: "POST", path: "/users/a/sendMail", json: {} }))) as HttpError;
    expect(error.requestId).toBe(id);
    expect(error.message).toMatch(
      new RegExp(`^POST ${server.url}/users/a/sendMail answered 403 Forbidden: \\{"error".*Access is denied.* \\(request id ${id}\\)$`),
    );
  });

  it("prefers the service's own id over the echoed client id", async () => {
    const server = await serve(reply(500, "", { "client-request-id": "mine", "request-id": "theirs" }));
    const { http } = client(server.url, { retry: policy({ retries: 0 }) });
    expect(((await failure(http.request())) as HttpError).requestId).toBe("theirs");
  });
});

describe("secrets", () => {
  const sig = "Zm9vYmFyc2VjcmV0c2lnbmF0dXJl";
  const token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.payload.signature";

  it("never shows a secret of the query or the service's text, nor a query the service echoes", async () => {
    const echo: Reply = (res, req) => {
      res.writeHead(401, { "content-type": "text/plain" });
      res.end(`The signature ${sig} is invalid for http://127.0.0.1${req.url}; token ${token} rejected`);
    };
    const server = await serve(echo);
    const { http } = client(`${server.url}/workflows/abc/triggers/manual/paths/invoke`, { retry: WEBHOOK_RETRY, secrets: [sig, token] });
    const error = await failure(
      http.request({ method: "POST", query: { "api-version": "2016-06-01", sp: "/triggers/manual/run", sig }, json: { type: "message" } }),
    );
    expect(error).toBeInstanceOf(HttpError);
    expect(error.message).toBe(
      `POST ${server.url}/workflows/abc/triggers/manual/paths/invoke answered 401 Unauthorized: The signature … is invalid for ` +
        `http://127.0.0.1/workflows/abc/triggers/manual/paths/invoke token … rejected`,
    );
    expect(error.message).not.toContain(sig);
    expect(error.message).not.toContain("api-version");
    expect((error as HttpError).url).toBe(`${server.url}/workflows/abc/triggers/manual/paths/invoke`);
    expect(server.received[0]?.url).toContain(`sig=${sig}`);
  });

  it("replaces a secret in the path, in transport errors too", async () => {
    const server = await serve(() => {});
    const { http } = client(server.url, { timeoutMs: 100, retry: policy({ retries: 0 }), secrets: [sig] });
    const error = await failure(http.request({ path: ["hooks", sig] }));
    expect(error).toBeInstanceOf(TransportError);
    expect(error.message).toBe(`GET ${server.url}/hooks/… timed out after 0.1 s`);
  });

  it("does not cut a secret in two where it shortens the service's text", async () => {
    const server = await serve(reply(400, `${"x".repeat(290)} ${token}`));
    const { http } = client(server.url, { secrets: [token] });
    const error = await failure(http.request());
    expect(error.message).toMatch(/x+ …$/);
    expect(error.message).not.toContain(token.slice(0, 9));
  });
});

describe("configuration", () => {
  it("refuses a base URL that is not http(s) or carries a query, fragment or credentials", () => {
    const make = (baseUrl: string) => () => createHttpClient({ baseUrl, service: "the test service", retry: FEED_RETRY });
    for (const bad of ["ftp://x.example", "https://x.example/?code=secret", "https://x.example/#f", "https://user:pw@x.example", "not a url"]) {
      expect(make(bad), bad).toThrow(InputError);
    }
    expect(make("https://x.example/?code=secret")).toThrow(
      /^the base URL of the test service: expected an http\(s\) URL without query, fragment or credentials$/,
    );
  });

  it("works under a path prefix with a trailing slash, and encodes segments", async () => {
    const server = await serve(reply(200, "ok"));
    const { http } = client(`${server.url}/mirror/m365/`);
    expect(http.baseUrl).toBe(`${server.url}/mirror/m365`);
    await http.request({ path: ["changes", "a b/c?d", "2025010100"] });
    expect(server.received[0]?.url).toBe("/mirror/m365/changes/a%20b%2Fc%3Fd/2025010100");
  });

  it("refuses a path that would leave the base URL or carry its own query, without asking", async () => {
    const server = await serve(reply(200));
    const { http } = client(`${server.url}/api`);
    for (const path of [["version", ".."], ["..", "x"], ["a", ""], "/../x", "/%2e%2e/x", "/a?b=c", "relative"]) {
      expect(await failure(http.request({ path })), JSON.stringify(path)).toBeInstanceOf(InputError);
    }
    expect(server.received).toHaveLength(0);
  });

  it("refuses a GET with a body rather than retrying fetch's refusal as a network error", async () => {
    const server = await serve(reply(200));
    const { http, sleeps } = client(server.url);
    const error = await failure(http.request({ path: "/version", json: { instance: "Worldwide" } }));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe("GET /version: a GET request cannot have a body");
    expect(sleeps).toEqual([]);
    expect(server.received).toHaveLength(0);
  });
});
