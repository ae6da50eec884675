import type { TenantCheck } from "../core/check.js";
import { ConcurrencyError, oneLine } from "../errors.js";
import type { Artifacts } from "../outputs/index.js";
import { remediationScript } from "../outputs/remediation-script.js";
import type { StateStore } from "../state/store.js";
import type { Alert, Sink } from "./alert.js";
import type { AlertConfig } from "./config.js";
import { type AlertRecord, retryPending, sendAlert } from "./deliver.js";
import { type FindingState, saveFindingState } from "./finding-state.js";

/** What telling a tenant's admins needs: the store, the channels its configuration names, and where links point. */
export interface AlertDeps {
  store: StateStore;
  now: () => Date;
  log: (line: string) => void;
  /** Builds the tenant's channels from its configuration; none when absent (nothing is sent). */
  sinks?: ((config: AlertConfig) => Promise<Sink[]>) | undefined;
  /** The app's public base URL (`https://…/api`), for links in alerts; links carry no key. */
  publicBaseUrl?: string | undefined;
}

/**
 * After a successful check: keeps the tenant's finding state and sends one
 * alert with what changed, having first retried what earlier runs could not
 * deliver. Nothing here fails the check: a channel that fails is recorded and
 * retried by the next run. If another check of the same tenant wrote the
 * finding state meanwhile, that check's state and alert stand and this one
 * sends nothing, so no alert goes out twice.
 */
export async function keepStateAndAlert(
  deps: AlertDeps,
  check: TenantCheck,
  artifacts: Artifacts,
  next: FindingState,
  etag: string | undefined,
  sinks: readonly Sink[],
): Promise<AlertRecord | undefined> {
  const { tenant } = check.observations;
  try {
    await saveFindingState(deps.store, next, etag);
  } catch (error) {
    if (!(error instanceof ConcurrencyError)) throw error;
    deps.log(`the finding state of ${tenant} was written by another check meanwhile; this check sends no alert`);
    return undefined;
  }
  if (sinks.length === 0) return undefined;
  try {
    await retryPending(deps.store, tenant, sinks, deps.now, deps.log);
    const alert = alertOf(check, artifacts, deps.publicBaseUrl);
    if (!alert) return undefined;
    const record = await sendAlert(deps.store, alert, sinks, deps.now);
    for (const d of record.deliveries) deps.log(`alert ${alert.id} on ${d.channel}: ${d.status}${d.error ? ` (${d.error})` : ""}`);
    return record;
  } catch (error) {
    deps.log(`could not send or record the alerts of ${tenant}: ${oneLine(error)}`);
    return undefined;
  }
}

/** The alert of a check: its transitions worth telling, or undefined when there are none. */
export function alertOf(check: TenantCheck, artifacts: Artifacts, publicBaseUrl?: string): Alert | undefined {
  const transitions = (check.transitions ?? []).filter((t) => t.alert);
  if (transitions.length === 0) return undefined;
  const { tenant, runId, instance, at } = check.observations;
  return {
    id: `${tenant}/${runId}`,
    kind: "drift",
    tenant,
    runId,
    instance,
    at: at.toISOString(),
    headline: check.report.summary[0] ?? "",
    transitions,
    links: runLinks(publicBaseUrl, tenant, runId),
    script: artifacts[remediationScript.file],
  };
}

/** A run's links (the run, its report.html and its script) when a public base URL is configured; they carry no key. */
export function runLinks(publicBaseUrl: string | undefined, tenant: string, runId: string | undefined): Alert["links"] {
  const base = publicBaseUrl?.replace(/\/+$/, "");
  if (!base || !runId) return undefined;
  const run = `${base}/resync/${encodeURIComponent(runId)}`;
  const file = (name: string) => `${run}?tenant=${encodeURIComponent(tenant)}&file=${encodeURIComponent(name)}`;
  return { run, script: file(remediationScript.file), report: file("report.html") };
}
