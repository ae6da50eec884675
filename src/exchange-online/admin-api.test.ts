import { inspect } from "node:util";
import type { AccessToken, TokenCredential } from "@azure/identity";
import { afterEach, describe, expect, it, vi } from "vitest";
import { contosoHybrid, type ExoStandIn, type ExoStandInOptions, MORE_RESULTS_WARNING, startExoStandIn } from "../../test/support/exo-stand-in.js";
import { failure } from "../../test/support/failure.js";
import { HttpError, InputError, MailflowGuardError, ThrottledError } from "../errors.js";
import { EXCHANGE_ONLINE_RETRY } from "../http/retry.js";
import {
  createExchangeOnlineClient,
  EXCHANGE_ONLINE_CONCURRENCY,
  EXCHANGE_ONLINE_SCOPE,
  type ExchangeOnlineClientOptions,
  IncompleteReadError,
  parseTenantId,
} from "./admin-api.js";

const TOKEN = "exo-token-9c41e7d2-secret";
const TENANT = "contoso.onmicrosoft.com";
const TENANT_GUID = "2f1e0c3a-7b4d-4e8f-9a61-5c2d8e0b7a14";
const ANCHOR = "SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}";
const UNLIMITED = { ResultSize: "Unlimited" };

/** A TokenCredential with a fixed token that records the scopes it was asked for. */
function fakeCredential(token = TOKEN): TokenCredential & { scopes: string[][] } {
  const scopes: string[][] = [];
  return {
    scopes,
    async getToken(requested: string | string[]): Promise<AccessToken> {
      scopes.push([requested].flat());
      return { token, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}

let exo: ExoStandIn | undefined;
afterEach(async () => {
  await exo?.close();
  exo = undefined;
});

async function setUp(over: Partial<ExchangeOnlineClientOptions> = {}, standIn: ExoStandInOptions = {}) {
  exo = await startExoStandIn({ acceptToken: TOKEN, ...standIn });
  const credential = fakeCredential();
  const sleep = vi.fn(async (_ms: number) => {});
  const client = createExchangeOnlineClient({ baseUrl: exo.url, credential, sleep, random: () => 0, ...over });
  return { exo, credential, sleep, client };
}

describe("readState", () => {
  it("reads the four lists whole, with the token for Exchange Online's scope, and returns the objects raw", async () => {
    const { exo, credential, client } = await setUp();

    const state = await client.readState(TENANT);

    expect(state).toEqual({ ...contosoHybrid(), warnings: [] });
    expect(exo.requests.map((r) => [r.method, r.path, r.status, r.cmdletName, r.parameters])).toEqual(
      ["Get-InboundConnector", "Get-OutboundConnector", "Get-AcceptedDomain", "Get-RemoteDomain"].map((cmdlet) => [
        "POST",
        `/adminapi/beta/${TENANT}/InvokeCommand`,
        200,
        cmdlet,
        UNLIMITED,
      ]),
    );
    expect(exo.requests[0]!.body).toEqual({ CmdletInput: { CmdletName: "Get-InboundConnector", Parameters: { ResultSize: "Unlimited" } } });
    expect(credential.scopes).toEqual(Array(4).fill([EXCHANGE_ONLINE_SCOPE]));
    expect(EXCHANGE_ONLINE_SCOPE).toBe("https://outlook.office365.com/.default");
  });

  it("sends the module's headers: JSON answers, the system mailbox anchor, 1000 a page, the cmdlet and the session", async () => {
    const { exo, client } = await setUp();

    await client.readState(TENANT);

    const [first, second] = exo.requests;
    expect(first!.headers).toMatchObject({
      authorization: "Bearer …",
      "content-type": "application/json",
      accept: "application/json",
      "x-responseformat": "json",
      "x-anchormailbox": `UPN:${ANCHOR}@${TENANT}`,
      prefer: "odata.maxpagesize=1000",
      "x-cmdletname": "Get-InboundConnector",
      "user-agent": "mailflow-guard",
    });
    expect(second!.headers["x-cmdletname"]).toBe("Get-OutboundConnector");
    expect(first!.headers["connection-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(second!.headers["connection-id"]).toBe(first!.headers["connection-id"]);
    expect(second!.headers["client-request-id"]).not.toBe(first!.headers["client-request-id"]);
  });

  it("asks the credential of each tenant, and anchors a tenant named by GUID to the app's system mailbox", async () => {
    exo = await startExoStandIn({ acceptToken: TOKEN });
    const asked: string[] = [];
    const client = createExchangeOnlineClient({
      baseUrl: exo.url,
      credential: (tenantId) => {
        asked.push(tenantId);
        return fakeCredential();
      },
    });

    await client.invoke(TENANT_GUID.toUpperCase(), "Get-AcceptedDomain", UNLIMITED);

    expect(asked).toEqual([TENANT_GUID]);
    expect(exo.requests[0]!.path).toBe(`/adminapi/beta/${TENANT_GUID}/InvokeCommand`);
    expect(exo.requests[0]!.headers["x-anchormailbox"]).toBe(`APP:${ANCHOR}@${TENANT_GUID}`);
  });

  it("returns the objects the stand-in is given, and every cmdlet's warnings under its name", async () => {
    const connector = { ...contosoHybrid().inboundConnectors[0]!, RequireTls: false, TlsSenderCertificateName: null };
    const { exo, client } = await setUp({}, { inboundConnectors: [connector], remoteDomains: [] });
    exo.script({ warnings: ["The Identity parameter is deprecated."] }, { cmdlet: "Get-OutboundConnector" });

    const state = await client.readState(TENANT);

    expect(state.inboundConnectors).toEqual([connector]);
    expect(state.remoteDomains).toEqual([]);
    expect(state.warnings).toEqual(["Get-OutboundConnector: The Identity parameter is deprecated."]);
  });
});

describe("a tenant without objects of a kind", () => {
  it.each(["absent", "null", "[]"] as const)("reads no connectors as empty lists when the service sends value %s", async (emptyValue) => {
    const answers: string[] = [];
    const { client } = await setUp(
      {
        fetch: async (input, init) => {
          const response = await fetch(input, init);
          answers.push(await response.clone().text());
          return response;
        },
      },
      { inboundConnectors: [], outboundConnectors: [], emptyValue },
    );

    const state = await client.readState(TENANT);

    expect(state).toEqual({ ...contosoHybrid(), inboundConnectors: [], outboundConnectors: [], warnings: [] });
    const values = answers.slice(0, 2).map((text) => Object.entries(JSON.parse(text)).find(([key]) => key === "value"));
    expect(values).toEqual(Array(2).fill(emptyValue === "absent" ? undefined : ["value", JSON.parse(emptyValue)]));
  });

  it("still refuses a value that is neither a list nor null", async () => {
    for (const value of [{ Identity: "Inbound from Contoso on-prem" }, "none", 0]) {
      const client = createExchangeOnlineClient({
        baseUrl: "https://outlook.office365.com",
        credential: fakeCredential(),
        fetch: async () => Response.json({ "@adminapi.warnings": [], value }),
      });

      const error = await failure(client.invoke(TENANT, "Get-InboundConnector", UNLIMITED));

      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toMatch(/^POST \/adminapi\/beta\/contoso\.onmicrosoft\.com\/InvokeCommand \(Get-InboundConnector\): value: /);
    }
  });
});

/** fetch on the way to the real stand-in, counting the requests in flight and holding each a moment so that they overlap. */
function countingFetch() {
  let inFlight = 0;
  let most = 0;
  const counted: typeof fetch = async (input, init) => {
    inFlight++;
    most = Math.max(most, inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return await fetch(input, init);
    } finally {
      inFlight--;
    }
  };
  return { fetch: counted, most: () => most };
}

describe("concurrency", () => {
  it("keeps at most EXCHANGE_ONLINE_CONCURRENCY requests in flight, however many tenants are read at once", async () => {
    const counting = countingFetch();
    const { exo: standIn, client } = await setUp({ fetch: counting.fetch });
    const tenants = Array.from({ length: 12 }, (_, i) => `tenant${i}.onmicrosoft.com`);
    const states = await Promise.all(tenants.map((t) => client.readState(t)));
    expect(states).toHaveLength(12);
    expect(standIn.requests).toHaveLength(48);
    expect(counting.most()).toBe(EXCHANGE_ONLINE_CONCURRENCY);
  });

  it("takes another limit, serving the waiting in the order they came, and refuses one below 1", async () => {
    const counting = countingFetch();
    const { exo: standIn, client: one } = await setUp({ maxConcurrentRequests: 1, fetch: counting.fetch });
    await Promise.all(["a.onmicrosoft.com", "b.onmicrosoft.com"].map((t) => one.readState(t)));
    // One at a time, first come first served: each tenant's next cmdlet queues behind the other's.
    expect(standIn.requests.map((r) => `${r.tenantId?.[0]} ${r.cmdletName}`)).toEqual([
      "a Get-InboundConnector",
      "b Get-InboundConnector",
      "a Get-OutboundConnector",
      "b Get-OutboundConnector",
      "a Get-AcceptedDomain",
      "b Get-AcceptedDomain",
      "a Get-RemoteDomain",
      "b Get-RemoteDomain",
    ]);
    expect(counting.most()).toBe(1);
    expect(() => createExchangeOnlineClient({ baseUrl: standIn.url, credential: fakeCredential(), maxConcurrentRequests: 0 })).toThrow(
      "expected a concurrency of at least 1, not 0",
    );
  });
});

describe("an incomplete read", () => {
  it("with @odata.nextLink throws IncompleteReadError and reads no further", async () => {
    const { exo, client } = await setUp();
    exo.script("next-link", { cmdlet: "Get-OutboundConnector" });

    const error = await failure(client.readState(TENANT));

    expect(error).toBeInstanceOf(IncompleteReadError);
    expect(error).toMatchObject({ tenantId: TENANT, cmdletName: "Get-OutboundConnector", received: 1 });
    expect(error.message).toBe(
      `Exchange Online answered Get-OutboundConnector in tenant ${TENANT} with only part of the result (1 received): ` +
        "the answer links to more with @odata.nextLink",
    );
    expect(exo.requests.map((r) => r.cmdletName)).toEqual(["Get-InboundConnector", "Get-OutboundConnector"]);
  });

  it("with the module's 'more results available' warning throws IncompleteReadError quoting it", async () => {
    const { exo, client } = await setUp();
    exo.script("truncated");

    const error = await failure(client.invoke(TENANT, "Get-InboundConnector", UNLIMITED));

    expect(error).toBeInstanceOf(IncompleteReadError);
    expect(error.message).toContain(`it warned ${JSON.stringify(MORE_RESULTS_WARNING)}`);
  });

  it("with @adminapi.errors throws IncompleteReadError", async () => {
    const { exo, client } = await setUp();
    exo.script("cmdlet-errors");

    const error = await failure(client.invoke(TENANT, "Get-RemoteDomain", UNLIMITED));

    expect(error).toBeInstanceOf(IncompleteReadError);
    expect(error.message).toContain("it reported 1 error(s), the first \"The operation couldn't be performed");
  });
});

describe("refusals", () => {
  it("a 400 for a parameter the cmdlet lacks says the AmbiguousParameterSetException's text from innererror, on one line", async () => {
    const { exo, sleep, client } = await setUp();

    const error = await failure(client.invoke(TENANT, "Get-InboundConnector", { ResultSize: "Unlimited", Foo: true }));

    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(400);
    expect(error.message).toMatch(
      new RegExp(
        `^POST http://127\\.0\\.0\\.1:\\d+/adminapi/beta/${TENANT}/InvokeCommand \\(Get-InboundConnector\\) answered 400 Bad Request: ` +
          "Parameter set cannot be resolved using the specified named parameters\\. Invalid cmdlet parameters specified\\. Foo " +
          "\\(request id [0-9a-f-]{36}\\)$",
      ),
    );
    expect(error.message).not.toContain("Invalid Operation");
    expect(error.message).not.toContain("|Microsoft.Exchange");
    expect(exo.requests).toHaveLength(1);
    expect(sleep).not.toHaveBeenCalled();
  });

  it("a 400 for a value the parameter cannot take says the ParameterTransformationException's text", async () => {
    const { client } = await setUp();

    const error = await failure(client.invoke(TENANT, "Get-RemoteDomain", { ResultSize: "lots" }));

    expect(error.message).toContain(
      "answered 400 Bad Request: Cannot process argument transformation on parameter 'ResultSize'. Cannot convert value \"lots\"",
    );
  });

  it("a 400 that says it only in details[] gives those messages without their |Type| prefix", async () => {
    const { exo, client } = await setUp();
    exo.script({ status: 400, message: "The Identity parameter can't be used with ResultSize.", only: "details" });

    const error = await failure(client.invoke(TENANT, "Get-AcceptedDomain", UNLIMITED));

    expect(error.message).toMatch(/answered 400 Bad Request: The Identity parameter can't be used with ResultSize\. \(request id [0-9a-f-]{36}\)$/);
  });

  it("reads every details[] message, with or without an error code before the type, after innererror's", async () => {
    const answer = (error: object) =>
      createExchangeOnlineClient({
        baseUrl: "https://outlook.office365.com",
        credential: fakeCredential(),
        fetch: async () => Response.json({ error }, { status: 400, statusText: "Bad Request" }),
      });
    const details = [
      {
        code: "Client",
        target: "",
        message: "Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|The operation couldn't be performed.",
      },
      { code: "Client", target: "", message: "|Microsoft.Exchange.Data.DataValidationException|The value is not valid.\r\nCheck it." },
      { code: "Client", target: "", message: "|Microsoft.Exchange.Data.DataValidationException|The value is not valid.\r\nCheck it." },
    ];

    const fromDetails = await failure(
      answer({ code: "BadRequest", message: "Invalid Operation", details }).invoke(TENANT, "Get-RemoteDomain", UNLIMITED),
    );
    const fromInner = await failure(
      answer({
        code: "BadRequest",
        message: "Invalid Operation",
        details,
        innererror: { message: "Invalid Operation", internalexception: { message: "The cmdlet's own words." } },
      }).invoke(TENANT, "Get-RemoteDomain", UNLIMITED),
    );

    expect(fromDetails.message).toMatch(/answered 400 Bad Request: The operation couldn't be performed\.; The value is not valid\. Check it\.$/);
    expect(fromInner.message).toMatch(/answered 400 Bad Request: The cmdlet's own words\.$/);
  });

  it("a 400 without innererror says error.message", async () => {
    const body = JSON.stringify({ error: { code: "BadRequest", message: "The request is invalid.\r\nTry again." } });
    const client = createExchangeOnlineClient({
      baseUrl: "https://outlook.office365.com",
      credential: fakeCredential(),
      fetch: async () => new Response(body, { status: 400, statusText: "Bad Request" }),
    });

    const error = await failure(client.invoke(TENANT, "Get-RemoteDomain", UNLIMITED));

    expect(error.message).toBe(
      `POST https://outlook.office365.com/adminapi/beta/${TENANT}/InvokeCommand (Get-RemoteDomain) answered 400 Bad Request: ` +
        "The request is invalid. Try again.",
    );
  });

  it.each(["gzip-labelled NULs", "empty"] as const)("a 403 whose body is %s says which permission or role the app lacks, at once", async (body) => {
    const { exo, sleep, client } = await setUp();
    exo.script({ status: 403, body });

    const error = await failure(client.invoke(TENANT, "Get-InboundConnector", UNLIMITED));

    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(403);
    expect(error.message).toMatch(
      /answered 403 Forbidden: the app lacks the Exchange\.ManageAsApp application permission .* or an Entra role such as Global Reader; .* \(request id [0-9a-f-]{36}\)$/,
    );
    expect(error.message).not.toContain("\u0000");
    expect(error.message).not.toContain("\\u0000");
    expect(error.message).not.toContain("attempts");
    expect(exo.requests).toHaveLength(1);
    expect(sleep).not.toHaveBeenCalled();
  });

  it("a 403 for a cmdlet the app's roles do not grant stops the read there, with the advice", async () => {
    const { exo, sleep, client } = await setUp({}, { cmdlets: ["Get-InboundConnector", "Get-AcceptedDomain", "Get-RemoteDomain"] });

    const error = await failure(client.readState(TENANT));

    expect((error as HttpError).status).toBe(403);
    expect(error.message).toContain("(Get-OutboundConnector) answered 403 Forbidden: the app lacks the Exchange.ManageAsApp application permission");
    expect(exo.requests.map((r) => [r.cmdletName, r.status])).toEqual([
      ["Get-InboundConnector", 200],
      ["Get-OutboundConnector", 403],
    ]);
    expect(sleep).not.toHaveBeenCalled();
  });

  it("a 401 says the token was refused and what to check", async () => {
    const { exo, client } = await setUp({ credential: fakeCredential("someone-elses-token") });

    const error = await failure(client.invoke(TENANT, "Get-InboundConnector", UNLIMITED));

    expect((error as HttpError).status).toBe(401);
    expect(error.message).toContain("answered 401 Unauthorized: Exchange Online refused the token");
    expect(error.message).toContain("consented to the app");
    expect(exo.requests).toHaveLength(1);
  });

  it("never shows the bearer token, not even when the service quotes it", async () => {
    const { exo, client } = await setUp();
    exo.script({ status: 400, message: `The token ${TOKEN} is not valid for tenant ${TENANT}.` });

    const error = await failure(client.invoke(TENANT, "Get-InboundConnector", UNLIMITED));

    expect(error.message).toContain("The token … is not valid for tenant");
    expect(inspect(error, { depth: 10 })).not.toContain(TOKEN);
    expect(JSON.stringify(error)).not.toContain(TOKEN);
  });
});

describe("throttling and server errors", () => {
  it("waits as a 429's Retry-After says, then reads", async () => {
    const { exo, sleep, client } = await setUp();
    exo.script({ status: 429, retryAfterSeconds: 7 }, { cmdlet: "Get-AcceptedDomain" });

    const state = await client.readState(TENANT);

    expect(state.acceptedDomains).toEqual(contosoHybrid().acceptedDomains);
    expect(sleep.mock.calls).toEqual([[7000]]);
    expect(exo.requests.map((r) => [r.cmdletName, r.status])).toEqual([
      ["Get-InboundConnector", 200],
      ["Get-OutboundConnector", 200],
      ["Get-AcceptedDomain", 429],
      ["Get-AcceptedDomain", 200],
      ["Get-RemoteDomain", 200],
    ]);
  });

  it("retries a 503 after its Retry-After, or with backoff without one", async () => {
    const { exo, sleep, client } = await setUp();
    exo.script({ status: 503, retryAfterSeconds: 4 });
    exo.script({ status: 503 });

    const result = await client.invoke(TENANT, "Get-OutboundConnector", UNLIMITED);

    expect(result.value).toEqual(contosoHybrid().outboundConnectors);
    expect(sleep.mock.calls).toEqual([[4000], [2000]]);
    expect(exo.requests.map((r) => r.status)).toEqual([503, 503, 200]);
  });

  it("backs off by the policy on a 429 without Retry-After, then reads", async () => {
    const { exo, sleep, client } = await setUp();
    exo.script({ status: 429 }, { cmdlet: "Get-InboundConnector", times: 2 });

    const result = await client.invoke(TENANT, "Get-InboundConnector", UNLIMITED);

    expect(result.value).toEqual(contosoHybrid().inboundConnectors);
    // EXCHANGE_ONLINE_RETRY: 1 s, doubling; the jitter is 0 here.
    expect(sleep.mock.calls).toEqual([[EXCHANGE_ONLINE_RETRY.backoff.baseMs], [2 * EXCHANGE_ONLINE_RETRY.backoff.baseMs]]);
    expect(exo.requests.map((r) => r.status)).toEqual([429, 429, 200]);
  });

  it("gives up on 429s without Retry-After after the policy's retries, having waited a bounded time", async () => {
    const { exo, sleep, client } = await setUp({ random: () => 0.999 });
    exo.script({ status: 429 }, { times: 10 });

    const error = await failure(client.invoke(TENANT, "Get-InboundConnector", UNLIMITED));

    expect(error).toBeInstanceOf(ThrottledError);
    expect(error.message).toMatch(
      /answered 429 Too Many Requests; wait before asking Exchange Online again \(request id [0-9a-f-]{36}\) \(4 attempts\)$/,
    );
    const { retries, backoff } = EXCHANGE_ONLINE_RETRY;
    expect(exo.requests).toHaveLength(retries + 1);
    expect(sleep).toHaveBeenCalledTimes(retries);
    for (const [ms] of sleep.mock.calls) expect(ms).toBeLessThanOrEqual(backoff.maxMs);
  });

  it("gives up with a ThrottledError after the policy's retries", async () => {
    const { exo, sleep, client } = await setUp();
    exo.script({ status: 429, retryAfterSeconds: 1 }, { times: 10 });

    const error = await failure(client.invoke(TENANT, "Get-InboundConnector", UNLIMITED));

    expect(error).toBeInstanceOf(ThrottledError);
    expect(error.message).toContain("(4 attempts)");
    expect(sleep).toHaveBeenCalledTimes(3);
    expect(exo.requests).toHaveLength(4);
  });
});

describe("what it refuses to send", () => {
  it("runs no cmdlet but the four Get- cmdlets, and asks for no token first", async () => {
    const { exo, credential, client } = await setUp();

    for (const cmdlet of ["Set-InboundConnector", "Remove-RemoteDomain", "Get-Mailbox", "Get-InboundConnector; Remove-InboundConnector", ""]) {
      const error = await failure(client.invoke(TENANT, cmdlet, {}));
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toContain("this product only reads Exchange Online");
    }
    expect(exo.requests).toHaveLength(0);
    expect(credential.scopes).toHaveLength(0);
  });

  it("sends a cmdlet named in any case with its own spelling", async () => {
    const { exo, client } = await setUp();

    await client.invoke(TENANT, "get-INBOUNDconnector", UNLIMITED);

    expect(exo.requests[0]!.cmdletName).toBe("Get-InboundConnector");
  });

  it("refuses a tenant id that is neither a GUID nor an onmicrosoft.com name", async () => {
    const { exo, client } = await setUp();

    for (const tenant of [
      "contoso.com",
      "contoso.mail.onmicrosoft.com",
      "../contoso.onmicrosoft.com",
      "contoso.onmicrosoft.com/x",
      " ",
      "2f1e0c3a",
    ]) {
      const error = await failure(client.readState(tenant));
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toContain("is not a tenant id (expected a GUID or the tenant's name.onmicrosoft.com domain)");
    }
    expect(exo.requests).toHaveLength(0);
  });

  it("refuses parameters that are not an object", async () => {
    const { client } = await setUp();

    const error = await failure(client.invoke(TENANT, "Get-InboundConnector", ["Unlimited"] as unknown as Record<string, unknown>));

    expect(error).toBeInstanceOf(InputError);
  });

  it("refuses a base URL that would send the token in clear, and a missing credential", () => {
    const credential = fakeCredential();
    for (const baseUrl of ["http://outlook.office365.com", "https://outlook.office365.com?x=1", "https://user:pw@outlook.office365.com", "nope"]) {
      expect(() => createExchangeOnlineClient({ baseUrl, credential })).toThrow(InputError);
    }
    expect(() => createExchangeOnlineClient({ baseUrl: "https://outlook.office365.com" } as ExchangeOnlineClientOptions)).toThrow(
      "expected a TokenCredential",
    );
  });

  it("says so when the credential gives no token, and sends nothing", async () => {
    const { exo } = await setUp();
    const client = createExchangeOnlineClient({
      baseUrl: exo.url,
      credential: {
        getToken: async () => {
          throw new Error("AADSTS700027: Client assertion contains an invalid signature.\nTrace ID: 1");
        },
      },
    });

    const error = await failure(client.invoke(TENANT, "Get-InboundConnector", UNLIMITED));

    expect(error).toBeInstanceOf(MailflowGuardError);
    expect(error.message).toBe(
      `could not get a token for Exchange Online in tenant ${TENANT}: AADSTS700027: Client assertion contains an invalid signature. Trace ID: 1`,
    );
    expect(exo.requests).toHaveLength(0);
  });
});

describe("parseTenantId", () => {
  it("keeps a GUID or an onmicrosoft.com name, lower-cased", () => {
    expect(parseTenantId("Contoso.OnMicrosoft.com")).toBe(TENANT);
    expect(parseTenantId(TENANT_GUID.toUpperCase())).toBe(TENANT_GUID);
    expect(() => parseTenantId(42)).toThrow("a number is not a tenant id");
  });
});
