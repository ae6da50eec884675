import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { failure } from "../../test/support/failure.js";
import { HttpError, InputError, ThrottledError, TransportError } from "../errors.js";
import { createFeedClient, type FeedClientOptions } from "./client.js";
import { selectEopSmtp } from "./eop.js";
import type { Instance } from "./instances.js";
import { type FeedServer, type InterceptedResponse, type RecordedFeed, startFeedServer } from "./stand-in-service.js";

const saved = JSON.parse(readFileSync(new URL("../../test/fixtures/m365/endpoints-worldwide-2025.json", import.meta.url), "utf8")) as Array<
  Record<string, unknown>
>;
/** The saved answer with the IPv6 ranges of set 10 that a request without NoIPv6 gets. */
const worldwide = saved.map((s) => (s.id === 10 ? { ...s, ips: [...(s.ips as string[]), "2a01:111:f400::/48", "2a01:111:f403::/48"] } : s));
const changes = [
  { id: 1, endpointSetId: 10, disposition: "remove", version: "2025010100", remove: { ips: ["52.238.78.88/32"] } },
  {
    id: 2,
    endpointSetId: 10,
    disposition: "Add",
    version: "2025020100",
    current: { required: "true" },
    add: { effectiveDate: "20250301", ips: ["40.93.0.0/16"] },
  },
];

let server: FeedServer;
let feed: RecordedFeed;
let intercept: ((n: number) => InterceptedResponse | undefined) | undefined;
let sleeps: number[];
const guid = randomUUID();

beforeEach(async () => {
  feed = { Worldwide: { version: "2025020100", endpoints: worldwide, changes } };
  intercept = undefined;
  sleeps = [];
  server = await startFeedServer(feed, { intercept: () => intercept?.(server.requests.length) });
});
afterEach(() => server.close());

function client(options: Partial<FeedClientOptions> = {}) {
  return createFeedClient({
    baseUrl: server.url,
    clientRequestId: guid,
    timeoutMs: 2000,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...options,
  });
}

/** No error may carry the client request id or a query string. */
function expectRedacted(error: Error): void {
  expect(error.message).not.toContain(guid);
  expect(error.message).not.toContain("?");
  expect(error.message).not.toMatch(/[\r\n]/);
}

describe("requests", () => {
  it("asks /version with the GUID and nothing else in the query", async () => {
    const hrefs: string[] = [];
    const feedClient = client({
      fetch: (input, init) => {
        hrefs.push(String(input));
        return fetch(input, init);
      },
    });
    expect(await feedClient.getVersion("Worldwide")).toEqual({ instance: "Worldwide", latest: "2025020100" });
    expect(hrefs).toEqual([`${server.url}/version/Worldwide?clientrequestid=${guid}`]);
    expect(server.requests).toEqual([{ method: "GET", path: "/version/Worldwide", query: { clientrequestid: guid } }]);
  });

  it("asks /endpoints for Exchange only, and gets IPv4 and IPv6", async () => {
    const hrefs: string[] = [];
    const sets = await client({
      fetch: (input, init) => {
        hrefs.push(String(input));
        return fetch(input, init);
      },
    }).getEndpoints("Worldwide", {
      serviceAreas: "Exchange",
    });
    expect(hrefs).toEqual([`${server.url}/endpoints/Worldwide?clientrequestid=${guid}&ServiceAreas=Exchange`]);
    expect(new Set(sets.map((s) => s.serviceArea))).toEqual(new Set(["Exchange"]));
    expect(sets.find((s) => s.id === 10)?.ips).toContain("2a01:111:f403::/48");
  });

  it("asks /endpoints without IPv6 when told", async () => {
    const sets = await client().getEndpoints("Worldwide", { serviceAreas: "Exchange", noIPv6: true });
    expect(server.requests[0]?.query).toEqual({ clientrequestid: guid, ServiceAreas: "Exchange", NoIPv6: "true" });
    expect(selectEopSmtp(sets).ips).toEqual(["40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17"]);
  });

  it("sends the same clientrequestid on every call, retries included", async () => {
    intercept = (n) => (n % 2 === 1 ? { status: 502, body: "Bad Gateway" } : undefined);
    const feedClient = client();
    await feedClient.getVersion("Worldwide");
    await feedClient.getEndpoints("Worldwide");
    await feedClient.getChanges("Worldwide", "0000000000");
    expect(server.requests.map((r) => r.path)).toEqual([
      "/version/Worldwide",
      "/version/Worldwide",
      "/endpoints/Worldwide",
      "/endpoints/Worldwide",
      "/changes/Worldwide/0000000000",
      "/changes/Worldwide/0000000000",
    ]);
    expect(server.requests.every((r) => r.query.clientrequestid === guid)).toBe(true);
  });

  it("reads every instance, whatever ids its sets have, and finds its EOP SMTP set", async () => {
    const sovereign = (id: number, ips: string[]) => [
      {
        id: 1,
        serviceArea: "Exchange",
        serviceAreaDisplayName: "Exchange Online",
        ips: ["52.127.0.0/21"],
        tcpPorts: "80,443",
        expressRoute: false,
        category: "Optimize",
        required: true,
      },
      // Sovereign sets may list no URLs and carry attributes this client does not know.
      {
        id,
        serviceArea: "Exchange",
        serviceAreaDisplayName: "Exchange Online",
        ips,
        tcpPorts: "25",
        expressRoute: false,
        category: "Allow",
        required: true,
        notes: "",
        newAttribute: 1,
      },
    ];
    feed.USGovDoD = { version: "2025011500", endpoints: sovereign(6, ["52.127.80.0/23", "2001:489a:2202::/48"]) };
    feed.USGovGCCHigh = { version: "2025011600", endpoints: sovereign(6, ["52.127.64.0/21"]) };
    feed.China = { version: "2025011700", endpoints: sovereign(2, ["42.159.33.192/27"]) };
    const feedClient = client();
    const seen: Array<[Instance, string, number[]]> = [];
    for (const instance of ["Worldwide", "USGovDoD", "USGovGCCHigh", "China"] as const) {
      const { latest } = await feedClient.getVersion(instance);
      seen.push([instance, latest, selectEopSmtp(await feedClient.getEndpoints(instance, { serviceAreas: "Exchange" })).setIds]);
    }
    expect(seen).toEqual([
      ["Worldwide", "2025020100", [10]],
      ["USGovDoD", "2025011500", [6]],
      ["USGovGCCHigh", "2025011600", [6]],
      ["China", "2025011700", [2]],
    ]);
    expect(server.requests.filter((r) => r.path.startsWith("/endpoints/")).map((r) => r.path)).toEqual([
      "/endpoints/Worldwide",
      "/endpoints/USGovDoD",
      "/endpoints/USGovGCCHigh",
      "/endpoints/China",
    ]);
  });

  it("refuses an instance that is not one, without asking", async () => {
    const error = await failure(client().getVersion("Germany" as Instance));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(/"Germany" is retired/);
    expect(server.requests).toHaveLength(0);
  });

  it("asks /endpoints for every area when not told otherwise", async () => {
    expect(await client().getEndpoints("Worldwide")).toHaveLength(63);
    expect(server.requests[0]?.query).toEqual({ clientrequestid: guid });
  });

  it("asks /changes since a version and validates the records", async () => {
    const records = await client().getChanges("Worldwide", "2025010100");
    expect(server.requests[0]?.path).toBe("/changes/Worldwide/2025010100");
    expect(records).toEqual([{ ...changes[1], current: { required: true } }]);
    expect(await client().getChanges("Worldwide", "0000000000")).toHaveLength(2);
  });

  it("refuses a since-version that is not 10 digits without asking", async () => {
    const error = await failure(client().getChanges("Worldwide", "2025/../x"));
    expect(error).toBeInstanceOf(InputError);
    expect(server.requests).toHaveLength(0);
  });

  it("follows the version as the feed moves", async () => {
    const feedClient = client();
    expect((await feedClient.getVersion("Worldwide")).latest).toBe("2025020100");
    feed.Worldwide!.version = "2025030100";
    expect((await feedClient.getVersion("Worldwide")).latest).toBe("2025030100");
  });

  it("works under a base URL with a path prefix and a trailing slash", async () => {
    const mirror = await startFeedServer(feed, { basePath: "/mirror/m365" });
    try {
      const feedClient = client({ baseUrl: `${mirror.url}/` });
      expect(feedClient.baseUrl).toBe(mirror.url);
      expect((await feedClient.getVersion("Worldwide")).latest).toBe("2025020100");
      expect(mirror.requests.map((r) => r.path)).toEqual(["/mirror/m365/version/Worldwide"]);
    } finally {
      await mirror.close();
    }
  });

  it("refuses a bad client request id or base URL when created", () => {
    expect(() => client({ clientRequestId: "not-a-guid" })).toThrow("clientRequestId: expected a GUID");
    expect(() => client({ clientRequestId: "b10c5ed1-bad1-445f-b386-b919946339a7" })).toThrow(/Microsoft's documentation/);
    expect(() => client({ baseUrl: "https://endpoints.office.com/?key=secret" })).toThrow(InputError);
    expect(() => client({ baseUrl: "ftp://endpoints.office.com" })).toThrow(InputError);
  });
});

describe("retries", () => {
  it("retries a 500 and succeeds, backing off more each time", async () => {
    intercept = (n) => (n <= 2 ? { status: 500, body: "Internal Server Error" } : undefined);
    expect((await client().getVersion("Worldwide")).latest).toBe("2025020100");
    expect(server.requests).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(500);
    expect(sleeps[0]).toBeLessThanOrEqual(1000);
    expect(sleeps[1]).toBeGreaterThanOrEqual(1000);
    expect(sleeps[1]).toBeLessThanOrEqual(2000);
  });

  it("gives up after the last retry with the final HttpError", async () => {
    intercept = () => ({ status: 503, body: "Service Unavailable\r\n  try later" });
    const error = await failure(client({ retries: 2 }).getEndpoints("Worldwide", { serviceAreas: "Exchange" }));
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(503);
    expect((error as HttpError).url).toBe(`${server.url}/endpoints/Worldwide`);
    expect(error.message).toBe(`GET ${server.url}/endpoints/Worldwide answered 503 Service Unavailable: Service Unavailable try later (3 attempts)`);
    expect(server.requests).toHaveLength(3);
    expectRedacted(error);
  });

  it("retries a timeout, then gives up with a TransportError", async () => {
    intercept = () => ({ status: 200, body: "[]", delayMs: 5_000 });
    const error = await failure(client({ timeoutMs: 100, retries: 1 }).getVersion("Worldwide"));
    expect(error).toBeInstanceOf(TransportError);
    expect(error.message).toBe(`GET ${server.url}/version/Worldwide timed out after 0.1 s (2 attempts)`);
    expect(server.requests).toHaveLength(2);
    expectRedacted(error);
  });

  it("retries a connection cut short, then gives up with a TransportError", async () => {
    intercept = () => ({ status: 200, body: '[{"id": 1, "serviceArea": "Exch', headers: { "content-length": "5000" } });
    const error = await failure(client({ retries: 1 }).getEndpoints("Worldwide"));
    expect(error).toBeInstanceOf(TransportError);
    expect(server.requests).toHaveLength(2);
    expectRedacted(error);
  });

  it("times out a download that stalls halfway, and retries it", async () => {
    intercept = () => ({ status: 200, body: JSON.stringify(worldwide), stallMs: 5_000 });
    const error = await failure(client({ timeoutMs: 200, retries: 1 }).getEndpoints("Worldwide"));
    expect(error).toBeInstanceOf(TransportError);
    expect(error.message).toBe(`GET ${server.url}/endpoints/Worldwide timed out after 0.2 s (2 attempts)`);
    expect(server.requests).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
    expectRedacted(error);
  });

  it("keeps the first failures as causes", async () => {
    intercept = () => ({ status: 500, body: "boom" });
    const error = await failure(client({ retries: 1 }).getVersion("Worldwide"));
    expect(error.cause).toBeInstanceOf(HttpError);
    expect((error.cause as HttpError).message).toMatch(/answered 500 Internal Server Error: boom$/);
  });

  it("says why a connection to a name with several addresses failed", async () => {
    // Where localhost is both ::1 and 127.0.0.1, undici fails with an AggregateError whose message is empty;
    // this host resolves it to one address, so the shape is thrown by hand.
    const refused = (address: string) => Object.assign(new Error(`connect ECONNREFUSED ${address}:443`), { code: "ECONNREFUSED" });
    const aggregate = Object.assign(new AggregateError([refused("::1"), refused("127.0.0.1")], ""), { code: "ECONNREFUSED" });
    const error = await failure(
      client({ retries: 0, fetch: () => Promise.reject(new TypeError("fetch failed", { cause: aggregate })) }).getVersion("Worldwide"),
    );
    expect(error).toBeInstanceOf(TransportError);
    expect(error.message).toBe(`GET ${server.url}/version/Worldwide failed: connect ECONNREFUSED ::1:443; connect ECONNREFUSED 127.0.0.1:443`);
    expect((error.cause as Error).cause).toBe(aggregate);
  });

  it("gives up on a refused connection with a TransportError", async () => {
    const url = server.url;
    await server.close();
    server = await startFeedServer({});
    const error = await failure(client({ baseUrl: url, retries: 1 }).getVersion("Worldwide"));
    expect(error).toBeInstanceOf(TransportError);
    expect(error.message).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/version\/Worldwide failed: .*ECONNREFUSED.* \(2 attempts\)$/);
    expect(sleeps).toHaveLength(1);
  });
});

describe("errors that are not retried", () => {
  it("throws ThrottledError at once on a 429, with Retry-After in seconds", async () => {
    intercept = () => ({ status: 429, body: "Too many requests", headers: { "retry-after": "120" } });
    const error = await failure(client().getEndpoints("Worldwide"));
    expect(error).toBeInstanceOf(ThrottledError);
    expect((error as ThrottledError).retryAfterSeconds).toBe(120);
    expect(server.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expectRedacted(error);
  });

  it("throws ThrottledError when the stand-in service rate-limits this GUID, and not for a new one", async () => {
    await server.close();
    server = await startFeedServer(feed, { rateLimit: { requests: 1, retryAfterSeconds: 3600 } });
    const feedClient = client();
    await feedClient.getEndpoints("Worldwide");
    const error = await failure(feedClient.getChanges("Worldwide", "0000000000"));
    expect(error).toBeInstanceOf(ThrottledError);
    expect((error as ThrottledError).retryAfterSeconds).toBe(3600);
    expect(error.message).toBe(`GET ${server.url}/changes/Worldwide/0000000000 answered 429 Too Many Requests; it asks to wait 3600 s`);
    expect((error as ThrottledError).url).toBe(`${server.url}/changes/Worldwide/0000000000`);
    expect(await feedClient.getVersion("Worldwide")).toEqual({ instance: "Worldwide", latest: "2025020100" });
    expect(await client({ clientRequestId: randomUUID() }).getEndpoints("Worldwide")).toHaveLength(63);
    expect(sleeps).toEqual([]);
    expectRedacted(error);
  });

  it("reads Retry-After as an HTTP date, and goes without", async () => {
    intercept = () => ({ status: 429, headers: { "retry-after": new Date(Date.now() + 3_600_000).toUTCString() } });
    const dated = (await failure(client().getEndpoints("Worldwide"))) as ThrottledError;
    expect(dated.retryAfterSeconds).toBeGreaterThan(3590);
    expect(dated.retryAfterSeconds).toBeLessThanOrEqual(3600);
    intercept = () => ({ status: 429 });
    const bare = (await failure(client().getEndpoints("Worldwide"))) as ThrottledError;
    expect(bare).toBeInstanceOf(ThrottledError);
    expect(bare.retryAfterSeconds).toBeUndefined();
    expect(bare.message).toMatch(/wait an hour/);
  });

  it("throws HttpError on another 4xx with the service's text on one line, capped", async () => {
    intercept = () => ({ status: 400, body: `Invalid instance.\r\n${"x".repeat(1000)}`, headers: { "content-type": "text/plain" } });
    const error = await failure(client().getVersion("Worldwide"));
    expect(error).toBeInstanceOf(HttpError);
    expect(error).not.toBeInstanceOf(ThrottledError);
    expect((error as HttpError).status).toBe(400);
    expect(error.message).toMatch(/answered 400 Bad Request: Invalid instance\. x+…$/);
    expect(error.message.length).toBeLessThan(450);
    expect(server.requests).toHaveLength(1);
    expectRedacted(error);
  });

  it("throws a one-line InputError on malformed JSON", async () => {
    intercept = () => ({ status: 200, body: '[\r\n  {\r\n    "id": 10,\r\n    "serviceArea": "Exchange",\r\n' });
    const error = await failure(client().getEndpoints("Worldwide", { serviceAreas: "Exchange" }));
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).source).toBe("GET /endpoints/Worldwide");
    expect(error.message).toMatch(/^GET \/endpoints\/Worldwide: the answer of the Microsoft 365 endpoints service is not valid JSON \(.+\)$/);
    expect(server.requests).toHaveLength(1);
    expectRedacted(error);
  });

  it("throws a one-line InputError when the answer fails validation", async () => {
    feed.Worldwide!.endpoints = [{ ...worldwide[0], tcpPorts: "80,http" }];
    const error = await failure(client().getEndpoints("Worldwide"));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(
      'GET /endpoints/Worldwide: [0].tcpPorts: endpoint set 1: "80,http" is not a port list ("http" is not a port or a range); expected ports and ' +
        'ranges such as "80,443" or "5000-5020"',
    );
    // The zod error behind the line, for whoever debugs it.
    expect((error.cause as Error).name).toBe("ZodError");
    expect(server.requests).toHaveLength(1);
  });

  it("names the field path of a bad /changes record", async () => {
    feed.Worldwide!.changes = [{ ...changes[1], current: { required: "maybe" } }];
    const error = await failure(client().getChanges("Worldwide", "0000000000"));
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).path).toBe("[0].current.required");
    expect(error.message).toBe('GET /changes/Worldwide/0000000000: [0].current.required: expected true or false (or the strings "true" and "false")');
  });

  it("reads the real /changes records and the documentation's through HTTP", async () => {
    const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../test/fixtures/m365/${name}`, import.meta.url), "utf8")) as unknown[];
    feed.Worldwide!.changes = [...fixture("changes-worldwide-docs-example.json"), ...fixture("changes-worldwide-2020012800-record.json")];
    const records = await client().getChanges("Worldwide", "0000000000");
    expect(records.map((r) => [r.id, r.disposition, r.current?.required, r.add?.effectiveDate, r.remove?.ips?.length])).toEqual([
      [3, "Change", undefined, undefined, 6],
      [4, "Change", undefined, undefined, 6],
      [500, "Add", true, "20191125", undefined],
    ]);
  });

  it("refuses a version answer for another instance", async () => {
    intercept = () => ({ status: 200, body: '{"instance":"China","latest":"2025020100"}' });
    const error = await failure(client().getVersion("Worldwide"));
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).path).toBe("instance");
  });

  it("refuses an oversized answer by its Content-Length", async () => {
    const error = await failure(client({ maxResponseBytes: 1000 }).getEndpoints("Worldwide"));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(
      "GET /endpoints/Worldwide: the answer of the Microsoft 365 endpoints service is larger than 1000 bytes, the most this client reads",
    );
    expect(server.requests).toHaveLength(1);
  });

  it("refuses an oversized answer that declares no length, while reading it", async () => {
    intercept = () => ({ status: 200, body: JSON.stringify(worldwide), headers: { "transfer-encoding": "chunked" } });
    const error = await failure(client({ maxResponseBytes: 4096 }).getEndpoints("Worldwide"));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(/larger than 4096 bytes/);
  });
});
