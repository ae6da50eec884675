import { loadAlertConfig, thresholdsOf } from "../alerts/config.js";
import { loadFindingState } from "../alerts/finding-state.js";
import { type AlertDeps, keepStateAndAlert } from "../alerts/notify.js";
import type { Settings } from "../config.js";
import type { TenantCheck } from "../core/check.js";
import type { Rule } from "../core/rule.js";
import { InputError, MailflowGuardError, oneLine, StateStoreError } from "../errors.js";
import { type ExchangeOnlineReader, withLiveExchangeOnline } from "../exchange-online/live.js";
import { loadFeedState } from "../feed/feed-state.js";
import { DEFAULT_MAX_FEED_AGE_MS, staleFeedLine } from "../feed/staleness.js";
import { loadInventory } from "../inventory/inventory-store.js";
import { syncReport } from "../run/feeds.js";
import { briefFindings, loadRunHeader, recordTenantRun } from "../run/run.js";
import type { StateStore } from "../state/store.js";
import { evaluate, observeEop } from "./evaluate.js";
import { type OutsideDeps, observeOutside } from "./outside-view.js";
import { saveArtifacts } from "./report-store.js";

/** What a tenant check needs from outside; the functions and the tests each build one. */
export interface CheckDeps extends AlertDeps, Omit<OutsideDeps, "outside"> {
  store: StateStore;
  now: () => Date;
  log: (line: string) => void;
  /** The rule list; the product's own by default. */
  rules?: readonly Rule[] | undefined;
  /** The feed age limit (the default when not given), and the blocklists and egress addresses for the outside view. */
  settings?: (Pick<Settings, "maxFeedAgeMs"> & Partial<Pick<Settings, "outside">>) | undefined;
  /** Reads each tenant's Exchange Online side live (the admin endpoint); the uploaded document's is used without it. */
  exchangeOnline?: ExchangeOnlineReader | undefined;
}

export type TenantOutcome = { tenant: string; check: TenantCheck } | { tenant: string; error: unknown };

/**
 * One tenant's check within a run: read its inventory and the feed in force
 * (the run brought the feed up to date before fanning out; a check never asks
 * the service, and learns from the run's header whether that failed), run the
 * rules, keep the outputs, and record the result or the failure in the
 * tenant's run record.
 */
export async function checkTenant(deps: CheckDeps, runId: string, tenant: string): Promise<TenantOutcome> {
  try {
    await recordTenantRun(deps.store, runId, tenant, { status: "running" }, deps.now());
    const inventory = await loadInventory(deps.store, tenant);
    if (!inventory) throw new InputError(`no inventory is registered for tenant ${tenant}`);
    const { state } = await loadFeedState(deps.store, inventory.instance);
    const header = await loadRunHeader(deps.store, runId);
    const synced = header?.feeds.find((f) => f.instance === inventory.instance);
    const at = deps.now();
    const eop = observeEop(state, {
      at,
      sync: synced && header && syncReport(synced, new Date(header.createdAt)),
      maxFeedAgeMs: deps.settings?.maxFeedAgeMs ?? DEFAULT_MAX_FEED_AGE_MS,
    });
    const config = await loadAlertConfig(deps.store, tenant);
    const { certificateDays } = thresholdsOf(config);
    const hybrid = await withLiveExchangeOnline(tenant, inventory.hybrid, deps.exchangeOnline, deps.log);
    const outside = await observeOutside(hybrid, { dns: deps.dns, probe: deps.probe, outside: deps.settings?.outside });
    const observations = { tenant, instance: inventory.instance, at, runId, inventory, eop, hybrid, certificateDays, ...outside };
    const sinks = config && deps.sinks ? await deps.sinks(config) : [];
    const { state: previous, etag } = await loadFindingState(deps.store, tenant);
    const { check, artifacts, next } = evaluate(observations, {
      rules: deps.rules,
      history: { previous, canAlert: sinks.length > 0, minSeverity: thresholdsOf(config).minSeverity },
    });
    await saveArtifacts(deps.store, tenant, runId, artifacts);
    const { report } = check;
    await recordTenantRun(
      deps.store,
      runId,
      tenant,
      {
        status: report.status,
        feedVersion: report.evidence.eop.feed.version,
        findings: briefFindings(report.findings),
        feedWarning: eop.staleness && staleFeedLine(inventory.instance, eop.inForce, eop.staleness, at),
      },
      deps.now(),
    );
    if (next) await keepStateAndAlert(deps, check, artifacts, next, etag, sinks);
    return { tenant, check };
  } catch (error) {
    deps.log(`check of ${tenant} failed: ${oneLine(error)}`);
    await recordTenantRun(deps.store, runId, tenant, { status: "failed", error: oneLine(error) }, deps.now()).catch((e: unknown) =>
      deps.log(`could not record the failure of ${tenant} on run ${runId}: ${oneLine(e)}`),
    );
    return { tenant, error };
  }
}

/**
 * Whether a failed tenant check is worth another try (the queue retries it):
 * the state store failing, or something unexpected. Facts about the input
 * (no inventory, no feed ever accepted) fail the same way every time. The
 * check itself asks no outside service; HTTP retries live in the HTTP client.
 */
export function isTransient(error: unknown): boolean {
  return error instanceof StateStoreError || !(error instanceof MailflowGuardError);
}
