import { loadAlertConfig, thresholdsOf } from "../alerts/config.js";
import { loadFindingState } from "../alerts/finding-state.js";
import { type AlertDeps, keepStateAndAlert } from "../alerts/notify.js";
import type { Settings } from "../config.js";
import type { TenantCheck } from "../core/check.js";
import type { Rule } from "../core/rule.js";
import { DamagedDocumentError, DocumentTooLargeError, InputError, MailflowGuardError, oneLine, StateStoreError, withoutUrls } from "../errors.js";
import { type ExchangeOnlineReader, withLiveExchangeOnline } from "../exchange-online/live.js";
import { loadFeedState } from "../feed/feed-state.js";
import { DEFAULT_MAX_FEED_AGE_MS, staleFeedLine } from "../feed/staleness.js";
import { loadInventory } from "../inventory/inventory-store.js";
import { syncReport } from "../run/feeds.js";
import { briefFindings } from "../run/run.js";
import { claimTenantRun, finishTenantRun, isLastTry, stillOwned, supersededLine, type TenantClaim } from "../run/tries.js";
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

/**
 * A check, or a failure: `retry` when another delivery of the message may
 * help (isTransient); `dropped` when this delivery had nothing to do, the
 * error saying why in one line.
 */
export type TenantOutcome = { tenant: string; check: TenantCheck } | { tenant: string; error: unknown; retry: boolean; dropped?: true };

/**
 * One tenant's check within a run, one try of it (`attempt`: the queue's
 * dequeue count): claim the tenant's record (tries.ts; a duplicate, or a
 * message for a run or tenant that is not there, stops here), read its
 * inventory and the feed in force (the run brought the feed up to date before
 * fanning out; a check never asks the service, and learns from the run's
 * header whether that failed), run the rules, keep the outputs, and record
 * the result, or the failure: `retrying` when another try may help and one
 * is left, else `failed`.
 */
export async function checkTenant(deps: CheckDeps, runId: string, tenant: string, attempt?: number): Promise<TenantOutcome> {
  let claim: TenantClaim;
  try {
    claim = await claimTenantRun(deps.store, runId, tenant, attempt, deps.now);
  } catch (error) {
    // Nothing was written: whatever the record says stands.
    return { tenant, error, retry: isTransient(error) };
  }
  if ("dropped" in claim) return dropped(tenant, claim.dropped);
  const { owned } = claim;
  const { header } = owned;
  try {
    const inventory = await loadInventory(deps.store, tenant);
    if (!inventory) throw new InputError(`no inventory is registered for tenant ${tenant}`);
    const { state } = await loadFeedState(deps.store, inventory.instance);
    const synced = header.feeds.find((f) => f.instance === inventory.instance);
    const at = deps.now();
    const eop = observeEop(state, {
      at,
      sync: synced && syncReport(synced, new Date(header.createdAt)),
      maxFeedAgeMs: deps.settings?.maxFeedAgeMs ?? DEFAULT_MAX_FEED_AGE_MS,
    });
    const config = await loadAlertConfig(deps.store, tenant);
    const { certificateDays, staleEvidenceHours } = thresholdsOf(config);
    const hybrid = await withLiveExchangeOnline(tenant, inventory.hybrid, deps.exchangeOnline, deps.log);
    const outside = await observeOutside(hybrid, { dns: deps.dns, probe: deps.probe, outside: deps.settings?.outside });
    const observations = { tenant, instance: inventory.instance, at, runId, inventory, eop, hybrid, certificateDays, staleEvidenceHours, ...outside };
    const sinks = config && deps.sinks ? await deps.sinks(config) : [];
    const { state: previous, etag } = await loadFindingState(deps.store, tenant);
    const { check, artifacts, next } = evaluate(observations, {
      rules: deps.rules,
      history: { previous, canAlert: sinks.length > 0, minSeverity: thresholdsOf(config).minSeverity },
    });
    if (!(await stillOwned(deps.store, owned))) return dropped(tenant, supersededLine(owned));
    await saveArtifacts(deps.store, tenant, runId, artifacts);
    // The finding state and the alert before the result: a failure here leaves the record running for the
    // next try to redo; once the result is recorded no try comes, and a lost state would alert a day late.
    if (next) await keepStateAndAlert(deps, check, artifacts, next, etag, sinks);
    const { report } = check;
    const recorded = await finishTenantRun(
      deps.store,
      owned,
      {
        status: report.status,
        feedVersion: report.evidence.eop.feed.version,
        findings: briefFindings(report.findings),
        feedWarning: eop.staleness && staleFeedLine(inventory.instance, eop.inForce, eop.staleness, at),
      },
      deps.now(),
    );
    if (!recorded) return dropped(tenant, supersededLine(owned));
    return { tenant, check };
  } catch (error) {
    const retry = isTransient(error);
    const status = retry && !isLastTry(owned) ? "retrying" : "failed";
    // The record is shown by GET /api/resync/{runId}: no storage endpoint in it (the log has the whole line).
    const line = withoutUrls(oneLine(error));
    const recorded = await finishTenantRun(deps.store, owned, { status, error: line }, deps.now()).catch((e: unknown) => {
      deps.log(`could not record the failure of ${tenant} on run ${runId}: ${oneLine(e)}`);
      return true;
    });
    return recorded ? { tenant, error, retry } : dropped(tenant, supersededLine(owned));
  }
}

function dropped(tenant: string, line: string): TenantOutcome {
  return { tenant, error: new MailflowGuardError(line), retry: false, dropped: true };
}

/**
 * Whether a failed tenant check is worth another try (the queue retries it):
 * the state store failing, or something unexpected. What fails the same way
 * every time is not retried: facts about the input (no inventory, no feed
 * ever accepted, the feed too old), a stored document that is damaged or not
 * valid, and one too large for the store. Unknown runs and tenants never get
 * here: the claim drops their messages.
 */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof MailflowGuardError)) return true;
  return error instanceof StateStoreError && !(error instanceof DamagedDocumentError) && !(error instanceof DocumentTooLargeError);
}
