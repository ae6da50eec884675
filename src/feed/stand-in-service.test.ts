import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FeedServer, type RecordedFeed, startFeedServer } from "./stand-in-service.js";

const readJson = (relative: string): unknown => JSON.parse(readFileSync(new URL(relative, import.meta.url), "utf8"));
const fixture = (name: string) => readJson(`../../test/fixtures/m365/${name}`);

// The stand-in service the feed tests and the demo rely on must answer like the real one.

const exchange = (id: number, tcpPorts: string, ips?: string[]) => ({
  id,
  serviceArea: "Exchange",
  serviceAreaDisplayName: "Exchange Online",
  ...(ips ? { ips } : {}),
  tcpPorts,
  expressRoute: true,
  category: "Allow",
  required: true,
});
const skype = {
  id: 11,
  serviceArea: "Skype",
  serviceAreaDisplayName: "Skype for Business Online and Microsoft Teams",
  ips: ["52.112.0.0/14"],
  udpPorts: "3478,3479,3480,3481",
  expressRoute: true,
  category: "Optimize",
  required: true,
};

let server: FeedServer;
let feed: RecordedFeed;
const guid = randomUUID();

beforeEach(async () => {
  feed = {
    Worldwide: {
      version: "2025020100",
      endpoints: [
        exchange(9, "443", ["40.92.0.0/15"]),
        exchange(10, "25", ["40.92.0.0/15", "2a01:111:f400::/48"]),
        exchange(12, "25", ["2a01:111:f403::/48"]),
        skype,
      ],
      changes: [
        { id: 1, endpointSetId: 10, disposition: "Add", version: "2025010100" },
        { id: 2, endpointSetId: 10, disposition: "Remove", version: "2025020100" },
      ],
    },
    USGovDoD: { version: "2025011500", endpoints: [exchange(6, "25", ["52.127.80.0/23"])] },
  };
  server = await startFeedServer(feed);
});
afterEach(() => server.close());

const get = (path: string, query = `clientrequestid=${guid}`) => fetch(`${server.url}${path}${query ? `?${query}` : ""}`);

describe("startFeedServer", () => {
  it("answers pretty-printed JSON with CRLF and two spaces, like the service", async () => {
    const response = await get("/version/Worldwide");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await response.text()).toBe('{\r\n  "instance": "Worldwide",\r\n  "latest": "2025020100"\r\n}');
  });

  it("wants a valid clientrequestid on every operation, and answers 400 like the service", async () => {
    for (const path of ["/version", "/version/Worldwide", "/endpoints/Worldwide", "/changes/Worldwide/0000000000"]) {
      for (const query of ["", "clientrequestid=123", "clientrequestid=", `requestid=${guid}`]) {
        const response = await get(path, query);
        expect(response.status, `${path}?${query}`).toBe(400);
        expect(await response.text()).toBe(
          "Invalid Instance string specified or ClientRequestId not specified in the Url. Documentation is available at http://aka.ms/ipurlws",
        );
      }
    }
    expect((await get("/version/Worldwide", `ClientRequestId=${guid}`)).status).toBe(200);
  });

  it("answers 400 for an unknown or retired instance, 404 for one it has no recording of", async () => {
    expect(await (await get("/Version/usgovdod")).json()).toEqual({ instance: "USGovDoD", latest: "2025011500" });
    for (const path of ["/version/Germany", "/endpoints/germany", "/changes/GCC/0000000000", "/version/Worldwide2"]) {
      const response = await get(path);
      expect(response.status, path).toBe(400);
      expect(await response.text()).toMatch(/^Invalid Instance string/);
    }
    expect((await get("/version/China")).status).toBe(404);
    expect((await get("/endpoints/USGovGCCHigh")).status).toBe(404);
  });

  it("answers 404 for paths that are not an operation", async () => {
    for (const path of ["/endpoints", "/endpoints/Worldwide/extra", "/changes/Worldwide", "/ips/Worldwide", "/"]) {
      expect((await get(path)).status, path).toBe(404);
    }
  });

  it("answers /version without an instance with one entry per published instance", async () => {
    expect(await (await get("/version")).json()).toEqual([
      { instance: "Worldwide", latest: "2025020100" },
      { instance: "USGovDoD", latest: "2025011500" },
    ]);
  });

  it("filters /endpoints by ServiceAreas and drops IPv6 for NoIPv6=true", async () => {
    const ids = async (query: string) => ((await (await get("/endpoints/Worldwide", query)).json()) as Array<{ id: number }>).map((s) => s.id);
    expect(await ids(`clientrequestid=${guid}`)).toEqual([9, 10, 12, 11]);
    expect(await ids(`clientrequestid=${guid}&ServiceAreas=Exchange`)).toEqual([9, 10, 12]);
    expect(await ids(`clientrequestid=${guid}&serviceareas=skype,%20exchange`)).toEqual([9, 10, 12, 11]);
    const sets = (await (await get("/endpoints/Worldwide", `clientrequestid=${guid}&NoIPv6=true`)).json()) as Array<{ id: number; ips?: string[] }>;
    expect(sets.find((s) => s.id === 10)?.ips).toEqual(["40.92.0.0/15"]);
    expect(sets.find((s) => s.id === 12)).not.toHaveProperty("ips");
  });

  it("answers /changes with the records after the version asked", async () => {
    const ids = async (since: string) => ((await (await get(`/changes/worldwide/${since}`)).json()) as Array<{ id: number }>).map((r) => r.id);
    expect(await ids("0000000000")).toEqual([1, 2]);
    expect(await ids("2025010100")).toEqual([2]);
    expect(await ids("2025020100")).toEqual([]);
    expect(await (await get("/changes/USGovDoD/0000000000")).json()).toEqual([]);
    expect((await get("/changes/Worldwide/latest")).status).toBe(400);
  });

  it("reads the feed at each request, so tests can move it", async () => {
    feed.Worldwide!.version = "2025030100";
    delete feed.USGovDoD;
    expect(await (await get("/version")).json()).toEqual([{ instance: "Worldwide", latest: "2025030100" }]);
  });

  it("records every request and lets a test answer instead", async () => {
    await server.close();
    server = await startFeedServer(feed, {
      intercept: (req) => (req.path.startsWith("/endpoints") ? { status: 503, body: "busy", headers: { "retry-after": "5" } } : undefined),
    });
    const response = await get("/endpoints/Worldwide", `clientrequestid=${guid}&ServiceAreas=Exchange`);
    expect([response.status, response.headers.get("retry-after"), await response.text()]).toEqual([503, "5", "busy"]);
    expect((await get("/version/Worldwide")).status).toBe(200);
    expect(server.requests).toEqual([
      { method: "GET", path: "/endpoints/Worldwide", query: { clientrequestid: guid, ServiceAreas: "Exchange" } },
      { method: "GET", path: "/version/Worldwide", query: { clientrequestid: guid } },
    ]);
  });

  it("closes without waiting for a delayed answer, which then never comes", async () => {
    await server.close();
    let arrived!: () => void;
    const received = new Promise<void>((resolve) => (arrived = resolve));
    server = await startFeedServer(feed, {
      intercept: () => {
        arrived();
        return { status: 200, body: "{}", delayMs: 60_000 };
      },
    });
    const pending = get("/version/Worldwide").catch((error: unknown) => error);
    await received;
    // Waiting for the one-minute delay would outlast the test's timeout; close() must not.
    await server.close();
    // No answer came before the connection was closed: the request fails instead.
    expect(await pending).toBeInstanceOf(TypeError);
    server = await startFeedServer(feed);
  });

  it("throttles /endpoints and /changes per clientrequestid, never /version", async () => {
    await server.close();
    server = await startFeedServer(feed, { rateLimit: { requests: 2, retryAfterSeconds: 3600 } });
    expect((await get("/endpoints/Worldwide")).status).toBe(200);
    expect((await get("/changes/Worldwide/0000000000")).status).toBe(200);
    const throttled = await get("/endpoints/Worldwide");
    expect([throttled.status, throttled.headers.get("retry-after")]).toEqual([429, "3600"]);
    expect((await get("/changes/Worldwide/0000000000")).status).toBe(429);
    expect((await get("/version/Worldwide")).status).toBe(200);
    // The service's advice: a new GUID is served again.
    expect((await get("/endpoints/Worldwide", `clientrequestid=${randomUUID()}`)).status).toBe(200);
  });

  it("throttles without Retry-After when none is set", async () => {
    await server.close();
    server = await startFeedServer(feed, { rateLimit: { requests: 0 } });
    const response = await get("/endpoints/Worldwide");
    expect([response.status, response.headers.has("retry-after")]).toEqual([429, false]);
  });

  it("stalls a canned answer halfway when asked: headers and the first half now, the rest only when the stall ends", async () => {
    const body = '{"instance":"Worldwide","latest":"2025020100"}';
    const half = Math.floor(Buffer.byteLength(body) / 2);

    // A stall that outlasts the test: the first half arrives, the rest never does, and closing cuts the body there.
    await server.close();
    server = await startFeedServer(feed, { intercept: () => ({ status: 200, body, stallMs: 60_000 }) });
    const stalled = await get("/version/Worldwide");
    expect(stalled.status).toBe(200);
    const reader = stalled.body!.getReader();
    let received = Buffer.alloc(0);
    while (received.byteLength < half) {
      const { value, done } = await reader.read();
      if (done) break;
      received = Buffer.concat([received, value]);
    }
    expect(received.toString()).toBe(body.slice(0, half));
    const rest = reader.read();
    await server.close();
    await expect(rest).rejects.toThrow(TypeError);

    // A short stall: the same answer completes, whole, once the stall is over.
    server = await startFeedServer(feed, { intercept: () => ({ status: 200, body, stallMs: 50 }) });
    expect(await (await get("/version/Worldwide")).text()).toBe(body);
  });

  it("serves the recorded fixtures and the demo's recording as they are", async () => {
    await server.close();
    const recording = readJson("../../examples/demo/feed/recording.json") as { version: string; endpoints: string };
    const demoEndpoints = readJson(`../../examples/demo/feed/${recording.endpoints}`);
    const changes = [
      ...(fixture("changes-worldwide-docs-example.json") as unknown[]),
      ...(fixture("changes-worldwide-2020012800-record.json") as unknown[]),
    ];
    server = await startFeedServer({
      Worldwide: { version: recording.version, endpoints: demoEndpoints, changes },
      China: { version: "2025010100", endpoints: fixture("endpoints-worldwide-2025.json") },
    });
    expect(await (await get("/version/Worldwide")).json()).toEqual({ instance: "Worldwide", latest: recording.version });
    expect(await (await get("/endpoints/Worldwide")).json()).toEqual(demoEndpoints);
    const sets = (await (await get("/endpoints/China", `clientrequestid=${guid}&ServiceAreas=Exchange`)).json()) as Array<{ serviceArea: string }>;
    expect(sets.length).toBeGreaterThan(0);
    expect(sets.every((s) => s.serviceArea === "Exchange")).toBe(true);
    const ids = async (since: string) => ((await (await get(`/changes/Worldwide/${since}`)).json()) as Array<{ id: number }>).map((r) => r.id);
    expect(await ids("0000000000")).toEqual([3, 4, 500]);
    expect(await ids("2018031301")).toEqual([500]);
  });

  it("serves under a path prefix and nowhere else", async () => {
    const mirror = await startFeedServer(feed, { basePath: "/m365/" });
    try {
      expect(mirror.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/m365$/);
      expect((await fetch(`${mirror.url}/version/Worldwide?clientrequestid=${guid}`)).status).toBe(200);
      expect((await fetch(`${mirror.url.replace("/m365", "")}/version/Worldwide?clientrequestid=${guid}`)).status).toBe(404);
      expect((await fetch(`${mirror.url}x/version/Worldwide?clientrequestid=${guid}`)).status).toBe(404);
    } finally {
      await mirror.close();
    }
  });
});
