import { inspect } from "node:util";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";
import { afterEach, describe, expect, it, vi } from "vitest";
import { failure } from "../../test/support/failure.js";
import { type GraphStandIn, startGraphStandIn } from "../../test/support/graph-stand-in.js";
import { HttpError, InputError, MailflowGuardError } from "../errors.js";
import type { Alert, FindingBrief, Transition } from "./alert.js";
import { createGraphMailSink, type GraphMailSinkOptions, MAX_SCRIPT_ATTACHMENT_BYTES, type SendMailPayload } from "./graph-mail.js";

const TOKEN = "test-token-6f1d2c0e-secret";
const SENDER = "mailflow-guard@contoso.com";
const TO = ["exchange-admins@contoso.com", "oncall@fabrikam.example"];
const HOSTILE = `EX01\\<img src=x onerror=alert(1)> & "Inbound"`;
const SCRIPT = "\ufeff<#\r\n  mailflow-guard remediation: 'EX01\\Inbound from Office 365'\r\n#>\r\nSet-ReceiveConnector -Identity 'x'\r\n";

/** A TokenCredential as tests need one: a fixed token, and what it was asked for. */
function fakeCredential(token = TOKEN): TokenCredential & { scopes: string[][] } {
  const scopes: string[][] = [];
  return {
    scopes,
    async getToken(requested: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
      scopes.push([requested].flat());
      return { token, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}

function brief(over: Partial<FindingBrief> = {}): FindingBrief {
  return {
    id: "missing-eop-range/receive-connector/ex01",
    digest: "d1",
    rule: "missing-eop-range",
    severity: "error",
    subject: { kind: "receive-connector", name: HOSTILE },
    summary: "The connector lacks 2 EOP ranges.",
    impact: "EOP mail from those addresses is anonymous.",
    ranges: ["40.92.0.0/15", "52.100.0.0/14"],
    rangeCount: 2,
    ...over,
  };
}

function alert(over: Partial<Alert> = {}): Alert {
  const t = (kind: Transition["kind"], finding: FindingBrief): Transition => ({ kind, finding, since: "2025-06-01T06:00:00.000Z", alert: true });
  return {
    id: "contoso.onmicrosoft.com/run-1",
    tenant: "contoso.onmicrosoft.com",
    runId: "run-1",
    instance: "Worldwide",
    at: "2025-06-02T06:00:00.000Z",
    headline: "Drift: 1 connector misses EOP ranges",
    transitions: [t("new", brief()), t("new", brief({ id: "b", subject: { kind: "allowlist", name: "fw" } })), t("resolved", brief({ id: "c" }))],
    script: SCRIPT,
    ...over,
  };
}

let graph: GraphStandIn | undefined;
afterEach(async () => {
  await graph?.close();
  graph = undefined;
});

async function setUp(over: Partial<GraphMailSinkOptions> = {}) {
  graph = await startGraphStandIn({ acceptToken: TOKEN, mailboxes: [SENDER] });
  const credential = fakeCredential();
  const sleep = vi.fn(async (_ms: number) => {});
  const sink = createGraphMailSink({ sender: SENDER, to: TO, credential, graphBaseUrl: graph.url, sleep, random: () => 0, ...over });
  return { graph, credential, sleep, sink };
}

describe("createGraphMailSink", () => {
  it("sends one mail through sendMail and takes 202 as delivered", async () => {
    const { graph, credential, sleep, sink } = await setUp();
    expect(sink.channel).toBe("mail");

    expect(await sink.deliver(alert())).toEqual({ attempts: 1 });

    expect(graph.requests).toHaveLength(1);
    const [request] = graph.requests;
    expect(request).toMatchObject({ method: "POST", path: `/v1.0/users/${SENDER}/sendMail`, userId: SENDER, status: 202 });
    expect(request!.headers["content-type"]).toMatch(/^application\/json/);
    expect(request!.headers.authorization).toBe("Bearer …");
    expect(request!.headers["user-agent"]).toBe("mailflow-guard");
    expect(request!.headers["client-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(credential.scopes).toEqual([["https://graph.microsoft.com/.default"]]);
    expect(sleep).not.toHaveBeenCalled();

    const body = request!.body as SendMailPayload;
    expect(body.saveToSentItems).toBe(false);
    expect(body.message.toRecipients).toEqual(TO.map((address) => ({ emailAddress: { address } })));
    expect(body.message.subject).toBe("mailflow-guard: contoso.onmicrosoft.com: 2 new, 1 resolved");
    expect(body.message.body.contentType).toBe("HTML");
    expect(body.message.body.content).toContain("EX01\\&lt;img src=x onerror=alert(1)&gt; &amp; &quot;Inbound&quot;");
    expect(body.message.body.content).not.toContain("<img");
    expect(body.message.attachments).toHaveLength(1);
    const [attachment] = body.message.attachments!;
    expect(attachment).toMatchObject({ "@odata.type": "#microsoft.graph.fileAttachment", name: "remediation.ps1", contentType: "text/plain" });
    expect(Buffer.from(attachment!.contentBytes, "base64").toString("utf8")).toBe(SCRIPT);
  });

  it("attaches nothing without a script, and leaves out a script too large for one request", async () => {
    const { graph, sink } = await setUp();
    await sink.deliver(alert({ script: undefined }));
    await sink.deliver(alert({ script: "#".repeat(MAX_SCRIPT_ATTACHMENT_BYTES + 1) }));

    const [without, tooLarge] = graph.requests.map((r) => r.body as SendMailPayload);
    expect(without!.message).not.toHaveProperty("attachments");
    expect(without!.message.body.content).not.toContain("remediation.ps1");
    expect(tooLarge!.message).not.toHaveProperty("attachments");
    expect(tooLarge!.message.body.content).toContain("too large to attach");
  });

  it("waits as Retry-After says on 429 and sends again, once per attempt", async () => {
    const { graph, sleep, sink } = await setUp();
    graph.failNext(1, { status: 429 });

    expect(await sink.deliver(alert())).toEqual({ attempts: 2 });
    expect(sleep.mock.calls).toEqual([[2000]]);
    expect(graph.requests.map((r) => r.status)).toEqual([429, 202]);
  });

  it("retries 503 with backoff, and gives up after GRAPH_RETRY's attempts without the Graph client's own retries", async () => {
    const { graph, sleep, sink } = await setUp();
    graph.failNext(2, { status: 503, retryAfterSeconds: null });
    expect(await sink.deliver(alert())).toEqual({ attempts: 3 });
    // random() is 0: 1 s, then 2 s.
    expect(sleep.mock.calls).toEqual([[1000], [2000]]);

    graph.requests.length = 0;
    graph.failNext(10, { status: 503, retryAfterSeconds: null });
    const error = await failure(sink.deliver(alert()));
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(503);
    expect(error.message).toContain("(4 attempts)");
    expect((error as Error & { attempts?: number }).attempts).toBe(4);
    // 1 + GRAPH_RETRY.retries: a second retry layer (Graph's RetryHandler) would multiply these.
    expect(graph.requests).toHaveLength(4);
  });

  it("fails on 403 with Graph's code, message and request id, once, and never with the token", async () => {
    const { graph, sleep, sink } = await setUp();
    graph.failNext(1, { status: 403 });

    const error = await failure(sink.deliver(alert()));
    expect(error).toBeInstanceOf(HttpError);
    const http = error as HttpError;
    expect(http.status).toBe(403);
    expect(http.message).toContain("403 Forbidden");
    expect(http.message).toContain("ErrorAccessDenied");
    expect(http.message).toContain("Access is denied. Check credentials and try again.");
    expect(http.message).toContain("Application Mail.Send");
    expect(http.message).not.toMatch(/[\r\n]/);
    expect(graph.requests).toHaveLength(1);
    expect(http.requestId).toBe(graph.requests[0]!.requestId);
    expect(http.message).toContain(`(request id ${graph.requests[0]!.requestId})`);
    expect(sleep).not.toHaveBeenCalled();
    expect(inspect(error, { depth: 10 })).not.toContain(TOKEN);
    expect(JSON.stringify(error)).not.toContain(TOKEN);
  });

  it("fails on 401 without retrying, pointing at the credential", async () => {
    const { graph, sink } = await setUp({ credential: fakeCredential("test-token-expired") });
    const error = await failure(sink.deliver(alert()));
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(401);
    expect(error.message).toContain("InvalidAuthenticationToken");
    expect(error.message).toContain("check the credential");
    expect(error.message).not.toContain("test-token-expired");
    expect(graph.requests).toHaveLength(1);
  });

  it("keeps the token out of an error even when the service quotes it", async () => {
    const { graph, sink } = await setUp();
    graph.failNext(1, { status: 400, code: "BadRequest", message: `Token ${TOKEN} is not valid for this resource` });
    const error = await failure(sink.deliver(alert()));
    expect(error).toBeInstanceOf(HttpError);
    expect(error.message).toContain("Token … is not valid");
    expect(inspect(error, { depth: 10 })).not.toContain(TOKEN);
  });

  it("fails in one line, sending nothing, when no token can be had", async () => {
    graph = await startGraphStandIn();
    const credential: TokenCredential = {
      getToken: async () => {
        throw new Error(
          "DefaultAzureCredential failed to retrieve a token.\n  ManagedIdentityCredential: no endpoint\n  EnvironmentCredential: unavailable",
        );
      },
    };
    const sink = createGraphMailSink({ sender: SENDER, to: TO, credential, graphBaseUrl: graph.url });
    const error = await failure(sink.deliver(alert()));
    expect(error).toBeInstanceOf(MailflowGuardError);
    expect(error).not.toBeInstanceOf(HttpError);
    expect(error.message).toMatch(/^could not get a token for Microsoft Graph: DefaultAzureCredential failed .* EnvironmentCredential: unavailable$/);
    expect(graph.requests).toHaveLength(0);
  });

  it("keeps concurrent deliveries apart", async () => {
    const { graph, sink } = await setUp();
    graph.failNext(1, { status: 429, retryAfterSeconds: 0 });
    const results = await Promise.all([sink.deliver(alert()), sink.deliver(alert())]);
    expect(results.map((r) => r.attempts).sort()).toEqual([1, 2]);
    expect(graph.requests).toHaveLength(3);
  });

  it("refuses a bad sender, recipient or Graph URL when it is made, in one line naming the option", () => {
    const make = (over: Partial<GraphMailSinkOptions>) => () =>
      createGraphMailSink({ sender: SENDER, to: TO, credential: fakeCredential(), ...over });
    const refusal = (over: Partial<GraphMailSinkOptions>) => {
      try {
        make(over)();
      } catch (error) {
        expect(error).toBeInstanceOf(InputError);
        expect((error as Error).message).not.toMatch(/[\r\n]/);
        return (error as Error).message;
      }
      throw new Error("expected a refusal");
    };
    expect(refusal({ sender: "mailflow-guard" })).toBe('mail alerts: sender: "mailflow-guard" is not a mail address (expected name@domain)');
    expect(refusal({ sender: "Alerts <alerts@contoso.com>" })).toContain("mail alerts: sender: ");
    expect(refusal({ to: ["ok@contoso.com", "bob@"] })).toBe('mail alerts: to[1]: "bob@" is not a mail address (expected name@domain)');
    expect(refusal({ to: ["ok@contoso.com", "x@contoso.com\r\nBcc: evil@example.com"] })).toContain("to[1]: ");
    expect(refusal({ to: [] })).toBe("mail alerts: to: expected at least one recipient");
    expect(refusal({ graphBaseUrl: "http://graph.example.com/v1.0" })).toContain("mail alerts: graphBaseUrl: ");
    expect(refusal({ graphBaseUrl: "https://graph.microsoft.com" })).toContain("mail alerts: graphBaseUrl: expected the Graph URL with its version");
    expect(make({ graphBaseUrl: "https://graph.microsoft.us/v1.0/" })).not.toThrow();
  });

  it("asks a national cloud's Graph for its own scope", async () => {
    const credential = fakeCredential();
    const fetch = vi.fn(async () => new Response(null, { status: 202 }));
    const sink = createGraphMailSink({ sender: SENDER, to: TO, credential, graphBaseUrl: "https://graph.microsoft.us/v1.0", fetch });
    expect(await sink.deliver(alert())).toEqual({ attempts: 1 });
    expect(credential.scopes).toEqual([["https://graph.microsoft.us/.default"]]);
    expect(fetch.mock.calls[0]).toEqual([`https://graph.microsoft.us/v1.0/users/${SENDER}/sendMail`, expect.anything()]);
  });

  it("takes only 202 Accepted as delivered", async () => {
    const fetch = vi.fn(async () => new Response("<html>sign in</html>", { status: 200, headers: { "request-id": "r-1" } }));
    const sink = createGraphMailSink({ sender: SENDER, to: TO, credential: fakeCredential(), fetch });
    const error = await failure(sink.deliver(alert()));
    expect(error).toBeInstanceOf(HttpError);
    expect(error.message).toBe(`POST https://graph.microsoft.com/v1.0/users/${SENDER}/sendMail answered 200, expected 202 Accepted (request id r-1)`);
  });
});
