import { randomUUID } from "node:crypto";
import type { TokenCredential } from "@azure/identity";
import { Client, type Context, type Middleware, type MiddlewareOptions, ResponseType } from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js";
import { z } from "zod";
import { defaultCredential } from "../azure-credential.js";
import { HttpError, InputError, MailflowGuardError, oneLine, redactUrls, ThrottledError } from "../errors.js";
import { createHttpClient, type HttpResponse } from "../http/client.js";
import { isLoopback } from "../http/loopback.js";
import { GRAPH_RETRY } from "../http/retry.js";
import { printable } from "../validation.js";
import type { Alert, Sink } from "./alert.js";
import { mailHtml, mailSubject, type ScriptAttachment } from "./mail-body.js";

export const DEFAULT_GRAPH_BASE_URL = "https://graph.microsoft.com/v1.0";

/**
 * The largest script attached, in bytes before base64. Graph takes at most
 * 4 MB per request, and base64 makes 3 bytes 4; a larger script is left out
 * and the mail says so.
 */
export const MAX_SCRIPT_ATTACHMENT_BYTES = 2 * 1024 * 1024;

/** The national clouds' Graph hosts; a token is asked for the host's own `.default` scope. */
const GRAPH_HOSTS = new Set(["graph.microsoft.com", "graph.microsoft.us", "dod-graph.microsoft.us", "microsoftgraph.chinacloudapi.cn"]);
const GLOBAL_SCOPE = "https://graph.microsoft.com/.default";
const SERVICE = "Microsoft Graph";
const WHERE = "mail alerts";

export interface GraphMailSinkOptions {
  /** The mailbox the alerts are sent from (`/users/{sender}/sendMail`); the app must hold Application Mail.Send for it. */
  sender: string;
  /** Recipients, each in `toRecipients`; at least one. */
  to: readonly string[];
  /** Default DefaultAzureCredential (the function app's managed identity, or AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET). */
  credential?: TokenCredential;
  /** Graph with its version. Default https://graph.microsoft.com/v1.0; http only on loopback (the test stand-in). */
  graphBaseUrl?: string;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1), for the backoff's jitter. */
  random?: () => number;
}

/** The body of `POST /users/{id}/sendMail`. */
export interface SendMailPayload {
  message: {
    subject: string;
    body: { contentType: "HTML"; content: string };
    toRecipients: { emailAddress: { address: string } }[];
    attachments?: { "@odata.type": "#microsoft.graph.fileAttachment"; name: string; contentType: string; contentBytes: string }[];
  };
  saveToSentItems: boolean;
}

const mailAddress = z.email();

/**
 * The mail channel: one mail per alert from `sender` to every address in
 * `to`, through Microsoft Graph `sendMail`, with the remediation script
 * attached. The Graph client's requests go through the product's HTTP client
 * (GRAPH_RETRY: `Retry-After` honoured on 429 and 503, backoff on 5xx, a
 * timed-out POST not sent again; errors on one line with Graph's request id,
 * the bearer token never in them). Graph answers 202 Accepted with no body:
 * that, and only that, is delivered. Addresses are checked here, so a bad one
 * fails at start-up in one line naming the option, not at the first alert.
 *
 * @example
 * const mail = createGraphMailSink({ sender: "mailflow-guard@contoso.com", to: ["exchange-admins@contoso.com"] });
 * await mail.deliver(alert); // { attempts: 1 }
 */
export function createGraphMailSink(options: GraphMailSinkOptions): Sink {
  const sender = address(options.sender, "sender");
  if (!Array.isArray(options.to) || options.to.length === 0) throw new InputError("expected at least one recipient", { source: WHERE, path: "to" });
  const to = [...new Map(options.to.map((a, i) => address(a, `to[${i}]`)).map((a) => [a.toLowerCase(), a])).values()];
  const root = graphRoot(options.graphBaseUrl ?? DEFAULT_GRAPH_BASE_URL);
  const scope = GRAPH_HOSTS.has(new URL(root).hostname) ? `${new URL(root).origin}/.default` : GLOBAL_SCOPE;
  const auth = new TokenCredentialAuthenticationProvider(options.credential ?? defaultCredential(), { scopes: [scope] });
  const transport = new HttpClientTransport(root, auth, options);
  // One middleware and nothing else: no Graph RetryHandler (retries happen in one place, our client), no RedirectHandler, no
  // HTTPMessageHandler of its own fetch. The token is taken in the transport, not by the Graph AuthenticationHandler,
  // which only signs https URLs of known Graph hosts (and so would send the stand-in's requests unsigned).
  const { origin, version } = splitVersion(root);
  const graph = Client.initWithMiddleware({ middleware: transport, baseUrl: origin, defaultVersion: version });
  const path = `/users/${encodeURIComponent(sender).replace(/%40/g, "@")}/sendMail`;

  return {
    channel: "mail",
    async deliver(alert) {
      const call = new GraphCall();
      try {
        await graph.api(path).middlewareOptions([call]).responseType(ResponseType.RAW).post(sendMailPayload(alert, to));
      } catch (error) {
        // The Graph client wraps whatever its middleware throws in a GraphError of its own; ours is kept here.
        const failure =
          call.error !== undefined
            ? graphAdvice(call.error)
            : new MailflowGuardError(`the ${SERVICE} client failed: ${redactUrls(oneLine(error))}`, { cause: error });
        throw withAttempts(failure, call);
      }
      const response = call.response;
      if (response?.status !== 202) {
        const status = response?.status ?? 0;
        const noted = response?.requestId ? ` (request id ${response.requestId})` : "";
        throw withAttempts(
          new HttpError(`POST ${root}${path} answered ${status}, expected 202 Accepted${noted}`, {
            status,
            method: "POST",
            url: `${root}${path}`,
            requestId: response?.requestId,
          }),
          call,
        );
      }
      return { attempts: call.attempts };
    },
  };
}

/**
 * What Graph is sent for one alert: the subject and HTML body of
 * mail-body.ts, every recipient, the script as `remediation.ps1` when there
 * is one that fits, and nothing kept in the sender's Sent Items.
 */
export function sendMailPayload(alert: Alert, to: readonly string[]): SendMailPayload {
  const bytes = alert.script === undefined ? undefined : Buffer.from(alert.script, "utf8");
  const script: ScriptAttachment = bytes === undefined ? "none" : bytes.length > MAX_SCRIPT_ATTACHMENT_BYTES ? "too-large" : "attached";
  return {
    message: {
      subject: mailSubject(alert),
      body: { contentType: "HTML", content: mailHtml(alert, script) },
      toRecipients: to.map((address) => ({ emailAddress: { address } })),
      ...(script === "attached" && bytes
        ? {
            attachments: [
              {
                "@odata.type": "#microsoft.graph.fileAttachment",
                name: "remediation.ps1",
                contentType: "text/plain",
                contentBytes: bytes.toString("base64"),
              },
            ],
          }
        : {}),
    },
    saveToSentItems: false,
  };
}

/** One sendMail, as the transport saw it: passed to it as a middleware option, so concurrent deliveries never mix. */
class GraphCall implements MiddlewareOptions {
  /** Requests put on the wire. */
  attempts = 0;
  response: HttpResponse | undefined;
  /** What the transport threw, before the Graph client wrapped it. */
  error: unknown;
}

/**
 * The end of the Graph client's middleware chain: takes the token, then sends
 * the request the Graph client built through the product's HTTP client, which
 * alone retries, times out, caps and writes the errors, with the token among
 * its secrets. It answers the Graph client with a Response of what came back.
 */
class HttpClientTransport implements Middleware {
  constructor(
    private readonly root: string,
    private readonly auth: TokenCredentialAuthenticationProvider,
    private readonly options: Pick<GraphMailSinkOptions, "fetch" | "sleep" | "random">,
  ) {}

  async execute(context: Context): Promise<void> {
    const call = context.middlewareControl?.getMiddlewareOptions(GraphCall) as GraphCall | undefined;
    try {
      context.response = await this.send(context, call);
    } catch (error) {
      if (call) call.error = error;
      throw error;
    }
  }

  private async send(context: Context, call: GraphCall | undefined): Promise<Response> {
    const href = typeof context.request === "string" ? context.request : context.request.url;
    // Never a token to anywhere but the configured Graph.
    if (!href.startsWith(`${this.root}/`)) throw new MailflowGuardError(`the ${SERVICE} client asked for a URL outside ${this.root}`);
    const url = new URL(href);
    const body = context.options?.body;
    if (body !== undefined && body !== null && typeof body !== "string")
      throw new MailflowGuardError(`the ${SERVICE} client built a body that is not text`);
    const token = await this.token();
    const headers: Record<string, string> = {};
    new Headers(context.options?.headers as ConstructorParameters<typeof Headers>[0]).forEach((value, name) => {
      headers[name] = value;
    });
    headers.authorization = `Bearer ${token}`;
    headers["client-request-id"] ??= randomUUID();
    const fetchImpl = this.options.fetch ?? globalThis.fetch;
    const http = createHttpClient({
      baseUrl: this.root,
      service: SERVICE,
      retry: GRAPH_RETRY,
      secrets: [token],
      fetch: (input, init) => {
        if (call) call.attempts++;
        return fetchImpl(input, init);
      },
      ...(this.options.sleep ? { sleep: this.options.sleep } : {}),
      ...(this.options.random ? { random: this.options.random } : {}),
    });
    const response = await http.request({
      method: context.options?.method ?? "GET",
      path: url.pathname.slice(new URL(this.root).pathname.replace(/\/+$/, "").length),
      query: Object.fromEntries(url.searchParams),
      headers,
      ...(typeof body === "string" ? { text: body } : {}),
    });
    if (call) call.response = response;
    const text = response.text();
    return new Response(text === "" || [204, 205, 304].includes(response.status) ? null : text, {
      status: response.status,
      headers: response.headers,
    });
  }

  private async token(): Promise<string> {
    let token: string;
    try {
      token = await this.auth.getAccessToken();
    } catch (error) {
      // DefaultAzureCredential explains each credential it tried, on many lines.
      const reason = redactUrls(oneLine(error));
      throw new MailflowGuardError(`could not get a token for ${SERVICE}: ${reason.length > 400 ? `${reason.slice(0, 400)}…` : reason}`, {
        cause: error,
      });
    }
    if (typeof token !== "string" || token === "") throw new MailflowGuardError(`could not get a token for ${SERVICE}: the credential returned none`);
    return token;
  }
}

/** The failure, with how many requests it put on the wire (0 when none), as the delivery record reads it (deliver.ts). */
function withAttempts(error: unknown, call: GraphCall): unknown {
  if (error instanceof Error) Object.defineProperty(error, "attempts", { value: call.attempts, enumerable: false, configurable: true });
  return error;
}

/** A 401 or 403 says what to look at; the rest speak for themselves. */
function graphAdvice(error: unknown): unknown {
  if (!(error instanceof HttpError) || error instanceof ThrottledError) return error;
  const advice =
    error.status === 401
      ? "Graph refused the token: check the credential (the managed identity, or AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)"
      : error.status === 403
        ? "the app may not send as this mailbox: assign it Application Mail.Send scoped to the sender (RBAC for Applications; see the README)"
        : undefined;
  return advice === undefined ? error : new HttpError(`${error.message}; ${advice}`, error, { cause: error });
}

function address(value: unknown, path: string): string {
  const text = typeof value === "string" ? value.trim() : value;
  if (typeof text === "string" && mailAddress.safeParse(text).success) return text;
  const shown = typeof value === "string" ? JSON.stringify(printable(value)) : `a ${value === null ? "null" : typeof value}`;
  throw new InputError(`${shown} is not a mail address (expected name@domain)`, { source: WHERE, path });
}

/** https, or http to this machine only: the token must never cross a network in clear. */
function graphRoot(text: string): string {
  const invalid = (detail: string) => new InputError(detail, { source: WHERE, path: "graphBaseUrl" });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid("expected the Graph URL with its version, such as https://graph.microsoft.com/v1.0");
  }
  const loopback = isLoopback(url.hostname);
  if (!(url.protocol === "https:" || (url.protocol === "http:" && loopback)) || url.search || url.hash || url.username || url.password)
    throw invalid("expected an https URL without query, fragment or credentials (http only on loopback)");
  const root = url.origin + url.pathname.replace(/\/+$/, "");
  if (!/\/[^/]+$/.test(url.pathname.replace(/\/+$/, "")))
    throw invalid("expected the Graph URL with its version, such as https://graph.microsoft.com/v1.0");
  return root;
}

/** `https://graph.microsoft.com/v1.0` → the Graph client's `baseUrl` and `defaultVersion`. */
function splitVersion(root: string): { origin: string; version: string } {
  const at = root.lastIndexOf("/");
  return { origin: root.slice(0, at), version: root.slice(at + 1) };
}
