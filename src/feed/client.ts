import { InputError } from "../errors.js";
import { createHttpClient } from "../http/client.js";
import { FEED_RETRY } from "../http/retry.js";
import { GUID } from "../ids.js";
import { type Instance, parseInstance } from "./instances.js";
import {
  type ChangeRecord,
  changesSchema,
  type EndpointSet,
  endpointSetsSchema,
  type VersionInfo,
  validate,
  versionInfoSchema,
  versionSchema,
} from "./schema.js";

export interface FeedClientOptions {
  /** The service root, e.g. https://endpoints.office.com; a path prefix and a trailing slash are fine. */
  baseUrl: string;
  /** This installation's GUID, sent as `clientrequestid` on every call. */
  clientRequestId: string;
  fetch?: typeof fetch;
  /** Per attempt, reading the body included. Default 30 s. */
  timeoutMs?: number;
  /** Further attempts after a 5xx, a timeout or a network error. Default 3 (FEED_RETRY). */
  retries?: number;
  sleep?: (ms: number) => Promise<void>;
  /** A larger answer is refused. Default 20 MiB. */
  maxResponseBytes?: number;
  userAgent?: string;
}

export interface FeedClient {
  /** The root the client asks, without a trailing slash. */
  readonly baseUrl: string;
  getVersion(instance: Instance): Promise<VersionInfo>;
  getEndpoints(instance: Instance, options?: EndpointsOptions): Promise<EndpointSet[]>;
  /** The change records published after `sinceVersion` (`0000000000` for all). */
  getChanges(instance: Instance, sinceVersion: string): Promise<ChangeRecord[]>;
}

export interface EndpointsOptions {
  /** Only the sets of this area (`ServiceAreas=`). */
  serviceAreas?: "Exchange";
  /** Leave out IPv6 ranges (`NoIPv6=true`); the EOP check wants both, so this is for diagnostics. */
  noIPv6?: boolean;
}

/** The GUID in Microsoft's documentation, which the service may block. */
const DOCUMENTATION_GUID = "b10c5ed1-bad1-445f-b386-b919946339a7";

/**
 * A client for the Microsoft 365 IP Address and URL web service: it builds
 * the requests and validates every answer; the HTTP client retries 5xx,
 * timeouts and network errors with backoff, and throws a ThrottledError at
 * once on a 429 (the service asks callers to wait an hour). Errors carry URLs
 * without their query and never the client request id.
 *
 * @example
 * const feed = createFeedClient({ baseUrl: settings.feedBaseUrl, clientRequestId: await clientRequestId(store) });
 * const { latest } = await feed.getVersion("Worldwide");
 */
export function createFeedClient(options: FeedClientOptions): FeedClient {
  const clientRequestId = parseClientRequestId(options.clientRequestId);
  const http = createHttpClient({
    baseUrl: options.baseUrl,
    service: "the Microsoft 365 endpoints service",
    retry: { ...FEED_RETRY, retries: options.retries ?? FEED_RETRY.retries },
    fetch: options.fetch,
    timeoutMs: options.timeoutMs,
    sleep: options.sleep,
    maxResponseBytes: options.maxResponseBytes,
    headers: options.userAgent ? { "user-agent": options.userAgent } : undefined,
    secrets: [clientRequestId],
    throttledAdvice: "wait an hour or use a new client request id",
  });
  const query = (params: Record<string, string> = {}) => ({ clientrequestid: clientRequestId, ...params });

  return {
    baseUrl: http.baseUrl,
    async getVersion(instance) {
      const name = parseInstance(instance);
      const info = await http.getJson(["version", name], versionInfoSchema, query());
      if (info.instance.toLowerCase() !== name.toLowerCase()) {
        throw new InputError(`expected the version of ${name}, got one for ${JSON.stringify(info.instance)}`, {
          source: `GET /version/${name}`,
          path: "instance",
        });
      }
      return info;
    },
    async getEndpoints(instance, endpointOptions = {}) {
      const params: Record<string, string> = {};
      if (endpointOptions.serviceAreas) params.ServiceAreas = endpointOptions.serviceAreas;
      if (endpointOptions.noIPv6) params.NoIPv6 = "true";
      return http.getJson(["endpoints", parseInstance(instance)], endpointSetsSchema, query(params));
    },
    async getChanges(instance, sinceVersion) {
      const since = validate(versionSchema, sinceVersion, "sinceVersion");
      return http.getJson(["changes", parseInstance(instance), since], changesSchema, query());
    },
  };
}

function parseClientRequestId(text: string): string {
  if (!GUID.test(text)) throw new InputError("expected a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, hex digits)", { source: "clientRequestId" });
  if (text.toLowerCase() === DOCUMENTATION_GUID) {
    throw new InputError("this GUID is the one in Microsoft's documentation; generate one for this installation", { source: "clientRequestId" });
  }
  return text;
}
