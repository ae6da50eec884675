import { randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { headerOf, parseBody, safeDecode, withoutToken } from "./http-records.js";

/** One request as the stand-in received it, and what it answered. */
export interface GraphStandInRequest {
  method: string;
  /** The path as received, without the query. */
  path: string;
  /** The `{id}` of `/users/{id}/sendMail`, decoded. */
  userId: string | undefined;
  /** Headers as received, except `authorization`, whose token is replaced by "…" (`Bearer …`). */
  headers: IncomingHttpHeaders;
  /** The body parsed as JSON, or the text when it is not JSON, or undefined when empty. */
  body: unknown;
  /** What the stand-in answered. */
  status: number;
  /** The `request-id` it answered with. */
  requestId: string;
}

/** A canned answer for the next requests, in place of Graph's. */
export interface GraphFailure {
  status: number;
  /** `Retry-After` in seconds; a 429 sends 2 unless told otherwise (`null` sends none). */
  retryAfterSeconds?: number | null;
  /** Graph's error code and message; defaults by status (403: ErrorAccessDenied). */
  code?: string;
  message?: string;
}

export interface GraphStandInOptions {
  /** When set, any other bearer token is refused with 401 InvalidAuthenticationToken. */
  acceptToken?: string;
  /** The mailboxes that exist; others get 404 ErrorInvalidUser. Default: every address. */
  mailboxes?: readonly string[];
}

export interface GraphStandIn {
  /** The Graph base URL to give a client, with its version: `http://127.0.0.1:{port}/v1.0`. */
  url: string;
  /** Every request, in order, refused ones included. */
  requests: GraphStandInRequest[];
  /** The next `count` requests that reach sendMail well-formed get `failure` instead of 202. */
  failNext(count: number, failure: GraphFailure): void;
  close(): Promise<void>;
}

/** What Graph says for each status when a test gives no code or message. */
const DEFAULT_ERRORS: Record<number, { code: string; message: string }> = {
  401: { code: "ErrorAccessDenied", message: "Access is denied. Check credentials and try again." },
  403: { code: "ErrorAccessDenied", message: "Access is denied. Check credentials and try again." },
  429: { code: "ApplicationThrottled", message: "Application is over its MailboxConcurrency limit." },
  500: { code: "InternalServerError", message: "An internal server error occurred. The operation failed." },
  503: { code: "ServiceUnavailable", message: "The service is temporarily unavailable. Please retry later." },
};

const recipient = z.strictObject({ emailAddress: z.strictObject({ address: z.email(), name: z.string().optional() }) });
const fileAttachment = z.strictObject({
  "@odata.type": z.literal("#microsoft.graph.fileAttachment"),
  name: z.string().min(1),
  contentType: z.string().optional(),
  contentBytes: z.base64(),
  isInline: z.boolean().optional(),
  contentId: z.string().optional(),
});
/** A `message` as sendMail takes it: the properties a mailer sends, each checked; an unknown one is refused, as Graph does. */
const sendMailBody = z.strictObject({
  message: z.strictObject({
    subject: z.string().optional(),
    body: z.strictObject({ contentType: z.enum(["Text", "HTML", "text", "html"]), content: z.string() }),
    toRecipients: z.array(recipient).min(1),
    ccRecipients: z.array(recipient).optional(),
    bccRecipients: z.array(recipient).optional(),
    replyTo: z.array(recipient).optional(),
    importance: z.enum(["low", "normal", "high"]).optional(),
    attachments: z.array(fileAttachment).optional(),
  }),
  saveToSentItems: z.boolean().optional(),
});

/**
 * A local stand-in for Microsoft Graph's sendMail on 127.0.0.1, for tests
 * that need real HTTP: `POST /v1.0/users/{id}/sendMail` with
 * `Authorization: Bearer …` and `Content-Type: application/json` and a
 * well-formed message answers 202 with no body, and every answer carries
 * `request-id` and `client-request-id` (the caller's, echoed) as Graph's do.
 * Error answers have Graph's shape, `{"error":{"code","message","innerError"}}`.
 * `failNext` makes the next requests answer 429 (with `Retry-After: 2`),
 * 503, 401 or 403 instead.
 *
 * @example
 * const graph = await startGraphStandIn({ acceptToken: "test-token-1" });
 * graph.failNext(1, { status: 429 });
 * const sink = createGraphMailSink({ sender: "alerts@contoso.com", to: ["admins@contoso.com"], graphBaseUrl: graph.url, credential });
 * await graph.close();
 */
export async function startGraphStandIn(options: GraphStandInOptions = {}): Promise<GraphStandIn> {
  const requests: GraphStandInRequest[] = [];
  const failures: GraphFailure[] = [];
  const mailboxes = options.mailboxes && new Set(options.mailboxes.map((m) => m.toLowerCase()));

  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () => {
      const text = Buffer.concat(parts).toString("utf8");
      const url = new URL(req.url ?? "/", "http://stand-in");
      const match = /^\/v1\.0\/users\/([^/]+)\/sendMail$/i.exec(url.pathname);
      const userId = match ? safeDecode(match[1]!) : undefined;
      const requestId = randomUUID();
      const clientRequestId = headerOf(req.headers, "client-request-id") ?? randomUUID();
      const record: GraphStandInRequest = {
        method: req.method ?? "",
        path: url.pathname,
        userId,
        headers: withoutToken(req.headers),
        body: parseBody(text),
        status: 0,
        requestId,
      };
      requests.push(record);
      const answer = (status: number, headers: Record<string, string> = {}, error?: { code: string; message: string }) => {
        record.status = status;
        send(
          res,
          status,
          { "request-id": requestId, "client-request-id": clientRequestId, ...headers },
          error && graphError(error, requestId, clientRequestId),
        );
      };

      if (!match) return answer(404, {}, { code: "ResourceNotFound", message: `Resource not found for the segment '${url.pathname}'.` });
      if (req.method !== "POST")
        return answer(405, {}, { code: "Request_BadRequest", message: "Specified HTTP method is not allowed for the request target." });
      const authorization = headerOf(req.headers, "authorization") ?? "";
      const token = /^Bearer (\S+)$/.exec(authorization)?.[1];
      if (!token) return answer(401, {}, { code: "InvalidAuthenticationToken", message: "Access token is empty." });
      if (options.acceptToken !== undefined && token !== options.acceptToken)
        return answer(401, {}, { code: "InvalidAuthenticationToken", message: "IDX14100: JWT is not well formed." });
      const contentType = (headerOf(req.headers, "content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      if (contentType !== "application/json")
        return answer(415, {}, { code: "UnsupportedMediaType", message: "Content-Type must be application/json." });
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return answer(
          400,
          {},
          {
            code: "BadRequest",
            message: "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
          },
        );
      }
      const parsed = sendMailBody.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const where = issue.path.join(".");
        const recipients = where.includes("Recipients");
        return answer(
          400,
          {},
          {
            code: recipients ? "ErrorInvalidRecipients" : "BadRequest",
            message: `${where || "body"}: ${issue.message}`,
          },
        );
      }
      if (mailboxes && !mailboxes.has((userId ?? "").toLowerCase()))
        return answer(404, {}, { code: "ErrorInvalidUser", message: `The requested user '${userId}' is invalid.` });
      const failure = failures.shift();
      if (failure) {
        const retryAfter = failure.retryAfterSeconds === undefined ? (failure.status === 429 ? 2 : undefined) : failure.retryAfterSeconds;
        const fallback = DEFAULT_ERRORS[failure.status] ?? { code: "UnknownError", message: "" };
        return answer(failure.status, retryAfter === undefined || retryAfter === null ? {} : { "retry-after": String(retryAfter) }, {
          code: failure.code ?? fallback.code,
          message: failure.message ?? fallback.message,
        });
      }
      return answer(202);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1.0`,
    requests,
    failNext(count, failure) {
      for (let i = 0; i < count; i++) failures.push(failure);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  const date = new Date().toUTCString();
  if (body === undefined) {
    res.writeHead(status, { ...headers, date, "content-length": "0" });
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, date, "content-type": "application/json; charset=utf-8", "content-length": String(Buffer.byteLength(text)) });
  res.end(text);
}

function graphError(error: { code: string; message: string }, requestId: string, clientRequestId: string) {
  return {
    error: {
      code: error.code,
      message: error.message,
      innerError: { date: new Date().toISOString().slice(0, 19), "request-id": requestId, "client-request-id": clientRequestId },
    },
  };
}
