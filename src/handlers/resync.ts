import type { HttpRequest, HttpResponseInit, InvocationContext, StorageQueueOutput } from "@azure/functions";
import { z } from "zod";
import { loadArtifacts } from "../check/report-store.js";
import { listTenants } from "../inventory/inventory-store.js";
import { loadRun, RUN_ID } from "../run/run.js";
import { startRun } from "../run/start.js";
import { describeValue, validate } from "../validation.js";
import type { DriftCheckMessage, HandlerDeps } from "./deps.js";
import { answer, HttpProblem, json, loadDeps, readJsonRequest } from "./http.js";

const tenantName = z.string().trim().toLowerCase().min(1, { message: "expected a tenant name such as contoso.onmicrosoft.com" });

/** Which tenants to re-sync; an empty body (or `{}`) means every one. Names are compared as stored: trimmed, lower case. */
const body = z
  .strictObject(
    {
      tenant: tenantName.optional(),
      tenants: z
        .array(tenantName)
        .min(1, { message: "expected at least one tenant name (an empty body re-syncs every tenant)" })
        .superRefine((names, ctx) => {
          names.forEach((name, i) => {
            const first = names.indexOf(name);
            if (first < i) ctx.addIssue({ code: "custom", path: [i], message: `${describeValue(name)} is listed twice (tenants[${first}] too)` });
          });
        })
        .optional(),
    },
    {
      error: (issue) =>
        issue.code === "invalid_type"
          ? `expected an object such as {"tenant": "contoso.onmicrosoft.com"} or {"tenants": […]}, or an empty body for every tenant`
          : undefined,
    },
  )
  .refine((b) => b.tenant === undefined || b.tenants === undefined, { path: ["tenants"], message: 'expected "tenant" or "tenants", not both' });

/**
 * POST /api/resync `{"tenant": "contoso.onmicrosoft.com"}` (or `"tenants"`,
 * or an empty body for every tenant): asks the feed service now, once per
 * instance, and re-checks. A body is application/json (415 otherwise) and
 * exactly one of these forms (400 otherwise); an empty one needs no Content-Type.
 * Answers 202 at once with the run id; the work runs on the queue, because an
 * HTTP answer may not take longer than 230 s.
 */
export function startResync(deps: () => Promise<HandlerDeps>, queue: StorageQueueOutput) {
  return (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> =>
    answer(context, async () => {
      const d = { ...(await loadDeps(deps)), log: (line: string) => context.log(line) };
      const data = await readJsonRequest(request, 64 * 1024, { allowEmpty: true });
      // Only an empty body means every tenant: `null` is refused like any other body that is not an object.
      const wanted = data === undefined ? {} : validate(body, data, "request body");
      const registered = await listTenants(d.store);
      const tenants = wanted.tenants ?? (wanted.tenant !== undefined ? [wanted.tenant] : registered);
      const unknown = tenants.filter((t) => !registered.includes(t));
      if (unknown.length > 0)
        throw new HttpProblem(404, `tenant ${unknown.map(describeValue).join(", ")} has no inventory; post one to /api/inventory first`);
      if (tenants.length === 0) throw new HttpProblem(409, "no tenants are registered; post an inventory to /api/inventory first");
      // No run lease: a re-sync runs beside a scheduled run under way rather than waiting for it or answering 409. The admin
      // asked for a check now, often right after a fix; each run has its own record per tenant, a check writes only its own,
      // and of two checks of one tenant at once only one keeps the finding state and alerts (keepStateAndAlert).
      const run = await startRun(d, { trigger: "manual", tenants, forceFeed: true });
      const messages: DriftCheckMessage[] = tenants.map((tenant) => ({ runId: run.id, tenant }));
      context.extraOutputs.set(queue, messages);
      const statusUrl = new URL(`resync/${run.id}`, routeBase(request.url)).pathname;
      context.log(`run ${run.id}: manual re-sync of ${tenants.length} tenant${tenants.length === 1 ? "" : "s"}`);
      return json(202, { runId: run.id, status: run.status, tenants, statusUrl }, { Location: statusUrl });
    });
}

/**
 * GET /api/resync/{runId}: the run's status and each tenant's result.
 * `?tenant=…&file=remediation.ps1` (or report.md, report.json,
 * eop-allowlist.txt) returns that output of a finished tenant; 404 for a
 * run, tenant or file it does not have.
 */
export function resyncStatus(deps: () => Promise<HandlerDeps>) {
  return (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> =>
    answer(context, async () => {
      const d = await loadDeps(deps);
      // The route takes only a GUID; handlers are also called directly, so the check stays.
      const runId = request.params.runId ?? "";
      if (!RUN_ID.test(runId)) throw new HttpProblem(400, `run id ${describeValue(runId)} is not a run id (expected a GUID)`);
      const run = await loadRun(d.store, runId, d.now());
      if (!run) throw new HttpProblem(404, `run ${runId} does not exist`);
      const tenant = request.query.get("tenant")?.toLowerCase();
      const file = request.query.get("file");
      const tenants = Object.keys(run.tenants).join(", ");
      // Own properties only: `?tenant=constructor` or `?file=__proto__` must not find what every object inherits.
      if (tenant !== undefined && !Object.hasOwn(run.tenants, tenant))
        throw new HttpProblem(404, `run ${runId} has no tenant ${describeValue(tenant)} (it has ${tenants})`);
      if (file === null) return json(200, run);
      if (tenant === undefined) throw new HttpProblem(400, `?file= needs ?tenant= naming one of the run's tenants (${tenants})`);
      const artifacts = await loadArtifacts(d.store, tenant, runId);
      const content = artifacts && Object.hasOwn(artifacts, file) ? artifacts[file] : undefined;
      if (content === undefined) {
        throw new HttpProblem(
          404,
          artifacts
            ? `run ${runId} has no file ${describeValue(file)} for ${tenant} (it has ${Object.keys(artifacts).join(", ")})`
            : `run ${runId} has no outputs for ${tenant} yet`,
        );
      }
      return {
        status: 200,
        body: content,
        headers: { "Content-Type": contentType(file), "Content-Disposition": `attachment; filename="${file}"`, "Cache-Control": "no-store" },
      };
    });
}

/** `https://host/api/resync` → `https://host/api/`, so links keep whatever route prefix the host uses. */
function routeBase(url: string): string {
  return url.replace(/[?#].*$/, "").replace(/[^/]*$/, "");
}

function contentType(file: string): string {
  if (file.endsWith(".json")) return "application/json; charset=utf-8";
  if (file.endsWith(".md")) return "text/markdown; charset=utf-8";
  if (file.endsWith(".html")) return "text/html; charset=utf-8";
  return "text/plain; charset=utf-8";
}
