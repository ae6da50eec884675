import { randomUUID } from "node:crypto";
import type { AccessToken, TokenCredential } from "@azure/identity";
import { z } from "zod";
import { InputError, MailflowGuardError, oneLine, redactUrls } from "../errors.js";
import { createHttpClient, type HttpResponse } from "../http/client.js";
import { concurrencyLimit } from "../http/concurrency.js";
import { isLoopback } from "../http/loopback.js";
import { EXCHANGE_ONLINE_RETRY } from "../http/retry.js";
import { GUID } from "../ids.js";
import { printable, validate } from "../validation.js";
import { clip, describe, EXPLAINED, explain, refusalText } from "./refusals.js";

export const DEFAULT_EXCHANGE_ONLINE_BASE_URL = "https://outlook.office365.com";

/** The resource the ExchangeOnlineManagement module asks tokens for (worldwide service; other clouds are not covered). */
export const EXCHANGE_ONLINE_SCOPE = "https://outlook.office365.com/.default";

/** The only cmdlets this client runs: the product reads Exchange Online and never changes it. */
export const READ_CMDLETS = ["Get-InboundConnector", "Get-OutboundConnector", "Get-AcceptedDomain", "Get-RemoteDomain"] as const;
export type ReadCmdlet = (typeof READ_CMDLETS)[number];

export interface ExchangeOnlineClientOptions {
  /** The service root, normally https://outlook.office365.com; http only on loopback (the test stand-in). */
  baseUrl: string;
  /** A credential per customer tenant (an MSP app's certificate credential is bound to one), or one for every tenant. */
  credential: TokenCredential | ((tenantId: string) => TokenCredential);
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Per attempt, reading the body included. Default 30 s. */
  timeoutMs?: number;
  /** A number in [0, 1), for the backoff's jitter. */
  random?: () => number;
  /** Requests in flight at once from this client, whatever the tenants. Default EXCHANGE_ONLINE_CONCURRENCY. */
  maxConcurrentRequests?: number;
}

/**
 * Exchange Online throttles an app's PowerShell requests (the module itself
 * runs one command at a time per session); a handful at once per process
 * keeps the queue's parallel checks under it, retries on 429 do the rest.
 */
export const EXCHANGE_ONLINE_CONCURRENCY = 4;

export interface CmdletResult {
  /** The objects as Exchange Online serialised them, unvalidated. */
  value: unknown[];
  /** `@adminapi.warnings`: what PowerShell would have printed as WARNING. */
  warnings: string[];
}

export interface ExchangeOnlineState {
  inboundConnectors: unknown[];
  outboundConnectors: unknown[];
  acceptedDomains: unknown[];
  remoteDomains: unknown[];
  /** Every cmdlet's warnings, each prefixed with the cmdlet, e.g. `Get-RemoteDomain: …`. */
  warnings: string[];
}

export interface ExchangeOnlineClient {
  /** Runs one of READ_CMDLETS in the tenant; an answer that says it is not the whole result throws IncompleteReadError. */
  invoke(tenantId: string, cmdletName: string, parameters: Record<string, unknown>): Promise<CmdletResult>;
  /** The connectors and domains of a tenant, each read whole (`ResultSize: "Unlimited"`), one cmdlet after the other. */
  readState(tenantId: string): Promise<ExchangeOnlineState>;
}

/** A cmdlet's answer was only part of the result: acting on it would take the missing objects for absent ones. */
export class IncompleteReadError extends MailflowGuardError {
  override name = "IncompleteReadError";
  constructor(
    message: string,
    readonly tenantId: string,
    readonly cmdletName: string,
    /** Objects in the answer that was refused. */
    readonly received: number,
  ) {
    super(message);
  }
}

const SERVICE = "Exchange Online";
const WHERE = "the Exchange Online client";

/**
 * The system mailbox the module anchors app-only requests to. CIPP-API (New-ExoRequest.ps1) sends
 * `APP:SystemMailbox{bb558c35-…}@{tenant GUID}`; scripts that name the tenant by its onmicrosoft.com
 * domain send `UPN:SystemMailbox{bb558c35-…}@{domain}`.
 */
const ANCHOR_MAILBOX = "SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}";

/**
 * The module's own wording, which it filters out while it follows pages (FilterWarningsInPagination, base64 in the module):
 * "There are more results available than are currently displayed. To view them, increase the value for the ResultSize
 * parameter." The second pattern is ours, for a service that may word it otherwise.
 */
const TRUNCATED_WARNING = /more results (?:are )?available|results (?:were|are|have been) truncated/i;

const ONMICROSOFT_DOMAIN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.onmicrosoft\.com$/i;

const envelopeSchema = z.object({
  "@odata.nextLink": z.string().optional(),
  "@adminapi.warnings": z.array(z.string()).nullish(),
  "@adminapi.errors": z.array(z.unknown()).nullish(),
  // A kind the tenant has none of comes without value, with null or with []: clients that call the service
  // live see all three (rknightion/graph2otel internal/exoclient, GreyCorbel/ExoHelper).
  value: z.array(z.unknown()).nullish(),
});

/**
 * A client for the endpoint the ExchangeOnlineManagement module (Connect-ExchangeOnline, v3) runs cmdlets
 * through: `POST {base}/adminapi/beta/{tenant}/InvokeCommand` with `{"CmdletInput":{"CmdletName","Parameters"}}`.
 * It is NOT a documented public API (the Admin API Microsoft documents, in preview, lives under /adminapi/v2.0 and
 * does not include this), so it may change without notice: this module is the only place that knows it, and it
 * returns the objects raw for another module to validate.
 *
 * Every request goes through the product's HTTP client (EXCHANGE_ONLINE_RETRY: `Retry-After` honoured on 429 and
 * 5xx), with the bearer token among its secrets. A 400 says what Exchange said (`innererror.internalexception`,
 * else `details[]`), a 401 or 403 says what to fix, whatever its body (the service's 403 is NUL bytes labelled gzip);
 * a `value` left out or null is no objects; an answer with `@odata.nextLink`, a "more results" warning or
 * `@adminapi.errors` throws IncompleteReadError rather than pass for the whole list.
 *
 * @example
 * const credential = exchangeOnlineCredential({ clientId, certificate: { path: "/secrets/exo.pem" } });
 * const exo = createExchangeOnlineClient({ baseUrl: DEFAULT_EXCHANGE_ONLINE_BASE_URL, credential });
 * const { inboundConnectors } = await exo.readState("contoso.onmicrosoft.com");
 */
export function createExchangeOnlineClient(options: ExchangeOnlineClientOptions): ExchangeOnlineClient {
  const root = serviceRoot(options.baseUrl);
  const { credential } = options;
  if (typeof credential !== "function" && typeof credential?.getToken !== "function")
    throw new InputError("expected a TokenCredential, or a function of the tenant id that returns one", { source: WHERE, path: "credential" });
  const fetchImpl = options.fetch ?? globalThis.fetch;
  // The module sends one per session (its ConnectionContext); one per client is the same thing here.
  const connectionId = randomUUID();

  async function token(tenant: string): Promise<string> {
    const source = typeof credential === "function" ? credential(tenant) : credential;
    let access: AccessToken | null;
    try {
      access = await source.getToken(EXCHANGE_ONLINE_SCOPE);
    } catch (error) {
      throw new MailflowGuardError(`could not get a token for ${SERVICE} in tenant ${tenant}: ${redactUrls(oneLine(error))}`, { cause: error });
    }
    if (!access?.token) throw new MailflowGuardError(`the credential gave no token for ${SERVICE} in tenant ${tenant}`);
    return access.token;
  }

  const limited = concurrencyLimit(options.maxConcurrentRequests ?? EXCHANGE_ONLINE_CONCURRENCY);

  function invoke(tenantId: string, cmdletName: string, parameters: Record<string, unknown>): Promise<CmdletResult> {
    return limited(() => invokeNow(tenantId, cmdletName, parameters));
  }

  async function invokeNow(tenantId: string, cmdletName: string, parameters: Record<string, unknown>): Promise<CmdletResult> {
    const tenant = parseTenantId(tenantId);
    const cmdlet = parseCmdlet(cmdletName);
    if (typeof parameters !== "object" || parameters === null || Array.isArray(parameters))
      throw new InputError("expected the cmdlet's parameters as an object", { source: WHERE, path: "parameters" });
    const bearer = await token(tenant);
    const scrub = (text: string) => text.split(bearer).join("…");
    // The body of a 400, 401 or 403, read here because the HTTP client's message keeps only its first 300 characters.
    let refusal: { statusText: string; text: string } | undefined;
    const http = createHttpClient({
      baseUrl: root,
      service: SERVICE,
      retry: EXCHANGE_ONLINE_RETRY,
      secrets: [bearer],
      timeoutMs: options.timeoutMs,
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(options.random ? { random: options.random } : {}),
      fetch: async (input, init) => {
        const response = await fetchImpl(input, init);
        refusal = undefined;
        if (!EXPLAINED.has(response.status)) return response;
        refusal = { statusText: response.statusText, text: await refusalText(response) };
        return new Response(refusal.text, { status: response.status, statusText: response.statusText, headers: response.headers });
      },
    });

    let response: HttpResponse;
    try {
      response = await http.request({
        method: "POST",
        path: ["adminapi", "beta", tenant, "InvokeCommand"],
        // The module's Add-Headers (read in a public C# transcription of its generated proxy functions) sends
        // X-AnchorMailbox, connection-id and X-ResponseFormat (clixml there; json here, as REST callers ask), plus
        // X-SerializationLevel, Accept-Language, X-ClientModuleVersion and X-ClientApplication "ExoManagementModule",
        // which are left out: CLIXML and display settings, and this is not the module. Prefer odata.maxpagesize=1000
        // and the anchor follow CIPP-API's New-ExoRequest.ps1, X-CmdletName scripts that call InvokeCommand directly;
        // client-request-id is ours, to find a request in the service's logs.
        headers: {
          authorization: `Bearer ${bearer}`,
          accept: "application/json",
          "x-responseformat": "json",
          "x-anchormailbox": `${GUID.test(tenant) ? "APP" : "UPN"}:${ANCHOR_MAILBOX}@${tenant}`,
          prefer: "odata.maxpagesize=1000",
          "x-cmdletname": cmdlet,
          "connection-id": connectionId,
          "client-request-id": randomUUID(),
        },
        json: { CmdletInput: { CmdletName: cmdlet, Parameters: parameters } },
      });
    } catch (error) {
      throw explain(error, refusal, cmdlet, scrub);
    }

    const source = `POST /adminapi/beta/${tenant}/InvokeCommand (${cmdlet})`;
    const envelope = validate(envelopeSchema, response.json(), source);
    const value = envelope.value ?? [];
    const warnings = envelope["@adminapi.warnings"] ?? [];
    const incomplete = (why: string) =>
      new IncompleteReadError(
        scrub(`${SERVICE} answered ${cmdlet} in tenant ${tenant} with only part of the result (${value.length} received): ${why}`),
        tenant,
        cmdlet,
        value.length,
      );
    if (envelope["@odata.nextLink"] !== undefined) throw incomplete("the answer links to more with @odata.nextLink");
    const truncated = warnings.find((w) => TRUNCATED_WARNING.test(w));
    if (truncated !== undefined) throw incomplete(`it warned ${JSON.stringify(clip(truncated))}`);
    const errors = envelope["@adminapi.errors"] ?? [];
    if (errors.length > 0) throw incomplete(`it reported ${errors.length} error(s), the first ${JSON.stringify(clip(describe(errors[0])))}`);
    return { value, warnings };
  }

  return {
    invoke,
    async readState(tenantId) {
      const tenant = parseTenantId(tenantId);
      const warnings: string[] = [];
      const read = async (cmdlet: ReadCmdlet) => {
        const result = await invoke(tenant, cmdlet, { ResultSize: "Unlimited" });
        warnings.push(...result.warnings.map((w) => `${cmdlet}: ${w}`));
        return result.value;
      };
      // One after the other: the service throttles per tenant, and a failure stops the rest.
      const inboundConnectors = await read("Get-InboundConnector");
      const outboundConnectors = await read("Get-OutboundConnector");
      const acceptedDomains = await read("Get-AcceptedDomain");
      const remoteDomains = await read("Get-RemoteDomain");
      return { inboundConnectors, outboundConnectors, acceptedDomains, remoteDomains, warnings };
    },
  };
}

/**
 * A tenant as Exchange Online's URL takes it: its GUID, or its initial `name.onmicrosoft.com` domain
 * (not `name.mail.onmicrosoft.com`, the hybrid routing domain), lower-cased.
 *
 * @example parseTenantId("Contoso.onmicrosoft.com") // "contoso.onmicrosoft.com"
 */
export function parseTenantId(text: unknown): string {
  if (typeof text === "string" && (GUID.test(text) || ONMICROSOFT_DOMAIN.test(text))) return text.toLowerCase();
  const shown = typeof text === "string" ? JSON.stringify(printable(text)) : `a ${text === null ? "null" : typeof text}`;
  throw new InputError(`${shown} is not a tenant id (expected a GUID or the tenant's name.onmicrosoft.com domain)`, {
    source: WHERE,
    path: "tenantId",
  });
}

function parseCmdlet(name: unknown): ReadCmdlet {
  // PowerShell names are case-insensitive; the canonical spelling is sent.
  const cmdlet = typeof name === "string" ? READ_CMDLETS.find((c) => c.toLowerCase() === name.toLowerCase()) : undefined;
  if (cmdlet !== undefined) return cmdlet;
  const shown = typeof name === "string" ? JSON.stringify(printable(name)) : `a ${name === null ? "null" : typeof name}`;
  throw new InputError(`${shown} is not run: this product only reads Exchange Online, with ${READ_CMDLETS.join(", ")}`, {
    source: WHERE,
    path: "cmdletName",
  });
}

/** https, or http to this machine only: the bearer token must never cross a network in clear. */
function serviceRoot(text: unknown): string {
  const invalid = () =>
    new InputError("expected an https URL without query, fragment or credentials, such as https://outlook.office365.com (http only on loopback)", {
      source: WHERE,
      path: "baseUrl",
    });
  let url: URL;
  try {
    url = new URL(String(text));
  } catch {
    throw invalid();
  }
  const secure = url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url.hostname));
  if (!secure || url.search || url.hash || url.username || url.password) throw invalid();
  return url.origin + url.pathname.replace(/\/+$/, "");
}
