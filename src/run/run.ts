import { randomUUID } from "node:crypto";
import { z } from "zod";
import { ConcurrencyError, StateStoreError } from "../errors.js";
import type { StateStore } from "../state/store.js";

export type RunTrigger = "timer" | "manual" | "cli";
export type TenantRunStatus = "queued" | "running" | "in-sync" | "drift" | "failed";
export type RunStatus = "queued" | "running" | "succeeded" | "failed";

/** Ranges a run record keeps per finding. */
export const RUN_RANGES_LIMIT = 50;

export interface TenantRun {
  status: TenantRunStatus;
  updatedAt: string;
  /** The feed version checked against. */
  feedVersion?: string | null | undefined;
  /**
   * The findings in brief: a run record holds every tenant of a run, so each
   * keeps its first ranges and their count; the tenant's report.json has all.
   */
  findings?: Array<{ rule: string; target: string; rangeCount: number; ranges: string[] }> | undefined;
  /** One line, for a failed check. */
  error?: string | undefined;
}

/** One drift check of one or more tenants, as the re-sync endpoint reports it. */
export interface RunRecord {
  id: string;
  trigger: RunTrigger;
  createdAt: string;
  updatedAt: string;
  /** Derived from the tenants' states on every write. */
  status: RunStatus;
  tenants: Record<string, TenantRun>;
}

const tenantRun = z.object({
  status: z.enum(["queued", "running", "in-sync", "drift", "failed"]),
  updatedAt: z.string(),
  feedVersion: z.string().nullable().optional(),
  findings: z.array(z.object({ rule: z.string(), target: z.string(), rangeCount: z.number().int().nonnegative(), ranges: z.array(z.string()) })).optional(),
  error: z.string().optional(),
});
const runRecord = z.object({
  id: z.string(),
  trigger: z.enum(["timer", "manual", "cli"]),
  createdAt: z.string(),
  updatedAt: z.string(),
  status: z.enum(["queued", "running", "succeeded", "failed"]),
  tenants: z.record(z.string(), tenantRun),
});

export const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function newRunId(): string {
  return randomUUID();
}

export function runStatus(tenants: Record<string, TenantRun>): RunStatus {
  const states = Object.values(tenants).map((t) => t.status);
  if (states.every((s) => s === "queued")) return "queued";
  if (states.some((s) => s === "queued" || s === "running")) return "running";
  return states.includes("failed") ? "failed" : "succeeded";
}

export async function createRun(store: StateStore, init: { id: string; trigger: RunTrigger; tenants: string[]; now: Date }): Promise<RunRecord> {
  const at = init.now.toISOString();
  const tenants = Object.fromEntries(init.tenants.map((t) => [t, { status: "queued" as const, updatedAt: at }]));
  const run: RunRecord = { id: init.id, trigger: init.trigger, createdAt: at, updatedAt: at, status: runStatus(tenants), tenants };
  await store.put("run", run.id, run, { ifNoneMatch: "*" });
  return run;
}

export async function loadRun(store: StateStore, id: string): Promise<RunRecord | undefined> {
  const doc = await store.get("run", id);
  return doc && parseRun(doc.value, id);
}

function parseRun(value: unknown, id: string): RunRecord {
  const parsed = runRecord.safeParse(value);
  if (!parsed.success) throw new StateStoreError(`the stored run ${id} is not valid: ${parsed.error.issues[0]?.message ?? "unknown"}`);
  return parsed.data;
}

/**
 * Records one tenant's progress. Workers for the same run write concurrently,
 * so this is a read-modify-write on the ETag, tried again when another worker
 * wrote in between.
 */
export async function updateTenantRun(store: StateStore, id: string, tenant: string, update: Omit<TenantRun, "updatedAt">, now: Date): Promise<RunRecord> {
  for (let attempt = 1; ; attempt++) {
    const doc = await store.get("run", id);
    if (!doc) throw new StateStoreError(`run ${id} does not exist`);
    const run = parseRun(doc.value, id);
    const at = now.toISOString();
    run.tenants[tenant] = { ...update, updatedAt: at };
    run.updatedAt = at;
    run.status = runStatus(run.tenants);
    try {
      await store.put("run", id, run, { ifMatch: doc.etag });
      return run;
    } catch (error) {
      if (!(error instanceof ConcurrencyError) || attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
}
