/** Pruning old runs on both stores: they share the StateStore interface, and pruning uses nothing else. */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadArtifacts, saveArtifacts } from "../src/check/report-store.js";
import { pruneRuns, SCHEDULED_ALERTS_KEPT_MS } from "../src/run/retention.js";
import { ABANDONED_AFTER_MS, createRun, loadRun, recordTenantRun } from "../src/run/run.js";
import { FileStateStore } from "../src/state/file-store.js";
import type { StateStore } from "../src/state/store.js";
import { TableStateStore } from "../src/state/table-store.js";
import { azuriteContainer, azuriteStore, azuriteTable, uniqueTableName } from "./support/tables.js";

const DAY = 24 * 3600_000;
const START = Date.parse("2026-11-01T06:00:00Z");
const TENANTS = ["contoso.onmicrosoft.com", "fabrikam.onmicrosoft.com"];

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const stores: [string, () => Promise<StateStore>][] = [
  ["Table Storage", async () => azuriteStore("retention")],
  [
    "the file store",
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "mailflow-guard-retention-"));
      dirs.push(dir);
      return new FileStateStore(dir);
    },
  ],
];

/** A finished run of `tenants` on day `day`, with each tenant's record and report. */
async function finishedRun(store: StateStore, day: number, tenants = TENANTS): Promise<string> {
  const id = randomUUID();
  const now = new Date(START + day * DAY);
  await createRun(store, { id, trigger: "timer", tenants, now });
  for (const tenant of tenants) {
    await saveArtifacts(store, tenant, id, { "report.md": `# ${tenant} on day ${day}\n` });
    await recordTenantRun(store, id, tenant, { status: "in-sync", feedVersion: "2025060100", findings: [] }, now);
  }
  return id;
}

describe.each(stores)("pruning on %s", (_name, open) => {
  it("after N+2 runs keeps the last N of each tenant with their reports, oldest deleted first", async () => {
    const store = await open();
    // Made out of order, so only the run headers' times can tell which is newest.
    const days = [3, 0, 2, 1];
    const ids = new Map<number, string>();
    for (const day of days) ids.set(day, await finishedRun(store, day));
    const pruned = await pruneRuns(store, { keep: 2, now: new Date(START + 4 * DAY), log: () => {} });
    expect(pruned).toEqual({ runs: 2, tenantRecords: 4, reports: 4, alerts: 0, leftovers: 0 });
    const kept = [ids.get(2)!, ids.get(3)!];
    expect((await store.list("run")).sort()).toEqual([...kept].sort());
    expect(await store.list("report")).toEqual(TENANTS.flatMap((t) => kept.map((id) => `${t}/${id}`)).sort());
    expect(await loadArtifacts(store, TENANTS[0]!, ids.get(3)!)).toEqual({ "report.md": `# ${TENANTS[0]} on day 3\n` });
    expect(await loadRun(store, ids.get(1)!, new Date())).toBeUndefined();
    // Nothing more to do the next time.
    expect(await pruneRuns(store, { keep: 2, now: new Date(START + 4 * DAY), log: () => {} })).toEqual({
      runs: 0,
      tenantRecords: 0,
      reports: 0,
      alerts: 0,
      leftovers: 0,
    });
  });

  it("deletes what lost its run or record, and keeps a run being opened", async () => {
    const store = await open();
    const now = new Date(START + 10 * DAY);
    const kept = await finishedRun(store, 9);
    const lost = randomUUID();
    await recordTenantRun(store, lost, TENANTS[0]!, { status: "running" }, now); // a late try of a pruned run
    await saveArtifacts(store, TENANTS[0]!, lost, { "report.md": "late\n" });
    await saveArtifacts(store, TENANTS[1]!, randomUUID(), { "report.md": "no record\n" });
    // Headers without tenant records: one just opened (records still to come), one left by a crash long ago.
    const opening = randomUUID();
    await store.put("run", opening, { id: opening, trigger: "manual", createdAt: now.toISOString(), tenantCount: 1, feeds: [] });
    const crashed = randomUUID();
    const longAgo = new Date(now.getTime() - ABANDONED_AFTER_MS - 60_000).toISOString();
    await store.put("run", crashed, { id: crashed, trigger: "manual", createdAt: longAgo, tenantCount: 1, feeds: [] });

    expect(await pruneRuns(store, { keep: 30, now, log: () => {} })).toEqual({ runs: 1, tenantRecords: 1, reports: 2, alerts: 0, leftovers: 0 });
    expect((await store.list("run")).sort()).toEqual([kept, opening].sort());
    expect(await store.list("run-tenant")).toEqual(TENANTS.map((t) => `${kept}/${t}`).sort());
    expect(await store.list("report")).toEqual(TENANTS.map((t) => `${t}/${kept}`));
  });

  it("reads an old unfinished run as abandoned, and a recent one as running", async () => {
    const store = await open();
    const id = randomUUID();
    const opened = new Date(START);
    await createRun(store, { id, trigger: "timer", tenants: TENANTS, now: opened });
    await recordTenantRun(store, id, TENANTS[0]!, { status: "in-sync", findings: [] }, opened);
    await recordTenantRun(store, id, TENANTS[1]!, { status: "running" }, opened);
    expect((await loadRun(store, id, new Date(START + ABANDONED_AFTER_MS)))!.status).toBe("running");
    const run = (await loadRun(store, id, new Date(START + ABANDONED_AFTER_MS + 1)))!;
    expect(run.status).toBe("abandoned");
    expect(Object.values(run.tenants).map((t) => t.status)).toEqual(["in-sync", "abandoned"]);
  });

  it("deletes scheduled alerts a month old, and never a run's alert by its age", async () => {
    const store = await open();
    const now = new Date(START + 40 * DAY);
    const old = new Date(now.getTime() - SCHEDULED_ALERTS_KEPT_MS - 1).toISOString();
    const recent = new Date(now.getTime() - SCHEDULED_ALERTS_KEPT_MS + DAY).toISOString();
    const tenant = TENANTS[0]!;
    const keys = [
      `${tenant}/digest/${old}`,
      `${tenant}/heartbeat/${old}`,
      `${tenant}/stale-run/${old}`,
      `${tenant}/stale-run/${old}/resolved`,
      `${tenant}/digest/${recent}`,
      `${tenant}/${randomUUID()}`,
    ];
    for (const key of keys) await store.put("alert", key, { alert: { id: key }, deliveries: [], pending: [], runsTried: 1 });
    expect(await pruneRuns(store, { keep: 30, now, log: () => {} })).toEqual({ runs: 0, tenantRecords: 0, reports: 0, alerts: 4, leftovers: 0 });
    expect((await store.list("alert")).sort()).toEqual([keys[4], keys[5]].sort());
  });

  it("keeps a run it cannot read, and says so", async () => {
    const store = await open();
    const broken = randomUUID();
    await store.put("run", broken, { id: broken });
    await recordTenantRun(store, broken, TENANTS[0]!, { status: "in-sync" }, new Date(START));
    const lines: string[] = [];
    expect(await pruneRuns(store, { keep: 1, now: new Date(START + DAY), log: (line) => lines.push(line) })).toEqual({
      runs: 0,
      tenantRecords: 0,
      reports: 0,
      alerts: 0,
      leftovers: 0,
    });
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^kept run ${broken}, which could not be read: the stored run ${broken} is not valid`))]);
    expect(await store.list("run-tenant")).toEqual([`${broken}/${TENANTS[0]}`]);
  });
});

describe("pruning on Table Storage with its blobs", () => {
  it("deletes the blobs of the reports it prunes, then those that writes cut short left behind", async () => {
    const table = azuriteTable(uniqueTableName("retention"));
    const container = azuriteContainer();
    const store = new TableStateStore(table, container);
    const blobs = async () => {
      const names: string[] = [];
      for await (const blob of container.listBlobsFlat({ prefix: `${table.tableName}/` })) names.push(blob.name);
      return names;
    };
    const days = [0, 1, 2];
    const ids: string[] = [];
    for (const day of days) ids.push(await finishedRun(store, day));
    expect(await blobs()).toHaveLength(days.length * TENANTS.length);
    // A writer that stopped between a report's blob and its row.
    await container.getBlockBlobClient(`${table.tableName}/report/${TENANTS[0]}%2F${randomUUID()}~0123456789abcdef`).upload("{}", 2);

    // The blobs were written just now: a pruning two days on finds the one without a row old enough to go.
    const pruned = await pruneRuns(store, { keep: 1, now: new Date(Date.now() + 2 * DAY), log: () => {} });
    expect(pruned).toEqual({ runs: 2, tenantRecords: 4, reports: 4, alerts: 0, leftovers: 1 });
    const kept = TENANTS.map((tenant) => `${table.tableName}/report/${tenant}%2F${ids[2]}~`);
    expect((await blobs()).map((name) => name.replace(/[0-9a-f]{16}$/, ""))).toEqual(kept);
    expect(await loadArtifacts(store, TENANTS[1]!, ids[2]!)).toEqual({ "report.md": `# ${TENANTS[1]} on day 2\n` });
  });
});
