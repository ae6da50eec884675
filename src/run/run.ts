import { z } from "zod";
import type { Finding } from "../core/finding.js";
import { ConcurrencyError, DamagedDocumentError } from "../errors.js";
import { INSTANCES } from "../feed/instances.js";
import { GUID } from "../ids.js";
import type { StateStore, WriteCondition } from "../state/store.js";

/** Ranges a tenant's run record keeps per finding; its report.json has them all. */
export const RUN_RANGES_LIMIT = 50;
/** Tenant records written or read at once. */
const CONCURRENCY = 16;

/** host.json `functionTimeout`: no try of a tenant's check runs longer (test/functions-host.test.ts holds them equal). */
export const FUNCTION_TIMEOUT_MS = 10 * 60 * 1000;
/** host.json `extensions.queues.maxDequeueCount`: the tries the queue gives a tenant's message before the poison queue. */
export const QUEUE_MAX_DEQUEUE_COUNT = 5;
/**
 * A tenant still queued, running or retrying whose record has not changed
 * for this long reads as abandoned: every try rewrites the record when it
 * starts and ends within the function timeout, so after as many timeouts as
 * the queue has tries nothing is coming (the host was killed, the message
 * was lost).
 * Not written anywhere: a late try still records its result over it.
 */
export const ABANDONED_AFTER_MS = FUNCTION_TIMEOUT_MS * QUEUE_MAX_DEQUEUE_COUNT;
/**
 * host.json `extensions.queues.batchSize` and `newBatchThreshold` (host.json takes no comments, so they are explained here and a
 * test holds them equal): an instance runs at most their sum, 6 tenant checks at once, one tenant each. A check mostly waits on
 * storage, DNS, port 25 and the Exchange Online admin endpoint, so 6 keep a 2-core Flex instance busy while bounding what one
 * instance asks of those endpoints at once; more tenants scale out to more instances instead.
 */
export const QUEUE_BATCH = { batchSize: 4, newBatchThreshold: 2 } as const;

const runTrigger = z.enum(["timer", "manual", "cli"]);
/** `retrying`: a try failed where another may succeed (the store, the unexpected), and the queue delivers the message again. */
const tenantStatus = z.enum(["queued", "running", "retrying", "in-sync", "drift", "failed"]);
const runStatusSchema = z.enum(["queued", "running", "succeeded", "failed", "abandoned"]);

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
  /** One line, for a failed or retrying check. */
  error: z.string().optional(),
  /** The queue's delivery (its dequeue count, 1 for the first) of the try that wrote this record, when the host said. */
  attempt: z.number().int().positive().optional(),
  /** Which try wrote it: a try whose write landed but whose answer was lost knows its own record by this. */
  tryId: z.string().optional(),
  /** One line, when the feed could not be brought up to date and the last good one was used. */
  feedWarning: z.string().optional(),
});

/** What a run was started with; written once, so it never grows or changes with the tenants' progress. */
const runHeaderSchema = z.object({
  id: z.string(),
  trigger: runTrigger,
  createdAt: z.string(),
  tenantCount: z.number().int().nonnegative(),
  /** The feed of each instance brought up to date before the fan-out, as the check will read it. */
  feeds: z
    .array(
      z.object({
        instance: z.enum(INSTANCES),
        outcome: z.string(),
        version: z.string().nullable().optional(),
        message: z.string(),
        /** Why it could not be brought up to date, when it failed or was throttled; the tenants' checks say so. */
        error: z.string().optional(),
      }),
    )
    .default([]),
});

export type RunTrigger = z.infer<typeof runTrigger>;
export type TenantRunStatus = z.infer<typeof tenantStatus>;
export type RunStatus = z.infer<typeof runStatusSchema>;
export type TenantRun = z.infer<typeof tenantRunSchema>;
export type RunHeader = z.infer<typeof runHeaderSchema>;
export type FeedAtRunStart = RunHeader["feeds"][number];
/** A tenant's record as a run shows it: `abandoned` is derived when it is read, never stored. */
export type TenantRunView = Omit<TenantRun, "status"> & { status: TenantRunStatus | "abandoned" };

/** A run as the re-sync status endpoint shows it: the header and every tenant's record, the status derived from them. */
export interface RunRecord extends Omit<RunHeader, "tenantCount"> {
  updatedAt: string;
  status: RunStatus;
  tenants: Record<string, TenantRunView>;
}

export const RUN_ID = GUID;

/** Queued until any tenant starts, running while any is (or will be retried), abandoned when one will not finish, then failed or succeeded. */
export function runStatus(tenants: readonly TenantRunView[]): RunStatus {
  const states = tenants.map((t) => t.status);
  if (states.every((s) => s === "queued")) return "queued";
  if (states.some((s) => s !== "abandoned" && !isFinal(s))) return "running";
  if (states.includes("abandoned")) return "abandoned";
  return states.includes("failed") ? "failed" : "succeeded";
}

/** A tenant's result, which no later try or duplicate message overwrites: `failed` only when no try would do better. */
export function isFinal(status: TenantRunStatus | "abandoned"): status is "in-sync" | "drift" | "failed" {
  return status === "in-sync" || status === "drift" || status === "failed";
}

/** An unfinished record (queued, running, retrying) unchanged for longer than ABANDONED_AFTER_MS before `now` reads as abandoned. */
function tenantView(record: TenantRun, now: Date): TenantRunView {
  return !isFinal(record.status) && now.getTime() - Date.parse(record.updatedAt) > ABANDONED_AFTER_MS ? { ...record, status: "abandoned" } : record;
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
  // The run is new, so are its records: a create needs no read of what it would replace. Its id is fresh, so a
  // conflict can only be this create's own answer lost and its retry refused: the record is there.
  await inBatches(init.tenants, (tenant) =>
    store.put("run-tenant", tenantKey(init.id, tenant), queued, { ifNoneMatch: "*" }).catch((error: unknown) => {
      if (!(error instanceof ConcurrencyError)) throw error;
    }),
  );
  const { tenantCount: _, ...rest } = header;
  return { ...rest, updatedAt: at, status: "queued", tenants: Object.fromEntries(init.tenants.map((t) => [t, queued])) };
}

export async function loadRunHeader(store: StateStore, id: string): Promise<RunHeader | undefined> {
  const doc = await store.get("run", id);
  return doc && parse(runHeaderSchema, doc.value, `run ${id}`);
}

/** The run as of `now`: a tenant that stopped making progress long ago reads as abandoned, and so does the run. */
export async function loadRun(store: StateStore, id: string, now: Date): Promise<RunRecord | undefined> {
  const found = await loadRunHeader(store, id);
  if (!found) return undefined;
  const { tenantCount, ...header } = found;
  const prefix = tenantKey(id, "");
  const keys = await store.list("run-tenant", { prefix });
  const records = await inBatches(keys, async (key) => {
    const record = await store.get("run-tenant", key);
    return [key.slice(prefix.length), record && parse(tenantRunSchema, record.value, `run ${id}, tenant ${key.slice(prefix.length)}`)] as const;
  });
  const tenants: Record<string, TenantRunView> = {};
  for (const [tenant, record] of records) if (record) tenants[tenant] = tenantView(record, now);
  const all = Object.values(tenants);
  // A tenant without its record yet is still queued (the run was opened, its record not yet written).
  const pending = all.length < tenantCount ? [tenantView({ status: "queued", updatedAt: header.createdAt }, now)] : [];
  return {
    ...header,
    // ISO 8601 times in UTC sort as text.
    updatedAt: [header.createdAt, ...all.map((t) => t.updatedAt)].sort().at(-1)!,
    status: runStatus([...all, ...pending]),
    tenants,
  };
}

/** A tenant's record in a run with its ETag, or undefined when the run has no such tenant. */
export async function readTenantRun(store: StateStore, id: string, tenant: string): Promise<{ record: TenantRun; etag: string } | undefined> {
  const doc = await store.get("run-tenant", tenantKey(id, tenant));
  return doc && { record: parse(tenantRunSchema, doc.value, `run ${id}, tenant ${tenant}`), etag: doc.etag };
}

/**
 * Records one tenant's progress in its own document, no other tenant's: workers never write the same document. A try of the
 * check writes over what it read (`ifMatch`, see tries.ts). Returns the new ETag.
 */
export function recordTenantRun(
  store: StateStore,
  id: string,
  tenant: string,
  update: Omit<TenantRun, "updatedAt">,
  now: Date,
  condition?: WriteCondition,
): Promise<string> {
  return store.put("run-tenant", tenantKey(id, tenant), { ...update, updatedAt: now.toISOString() } satisfies TenantRun, condition);
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

/** `${runId}/${tenant}`: a run's records list by its id; run ids are GUIDs, so the first slash ends it. */
export function tenantKey(runId: string, tenant: string): string {
  return `${runId}/${tenant}`;
}

/** The ZodError stays as the cause: it tells a damaged document, which no retry repairs, from a store that failed (isTransient). */
function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new DamagedDocumentError(`the stored ${what} is not valid: ${parsed.error.issues[0]?.message ?? "unknown"}`, { cause: parsed.error });
  }
  return parsed.data;
}

export async function inBatches<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += CONCURRENCY) results.push(...(await Promise.all(items.slice(i, i + CONCURRENCY).map(work))));
  return results;
}
