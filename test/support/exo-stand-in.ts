import { randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { headerOf, parseBody, safeDecode, withoutToken } from "./http-records.js";

/** The four lists the stand-in answers, as Exchange Online serialises the objects. */
export interface ExoObjects {
  inboundConnectors: Record<string, unknown>[];
  outboundConnectors: Record<string, unknown>[];
  acceptedDomains: Record<string, unknown>[];
  remoteDomains: Record<string, unknown>[];
}

export interface ExoStandInOptions extends Partial<ExoObjects> {
  /** When set, any other bearer token is refused with 401. */
  acceptToken?: string;
  /**
   * How `value` reads for a kind the tenant has none of: the service leaves it out, sends null or sends [],
   * and clients that call it live handle all three (rknightion/graph2otel internal/exoclient). Default `[]`.
   */
  emptyValue?: "absent" | "null" | "[]";
  /**
   * The cmdlets the app's roles let it run (default the four Get- cmdlets). Any other, unknown or not granted,
   * answers 403 with NUL bytes labelled gzip, as the service does: Security Reader alone gets 403 for connectors.
   */
  cmdlets?: readonly string[];
}

/** One request as the stand-in received it, and what it answered. */
export interface ExoStandInRequest {
  method: string;
  /** The path as received, without the query. */
  path: string;
  /** The `{tenant}` of `/adminapi/beta/{tenant}/InvokeCommand`, decoded. */
  tenantId: string | undefined;
  /** Headers as received, except `authorization`, whose token is replaced by "…" (`Bearer …`). */
  headers: IncomingHttpHeaders;
  /** The body parsed as JSON, or the text when it is not JSON, or undefined when empty. */
  body: unknown;
  cmdletName: string | undefined;
  parameters: Record<string, unknown> | undefined;
  status: number;
  /** The `request-id` it answered with. */
  requestId: string;
}

/**
 * A scripted answer in place of the normal one:
 * - `"next-link"`: the objects and an `@odata.nextLink`;
 * - `"truncated"`: the objects and the module's "more results available" warning;
 * - `"cmdlet-errors"`: the objects and an `@adminapi.errors` entry;
 * - `{ warnings }`: the objects with these `@adminapi.warnings`;
 * - 400: Exchange's AmbiguousParameterSetException body, `message` in both innererror.internalexception
 *   and details[] (`only` keeps one of them);
 * - 401: an empty body and `WWW-Authenticate`;
 * - 403: NUL bytes labelled `Content-Encoding: gzip` (`body: "empty"` sends none);
 * - 429 or 5xx: `Retry-After` only when `retryAfterSeconds` is given: live clients saw the service send none.
 */
export type ExoScript =
  | "next-link"
  | "truncated"
  | "cmdlet-errors"
  | { warnings: string[] }
  | { status: 400; message?: string; only?: "innererror" | "details" }
  | { status: 401 }
  | { status: 403; body?: "gzip-labelled NULs" | "empty" }
  | { status: 429 | 500 | 502 | 503 | 504; message?: string; retryAfterSeconds?: number };

export interface ExoStandIn {
  /** The base URL to give a client: `http://127.0.0.1:{port}`. */
  url: string;
  /** Every request, in order, refused ones included. */
  requests: ExoStandInRequest[];
  /** The next `times` well-formed requests (of `cmdlet` only, when given) get `answer`. */
  script(answer: ExoScript, options?: { cmdlet?: string; times?: number }): void;
  close(): Promise<void>;
}

/** The module's warning for a result cut at ResultSize, as its FilterWarningsInPagination holds it. */
export const MORE_RESULTS_WARNING =
  "There are more results available than are currently displayed. To view them, increase the value for the ResultSize parameter.";

const ENTITY: Record<string, { type: string; list: keyof ExoObjects }> = {
  "get-inboundconnector": { type: "InboundConnector", list: "inboundConnectors" },
  "get-outboundconnector": { type: "OutboundConnector", list: "outboundConnectors" },
  "get-accepteddomain": { type: "AcceptedDomain", list: "acceptedDomains" },
  "get-remotedomain": { type: "RemoteDomain", list: "remoteDomains" },
};
const PARAMETERS = new Set(["identity", "resultsize"]);
const AMBIGUOUS_PARAMETER_SET = "Microsoft.Exchange.AdminApi.CommandInvocation.AmbiguousParameterSetException";
const PARAMETER_TRANSFORMATION = "Microsoft.Exchange.AdminApi.CommandInvocation.ParameterTransformationException";
const ODATA_SERVICE_EXCEPTION = "Microsoft.Exchange.Admin.OData.Core.ODataServiceException";

/**
 * A hybrid organisation as the hybrid wizard leaves it: an OnPremises inbound connector trusted by certificate,
 * an OnPremises outbound connector to the on-prem smart host, contoso.com and the routing domain, and the Default
 * remote domain. A fresh copy each call, for tests to change.
 */
export function contosoHybrid(): ExoObjects {
  const when = { WhenChanged: "2025-03-04T10:15:00+00:00", WhenCreated: "2024-11-20T08:02:11+00:00" };
  const utc = { WhenChangedUTC: "2025-03-04T10:15:00Z", WhenCreatedUTC: "2024-11-20T08:02:11Z" };
  return {
    inboundConnectors: [
      {
        Identity: "Inbound from Contoso on-prem",
        Name: "Inbound from Contoso on-prem",
        Enabled: true,
        ConnectorType: "OnPremises",
        ConnectorSource: "HybridWizard",
        Comment: "",
        SenderIPAddresses: [],
        SenderDomains: ["smtp:*;1"],
        TrustedOrganizations: [],
        AssociatedAcceptedDomains: [],
        RequireTls: true,
        RestrictDomainsToIPAddresses: false,
        RestrictDomainsToCertificate: false,
        CloudServicesMailEnabled: true,
        TreatMessagesAsInternal: false,
        TlsSenderCertificateName: "mail.contoso.com",
        EFTestMode: false,
        EFSkipLastIP: false,
        EFSkipIPs: [],
        EFSkipMailGateway: [],
        EFUsers: [],
        ScanAndDropRecipients: [],
        IsValid: true,
        Guid: "5a0f3d1e-2b7c-4e8a-9f61-0c4d2e8b7a13",
        ...when,
        ...utc,
      },
    ],
    outboundConnectors: [
      {
        Identity: "Outbound to Contoso on-prem",
        Name: "Outbound to Contoso on-prem",
        Enabled: true,
        UseMXRecord: false,
        ConnectorType: "OnPremises",
        ConnectorSource: "HybridWizard",
        Comment: "",
        RecipientDomains: ["contoso.com"],
        SmartHosts: ["mail.contoso.com"],
        TlsDomain: "mail.contoso.com",
        TlsSettings: "DomainValidation",
        IsTransportRuleScoped: false,
        RouteAllMessagesViaOnPremises: false,
        CloudServicesMailEnabled: true,
        AllAcceptedDomains: false,
        SenderRewritingEnabled: false,
        TestMode: false,
        LinkForModifiedConnector: "00000000-0000-0000-0000-000000000000",
        ValidationRecipients: [],
        IsValidated: false,
        IsValid: true,
        Guid: "b4c1e7a2-6d3f-4f0b-8e25-9a7c1d0e5f48",
        ...when,
        ...utc,
      },
    ],
    acceptedDomains: [
      {
        Identity: "contoso.com",
        Name: "contoso.com",
        DomainName: "contoso.com",
        DomainType: "Authoritative",
        Default: true,
        InitialDomain: false,
        MatchSubDomains: false,
        AddressBookEnabled: true,
        IsValid: true,
        ...when,
      },
      {
        Identity: "contoso.mail.onmicrosoft.com",
        Name: "contoso.mail.onmicrosoft.com",
        DomainName: "contoso.mail.onmicrosoft.com",
        DomainType: "Authoritative",
        Default: false,
        InitialDomain: false,
        MatchSubDomains: false,
        AddressBookEnabled: true,
        IsValid: true,
        ...when,
      },
    ],
    remoteDomains: [
      {
        Identity: "Default",
        Name: "Default",
        DomainName: "*",
        IsInternal: false,
        TargetDeliveryDomain: false,
        AllowedOOFType: "External",
        AutoReplyEnabled: true,
        AutoForwardEnabled: true,
        DeliveryReportEnabled: true,
        NDREnabled: true,
        TNEFEnabled: null,
        IsValid: true,
        ...when,
      },
    ],
  };
}

/**
 * A local stand-in for the Exchange Online admin endpoint on 127.0.0.1, for tests that need real HTTP:
 * `POST /adminapi/beta/{tenant}/InvokeCommand` with `Authorization: Bearer …`, `Content-Type: application/json`
 * and `{"CmdletInput":{"CmdletName","Parameters"}}` naming one of the four Get- cmdlets answers 200 with the
 * service's envelope `{"@odata.context","@adminapi.warnings","value"}` (`value` as `emptyValue` says for a kind with
 * no objects). As the service does (live captures in rknightion/graph2otel, internal/exoclient/errors_test.go), a
 * cmdlet it does not know or the app may not run answers 403 with NUL bytes labelled gzip, a parameter other than
 * Identity or ResultSize 400 AmbiguousParameterSetException, and a bad ResultSize 400 ParameterTransformationException.
 * `script` makes the next answers incomplete or errors (see ExoScript).
 *
 * @example
 * const exo = await startExoStandIn({ acceptToken: "t", remoteDomains: [] });
 * exo.script({ status: 429 }, { cmdlet: "Get-OutboundConnector" });
 * const client = createExchangeOnlineClient({ baseUrl: exo.url, credential });
 * await exo.close();
 */
export async function startExoStandIn(options: ExoStandInOptions = {}): Promise<ExoStandIn> {
  const defaults = contosoHybrid();
  const objects: ExoObjects = {
    inboundConnectors: options.inboundConnectors ?? defaults.inboundConnectors,
    outboundConnectors: options.outboundConnectors ?? defaults.outboundConnectors,
    acceptedDomains: options.acceptedDomains ?? defaults.acceptedDomains,
    remoteDomains: options.remoteDomains ?? defaults.remoteDomains,
  };
  const granted = new Set((options.cmdlets ?? Object.keys(ENTITY)).map((c) => c.toLowerCase()));
  const requests: ExoStandInRequest[] = [];
  const scripts: { answer: ExoScript; cmdlet: string | undefined; times: number }[] = [];
  let base = "";

  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () => {
      const text = Buffer.concat(parts).toString("utf8");
      const url = new URL(req.url ?? "/", "http://stand-in");
      const match = /^\/adminapi\/beta\/([^/]+)\/InvokeCommand$/i.exec(url.pathname);
      const requestId = randomUUID();
      const record: ExoStandInRequest = {
        method: req.method ?? "",
        path: url.pathname,
        tenantId: match ? safeDecode(match[1]!) : undefined,
        headers: withoutToken(req.headers),
        body: parseBody(text),
        cmdletName: undefined,
        parameters: undefined,
        status: 0,
        requestId,
      };
      requests.push(record);
      const answer = (status: number, body: string | Buffer | object | undefined, headers: Record<string, string> = {}) => {
        record.status = status;
        send(res, status, { "request-id": requestId, ...headers }, body);
      };
      const badRequest = (message: string, type = ODATA_SERVICE_EXCEPTION, only?: "innererror" | "details") =>
        answer(400, exoError(message, type, only));
      // A long run of NUL bytes that does not inflate, whatever its label says.
      const forbidden = () => answer(403, Buffer.alloc(4096), { "content-encoding": "gzip" });

      if (!match) return answer(404, undefined);
      if (req.method !== "POST") return answer(405, undefined, { allow: "POST" });
      const token = /^Bearer (\S+)$/.exec(headerOf(req.headers, "authorization") ?? "")?.[1];
      if (!token || (options.acceptToken !== undefined && token !== options.acceptToken)) return answer(401, "", unauthorized());
      if ((headerOf(req.headers, "content-type") ?? "").split(";")[0]!.trim().toLowerCase() !== "application/json") return answer(415, undefined);
      const input = (record.body as { CmdletInput?: { CmdletName?: unknown; Parameters?: unknown } } | undefined)?.CmdletInput;
      if (typeof input?.CmdletName !== "string")
        return badRequest("The CmdletInput parameter is not valid: CmdletName is missing.", undefined, "innererror");
      record.cmdletName = input.CmdletName;
      const parameters = input.Parameters ?? {};
      if (typeof parameters !== "object" || parameters === null || Array.isArray(parameters))
        return badRequest("The CmdletInput parameter is not valid: Parameters must be an object.", undefined, "innererror");
      record.parameters = parameters as Record<string, unknown>;
      const cmdlet = input.CmdletName;
      const entity = ENTITY[cmdlet.toLowerCase()];
      if (!entity || !granted.has(cmdlet.toLowerCase())) return forbidden();
      const unknown = Object.keys(parameters).find((p) => !PARAMETERS.has(p.toLowerCase()));
      if (unknown !== undefined) return badRequest(ambiguousParameterSet(unknown), AMBIGUOUS_PARAMETER_SET);
      const resultSize = field(parameters, "resultsize");
      if (resultSize !== undefined && !(resultSize === "Unlimited" || (Number.isInteger(Number(resultSize)) && Number(resultSize) > 0)))
        return badRequest(
          `Cannot process argument transformation on parameter 'ResultSize'. Cannot convert value "${String(resultSize)}" to type "Microsoft.Exchange.Data.Unlimited\`1[System.UInt32]".`,
          PARAMETER_TRANSFORMATION,
          "innererror",
        );

      const at = scripts.findIndex((s) => s.cmdlet === undefined || s.cmdlet.toLowerCase() === cmdlet.toLowerCase());
      const scripted = at === -1 ? undefined : scripts[at]!.answer;
      if (scripted !== undefined && --scripts[at]!.times === 0) scripts.splice(at, 1);
      const value = objects[entity.list];
      const emptyValue = options.emptyValue ?? "[]";
      const envelope = {
        "@odata.context": `https://outlook.office365.com/adminapi/beta/$metadata#${entity.type}`,
        "@adminapi.warnings": [] as string[],
        ...(value.length > 0 || emptyValue === "[]" ? { value } : emptyValue === "null" ? { value: null } : {}),
      };
      if (scripted === undefined) return answer(200, envelope, ODATA);
      if (scripted === "next-link")
        return answer(200, { ...envelope, "@odata.nextLink": `${base}${url.pathname}?%24skiptoken=${randomUUID()}` }, ODATA);
      if (scripted === "truncated") return answer(200, { ...envelope, "@adminapi.warnings": [MORE_RESULTS_WARNING] }, ODATA);
      if (scripted === "cmdlet-errors")
        return answer(200, { ...envelope, "@adminapi.errors": ["The operation couldn't be performed because an object couldn't be found."] }, ODATA);
      if ("warnings" in scripted) return answer(200, { ...envelope, "@adminapi.warnings": scripted.warnings }, ODATA);
      if (scripted.status === 400) return badRequest(scripted.message ?? ambiguousParameterSet("Foo"), AMBIGUOUS_PARAMETER_SET, scripted.only);
      if (scripted.status === 401) return answer(401, "", unauthorized());
      if (scripted.status === 403) return scripted.body === "empty" ? answer(403, undefined) : forbidden();
      const { status, message, retryAfterSeconds } = scripted;
      const wait: Record<string, string> = retryAfterSeconds === undefined ? {} : { "retry-after": String(retryAfterSeconds) };
      return answer(status, { error: { code: status === 429 ? "TooManyRequests" : "ServiceUnavailable", message: message ?? "" } }, wait);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    requests,
    script(answer, scriptOptions = {}) {
      scripts.push({ answer, cmdlet: scriptOptions.cmdlet, times: scriptOptions.times ?? 1 });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const ODATA = { "content-type": "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8" };

/** The service's text for parameters that match no parameter set, as a live capture reads. */
function ambiguousParameterSet(parameter: string): string {
  return `Parameter set cannot be resolved using the specified named parameters. Invalid cmdlet parameters specified. ${parameter}`;
}

/**
 * Exchange's 400 as captured live: `error.message` is "Invalid Operation" whatever went wrong; the cmdlet's exception
 * is in `innererror.internalexception` and, for some failures, in `details[]` as `|{type}|{message}` (`only` keeps one).
 */
function exoError(message: string, type: string, only?: "innererror" | "details") {
  const details = [{ code: "Client", target: "", message: `|${type}|${message}` }];
  const innererror = {
    message: "Invalid Operation",
    type: ODATA_SERVICE_EXCEPTION,
    stacktrace: "",
    internalexception: { message, type, stacktrace: "" },
  };
  return {
    error: {
      code: "BadRequest",
      message: "Invalid Operation",
      ...(only === "innererror" ? {} : { details }),
      ...(only === "details" ? {} : { innererror }),
      "adminapi.warnings@odata.type": "#Collection(String)",
      "@adminapi.warnings": [],
    },
  };
}

function unauthorized(): Record<string, string> {
  return {
    "www-authenticate":
      'Bearer client_id="00000002-0000-0ff1-ce00-000000000000", trusted_issuers="00000001-0000-0000-c000-000000000000@*", ' +
      'token_types="app_asserted_user_v1 service_asserted_app_v1", error="invalid_token"',
  };
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer | object | undefined): void {
  const date = new Date().toUTCString();
  if (body === undefined) {
    res.writeHead(status, { ...headers, date, "content-length": "0" });
    res.end();
    return;
  }
  const bytes = typeof body === "string" || Buffer.isBuffer(body) ? Buffer.from(body) : Buffer.from(JSON.stringify(body));
  const type = typeof body === "object" && !Buffer.isBuffer(body) ? { "content-type": "application/json; charset=utf-8" } : {};
  res.writeHead(status, { ...type, ...headers, date, "content-length": String(bytes.length) });
  res.end(bytes);
}

function field(value: object, name: string): unknown {
  const key = Object.keys(value).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : (value as Record<string, unknown>)[key];
}
