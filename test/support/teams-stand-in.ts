import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request as the stand-in saw it; the signature is never kept, only whether it matched. */
export interface TeamsStandInRequest {
  method: string;
  /** The path as received, without the query. */
  path: string;
  /** The query parameters, `sig` replaced by "…". */
  query: Record<string, string>;
  sigValid: boolean;
  contentType: string | undefined;
  /** Bytes of the body as received. */
  bytes: number;
  /** The body parsed as JSON; undefined when it is not JSON. */
  body: unknown;
  /** The status the stand-in answered. */
  status: number;
}

export interface TeamsStandIn {
  /** The webhook URL to configure, with its signature. */
  url: string;
  /** The signature in `url`, for tests that check it never leaks. */
  sig: string;
  workflowId: string;
  requests: TeamsStandInRequest[];
  /** The next `count` valid posts answer 429 with `Retry-After` (seconds; default 1). */
  throttle(count: number, retryAfterSeconds?: number): void;
  /**
   * The next `count` valid posts answer `status` (500, 503, 400…). The body
   * is a Logic Apps style error that quotes the request URL with its query,
   * and the signature on its own, as a service may: the client must keep
   * both out of its errors.
   */
  fail(status: number, count?: number): void;
  close(): Promise<void>;
}

interface Verdict {
  status: number;
  error?: { code: string; message: string };
  headers?: Record<string, string>;
}

/** Teams refuses larger messages. */
const MAX_BYTES = 28_000;
/** The stand-in stops reading here (the real one would as well). */
const READ_LIMIT = 1024 * 1024;

/**
 * A local stand-in for a Power Automate Workflows webhook ("When a Teams
 * webhook request is received") on 127.0.0.1: POST to
 * `/workflows/{id}/triggers/manual/paths/invoke?api-version=1&sp=…&sv=1.0&sig=…`
 * with `Content-Type: application/json` and a message of one Adaptive Card
 * attachment answers 202 with an empty body, as the real one does before the
 * flow runs. A wrong path is 404, a wrong method 405, a wrong or missing
 * signature 401, a body that is not JSON or not such a message 400, one above
 * 28,000 bytes 413. It can be told to throttle or fail the next posts.
 *
 * @example
 * const teams = await startTeamsStandIn();
 * const sink = createTeamsSink({ webhookUrl: teams.url });
 * await teams.close();
 */
export async function startTeamsStandIn(options: { maxBytes?: number } = {}): Promise<TeamsStandIn> {
  const maxBytes = options.maxBytes ?? MAX_BYTES;
  const workflowId = randomUUID().replace(/-/g, "");
  const sig = randomBytes(32).toString("base64url");
  const requests: TeamsStandInRequest[] = [];
  const planned: { status: number; retryAfterSeconds?: number }[] = [];

  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on("data", (part: Buffer) => {
      size += part.length;
      if (size <= READ_LIMIT) parts.push(part);
    });
    req.on("end", () => answer(req, res, Buffer.concat(parts), size));
  });

  function answer(req: IncomingMessage, res: ServerResponse, raw: Buffer, bytes: number): void {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const query = Object.fromEntries([...url.searchParams].map(([k, v]) => [k, k === "sig" ? "…" : v]));
    const contentType = req.headers["content-type"];
    const body = parseJson(raw);
    const sigValid = url.searchParams.get("sig") === sig;
    const { status, error, headers = {} } = verdict(req, url, sigValid, contentType, bytes, body);
    requests.push({ method: req.method ?? "", path: url.pathname, query, sigValid, contentType, bytes, body, status });
    if (error === undefined) {
      res.writeHead(status, headers);
      res.end();
    } else {
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
      res.end(JSON.stringify({ error }));
    }
  }

  /** What the webhook answers: the first check that fails, else what a test planned, else 202. */
  function verdict(req: IncomingMessage, url: URL, sigValid: boolean, contentType: string | undefined, bytes: number, body: unknown): Verdict {
    const refuse = (status: number, code: string, message: string): Verdict => ({ status, error: { code, message } });
    if (url.pathname !== `/workflows/${workflowId}/triggers/manual/paths/invoke`)
      return refuse(404, "WorkflowNotFound", "The workflow was not found.");
    if (req.method !== "POST") return refuse(405, "MethodNotAllowed", `The HTTP method '${req.method}' is not allowed.`);
    if (url.searchParams.get("api-version") !== "1" || url.searchParams.get("sv") !== "1.0" || !url.searchParams.get("sp"))
      return refuse(400, "InvalidRequestQuery", "api-version=1, sp and sv=1.0 are required.");
    if (!sigValid) return refuse(401, "DirectApiAuthorizationRequired", "The request must be signed.");
    if (!/^application\/json\s*(?:;|$)/i.test(contentType ?? ""))
      return refuse(400, "InvalidRequestContent", "The request content type must be application/json.");
    if (bytes > maxBytes) return refuse(413, "MessageTooLarge", `The message is larger than ${maxBytes} bytes.`);
    const problem = messageProblem(body);
    if (problem) return refuse(400, "TriggerInputSchemaMismatch", problem);

    const next = planned.shift();
    if (next?.status === 429)
      return { ...refuse(429, "TooManyRequests", "Rate limit is exceeded."), headers: { "retry-after": String(next.retryAfterSeconds ?? 1) } };
    if (next) {
      const code = next.status >= 500 ? "ServiceUnavailable" : "BadRequest";
      return refuse(next.status, code, `The request to 'http://127.0.0.1${req.url}' failed. Signature: ${url.searchParams.get("sig")}.`);
    }
    return { status: 202 };
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const query = new URLSearchParams({ "api-version": "1", sp: "/triggers/manual/run", sv: "1.0", sig });
  return {
    url: `http://127.0.0.1:${port}/workflows/${workflowId}/triggers/manual/paths/invoke?${query}`,
    sig,
    workflowId,
    requests,
    throttle(count, retryAfterSeconds = 1) {
      for (let i = 0; i < count; i++) planned.push({ status: 429, retryAfterSeconds });
    },
    fail(status, count = 1) {
      for (let i = 0; i < count; i++) planned.push({ status });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch {
    return undefined;
  }
}

/** What the trigger's schema would refuse: not a message of exactly one Adaptive Card attachment. */
function messageProblem(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return "The body must be a JSON object.";
  const { type, attachments } = body as { type?: unknown; attachments?: unknown };
  if (type !== "message") return `'type' must be 'message'.`;
  if (!Array.isArray(attachments) || attachments.length !== 1) return "'attachments' must hold exactly one attachment.";
  const [attachment] = attachments as { contentType?: unknown; content?: unknown }[];
  if (attachment?.contentType !== "application/vnd.microsoft.card.adaptive") return "The attachment must be an Adaptive Card.";
  const content = attachment.content as { type?: unknown; body?: unknown } | undefined;
  if (content?.type !== "AdaptiveCard" || !Array.isArray(content.body)) return "The attachment's content must be an AdaptiveCard with a body.";
  return undefined;
}
