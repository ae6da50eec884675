import { z } from "zod";
import type { Finding } from "../core/finding.js";
import { StateStoreError } from "../errors.js";
import { INSTANCES } from "../feed/instances.js";
import { GUID } from "../ids.js";
import type { StateStore } from "../state/store.js";

/** Ranges a tenant's run record keeps per finding; its report.json has them all. */
export const RUN_RANGES_LIMIT = 50;
/** Tenant records written or read at once. */
const CONCURRENCY = 16;

const runTrigger = z.enum(["timer", "manual", "cli"]);
const tenantStatus = z.enum(["queued", "running", "in-sync", "drift", "failed"]);
const runStatusSchema = z.enum(["queued", "running", "succeeded", "failed"]);

/** A finding in brief: enough to alert on and to tell new from unchanged. */
const findingBrief = z.object({
  id: z.string(),
  digest: z.string(),
  rule: z.string(),
  severity: z.enum(["error", "warning", "info"]),
  subject: z.object({ kind: z.string(), name: z.string() }),
  rangeCount: z.number().int().nonnegative(),
  ranges: z.array(z.string()),
});

/** One tenant's part of a run, a document of its own: workers never write the same document. */
const tenantRunSchema = z.object({
  status: tenantStatus,
  updatedAt: z.string(),
  /** The feed version checked against. */
  feedVersion: z.string().nullable().optional(),
  findings: z.array(findingBrief).optional(),
  /** One line, for a failed check. */
  error: z.string().optional(),
});

/** What a run was started with; written once, so it never grows or changes with the tenants' progress. */
const runHeaderSchema = z.object({
  id: z.string(),
  trigger: runTrigger,
  createdAt: z.string(),
  tenantCount: z.number().int().nonnegative(),
  /** The feed of each instance brought up to date before the fan-out, as the check will read it. */
  feeds: z
    .array(z.object({ instance: z.enum(INSTANCES), outcome: z.string(), version: z.string().nullable().optional(), message: z.string() }))
    .default([]),
});

export type RunTrigger = z.infer<typeof runTrigger>;
export type TenantRunStatus = z.infer<typeof tenantStatus>;
export type RunStatus = z.infer<typeof runStatusSchema>;
export type TenantRun = z.infer<typeof tenantRunSchema>;
export type RunHeader = z.infer<typeof runHeaderSchema>;
export type FeedAtRunStart = RunHeader["feeds"][number];

/** A run as the re-sync status endpoint shows it: the header and every tenant's record, the status derived from them. */
export interface RunRecord extends Omit<RunHeader, "tenantCount"> {
  updatedAt: string;
  status: RunStatus;
  tenants: Record<string, TenantRun>;
}

export const RUN_ID = GUID;

export function runStatus(tenants: readonly TenantRun[]): RunStatus {
  const states = tenants.map((t) => t.status);
  if (states.every((s) => s === "queued")) return "queued";
  if (states.some((s) => s === "queued" || s === "running")) return "running";
  return states.includes("failed") ? "failed" : "succeeded";
}

/** Opens a run: the header, then a queued record per tenant, so the status lists every tenant from the start. */
export async function createRun(
  store: StateStore,
  init: { id: string; trigger: RunTrigger; tenants: readonly string[]; now: Date; feeds?: FeedAtRunStart[] },
): Promise<RunRecord> {
  const at = init.now.toISOString();
  const header: RunHeader = { id: init.id, trigger: init.trigger, createdAt: at, tenantCount: init.tenants.length, feeds: init.feeds ?? [] };
  await store.put("run", header.id, header, { ifNoneMatch: "*" });
  const queued: TenantRun = { status: "queued", updatedAt: at };
  await inBatches(init.tenants, (tenant) => store.put("run-tenant", tenantKey(init.id, tenant), queued));
  const { tenantCount: _, ...rest } = header;
  return { ...rest, updatedAt: at, status: "queued", tenants: Object.fromEntries(init.tenants.map((t) => [t, queued])) };
}

export async function loadRun(store: StateStore, id: string): Promise<RunRecord | undefined> {
  const doc = await store.get("run", id);
  if (!doc) return undefined;
  const { tenantCount, ...header } = parse(runHeaderSchema, doc.value, `run ${id}`);
  const prefix = tenantKey(id, "");
  const keys = await store.list("run-tenant", { prefix });
  const records = await inBatches(keys, async (key) => {
    const record = await store.get("run-tenant", key);
    return [key.slice(prefix.length), record && parse(tenantRunSchema, record.value, `run ${id}, tenant ${key.slice(prefix.length)}`)] as const;
  });
  const tenants: Record<string, TenantRun> = {};
  for (const [tenant, record] of records) if (record) tenants[tenant] = record;
  const all = Object.values(tenants);
  // A tenant without its record yet is still queued (the run was opened, its record not yet written).
  const pending: TenantRun[] = all.length < tenantCount ? [{ status: "queued", updatedAt: header.createdAt }] : [];
  return {
    ...header,
    // ISO 8601 times in UTC sort as text.
    updatedAt: [header.createdAt, ...all.map((t) => t.updatedAt)].sort().at(-1)!,
    status: runStatus([...all, ...pending]),
    tenants,
  };
}

/** Records one tenant's progress in its own document: no read-modify-write, however many workers run. */
export async function recordTenantRun(store: StateStore, id: string, tenant: string, update: Omit<TenantRun, "updatedAt">, now: Date): Promise<void> {
  await store.put("run-tenant", tenantKey(id, tenant), { ...update, updatedAt: now.toISOString() } satisfies TenantRun);
}

/** The findings in brief for the run record. */
export function briefFindings(findings: readonly Finding[]): TenantRun["findings"] {
  return findings.map((f) => ({
    id: f.id,
    digest: f.digest,
    rule: f.rule,
    severity: f.severity,
    subject: f.subject,
    rangeCount: f.ranges?.length ?? 0,
    ranges: (f.ranges ?? []).slice(0, RUN_RANGES_LIMIT),
  }));
}

function tenantKey(runId: string, tenant: string): string {
  return `${runId}/${tenant}`;
}

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new StateStoreError(`the stored ${what} is not valid: ${parsed.error.issues[0]?.message ?? "unknown"}`);
  return parsed.data;
}

async function inBatches<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += CONCURRENCY) results.push(...(await Promise.all(items.slice(i, i + CONCURRENCY).map(work))));
  return results;
}
