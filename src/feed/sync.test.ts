import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EOP_WORLDWIDE, worldwide, worldwideWithEop } from "../../test/support/feed.js";
import { HttpError } from "../errors.js";
import { FileStateStore } from "../state/file-store.js";
import { createFeedClient } from "./client.js";
import { loadFeedState } from "./feed-state.js";
import { startFeedServer } from "./stand-in-service.js";
import { type FeedSyncOptions, syncFeed } from "./sync.js";

const GUID = "9f3c6d1e-2b7a-4c8e-a5f0-1d2e3f4a5b6c";

let server: Awaited<ReturnType<typeof startFeedServer>>;
let feed: Parameters<typeof startFeedServer>[0];
let options: FeedSyncOptions;
let clock: Date;

beforeEach(async () => {
  feed = { Worldwide: { version: "2025060100", endpoints: worldwide() } };
  server = await startFeedServer(feed);
  clock = new Date("2026-11-22T06:00:00Z");
  options = { store: new FileStateStore(mkdtempSync(join(tmpdir(), "mfg-sync-"))), now: () => clock, maxRemovalShare: 0.25 };
});
afterEach(() => server.close());

const client = () => createFeedClient({ baseUrl: server.url, clientRequestId: GUID, sleep: async () => {}, retries: 2 });
const paths = () => server.requests.map((r) => r.path);

describe("syncFeed", () => {
  it("fetches version then endpoints, and stores the EOP set with its version in one write", async () => {
    const result = await syncFeed(client(), "Worldwide", options);
    expect(result.outcome).toBe("updated");
    expect(paths()).toEqual(["/version/Worldwide", "/endpoints/Worldwide"]);
    expect(server.requests[1]!.query.ServiceAreas).toBe("Exchange");
    const { state } = await loadFeedState(options.store, "Worldwide");
    expect(state.lastGood).toMatchObject({ version: "2025060100", setIds: [10], eopRanges: EOP_WORLDWIDE });
  });

  it("asks only /version while the version stays, and skips the network within the interval", async () => {
    await syncFeed(client(), "Worldwide", options);
    clock = new Date(clock.getTime() + 2 * 3600_000);
    expect((await syncFeed(client(), "Worldwide", options)).outcome).toBe("unchanged");
    expect(paths()).toEqual(["/version/Worldwide", "/endpoints/Worldwide", "/version/Worldwide"]);
    clock = new Date(clock.getTime() + 10 * 60_000);
    expect((await syncFeed(client(), "Worldwide", { ...options, minIntervalMs: 3600_000 })).outcome).toBe("unchanged");
    expect(server.requests).toHaveLength(3);
  });

  it("fetches the endpoints again when the version moved", async () => {
    await syncFeed(client(), "Worldwide", options);
    feed.Worldwide = { version: "2025070100", endpoints: worldwideWithEop([...EOP_WORLDWIDE, "40.94.0.0/16"]) };
    const result = await syncFeed(client(), "Worldwide", options);
    expect(result.outcome).toBe("updated");
    expect(result.state.lastGood!.version).toBe("2025070100");
    expect(result.state.lastGood!.eopRanges[0]).toBe("40.92.0.0/15");
    expect(result.state.lastGood!.eopRanges).toContain("40.94.0.0/16");
  });

  it("records nothing of a new version whose endpoints could not be fetched", async () => {
    await syncFeed(client(), "Worldwide", options);
    feed.Worldwide!.version = "2025070100";
    await server.close();
    server = await startFeedServer(feed, { intercept: (req) => (req.path.startsWith("/endpoints") ? { status: 503, body: "busy" } : undefined) });
    await expect(syncFeed(client(), "Worldwide", options)).rejects.toBeInstanceOf(HttpError);
    const { state } = await loadFeedState(options.store, "Worldwide");
    expect(state.lastGood!.version).toBe("2025060100");
    expect(state.refused).toBeUndefined();
  });

  it.each([
    [
      "has no EOP set",
      worldwide((sets) =>
        sets.splice(
          sets.findIndex((s) => s.id === 10),
          1,
        ),
      ),
      "it has no Exchange endpoint set with TCP port 25",
    ],
    [
      "drops 52.100.0.0/14 (53 % of IPv4)",
      worldwideWithEop(EOP_WORLDWIDE.filter((r) => r !== "52.100.0.0/14")),
      "it would remove 53.3 % of the IPv4 EOP addresses of the last good feed (52.100.0.0/14)",
    ],
    ["drops the IPv6 ranges", worldwideWithEop(EOP_WORLDWIDE.filter((r) => !r.includes(":"))), "it would remove 100 % of the IPv6 EOP addresses"],
    ["fails its schema", worldwide((sets) => (sets[0]!.tcpPorts = "eighty")), "it failed validation:"],
  ])("refuses a feed that %s and keeps the last good one", async (_what, endpoints, reason) => {
    await syncFeed(client(), "Worldwide", options);
    feed.Worldwide = { version: "2025070100", endpoints };
    const result = await syncFeed(client(), "Worldwide", options);
    expect(result.outcome).toBe("refused");
    expect(result.state.refused!.reason).toContain(reason);
    expect(result.state.refused!.version).toBe("2025070100");
    const { state } = await loadFeedState(options.store, "Worldwide");
    expect(state.lastGood!.version).toBe("2025060100");
    expect(state.lastGood!.eopRanges).toEqual(EOP_WORLDWIDE);
  });

  it("accepts a small removal, and a large one an admin accepted by version", async () => {
    await syncFeed(client(), "Worldwide", options);
    feed.Worldwide = { version: "2025070100", endpoints: worldwideWithEop(EOP_WORLDWIDE.filter((r) => r !== "104.47.0.0/17")) };
    expect((await syncFeed(client(), "Worldwide", options)).outcome).toBe("updated");
    feed.Worldwide = { version: "2025080100", endpoints: worldwideWithEop(["40.92.0.0/15"]) };
    expect((await syncFeed(client(), "Worldwide", options)).outcome).toBe("refused");
    const accepted = await syncFeed(client(), "Worldwide", { ...options, acceptVersion: "2025080100" });
    expect(accepted.outcome).toBe("updated");
    expect(accepted.state.refused).toBeUndefined();
    expect(accepted.state.lastGood!.eopRanges).toEqual(["40.92.0.0/15"]);
  });

  it("refuses a version older than the one in force", async () => {
    await syncFeed(client(), "Worldwide", options);
    feed.Worldwide!.version = "2024010100";
    const result = await syncFeed(client(), "Worldwide", options);
    expect(result.outcome).toBe("refused");
    expect(result.message).toContain("older than version 2025060100");
    expect(paths().filter((p) => p.startsWith("/endpoints"))).toHaveLength(1);
  });

  it("after a 429 asks nothing until the pause is over", async () => {
    await server.close();
    server = await startFeedServer(feed, { intercept: () => ({ status: 429, body: "Too many requests", headers: { "Retry-After": "120" } }) });
    const first = await syncFeed(client(), "Worldwide", options);
    expect(first.outcome).toBe("throttled");
    expect(first.state.throttledUntil).toBe("2026-11-22T06:02:00.000Z");
    expect(server.requests).toHaveLength(1);
    clock = new Date(clock.getTime() + 60_000);
    expect((await syncFeed(client(), "Worldwide", options)).outcome).toBe("throttled");
    expect(server.requests).toHaveLength(1);
  });
});
