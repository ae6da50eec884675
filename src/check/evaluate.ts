import type { Transition } from "../alerts/alert.js";
import type { FindingState } from "../alerts/finding-state.js";
import { classify } from "../alerts/transitions.js";
import type { CheckReport, HybridEvidence, NotChecked, Output, TargetReport, TenantCheck, TransitionReport } from "../core/check.js";
import type { Finding, Severity } from "../core/finding.js";
import type { EopObservation, ObservationPart, Observations } from "../core/observations.js";
import type { Rule } from "../core/rule.js";
import { MissingFeedError, StaleFeedError } from "../errors.js";
import type { FeedState } from "../feed/feed-state.js";
import { describeVersion } from "../feed/snapshot.js";
import { type FeedSyncReport, feedStaleness, tooOldFeedLine } from "../feed/staleness.js";
import { rememberCertificates } from "../hybrid/certificate-memory.js";
import { hybridDeployment, partUnavailable } from "../hybrid/deployment.js";
import type { HybridState } from "../hybrid/hybrid-state.js";
import { RangeSet } from "../ip/index.js";
import { type Artifacts, OUTPUTS, renderOutputs, writtenOutputs } from "../outputs/index.js";
import { eopTargets } from "../rules/eop-targets.js";
import { FEED_STALE } from "../rules/feed-stale.js";
import { RULES } from "../rules/index.js";
import { outsideEvidence } from "./outside-view.js";

/** What observing the feed needs besides its state: the check's time, the sync before it, and the age limit. */
export interface EopContext {
  at: Date;
  /** Undefined when the check did not follow a sync it knows of (a feed file, a run opened before the instance was in use). */
  sync: FeedSyncReport | undefined;
  maxFeedAgeMs: number;
}

/**
 * The EOP part of the observations: the last good feed, the refusal of a
 * newer one, and whether it could be brought up to date. A feed that could not
 * and is older than the limit is not observed at all: checking against it
 * would look like a result.
 */
export function observeEop(feed: FeedState, context: EopContext): EopObservation {
  const inForce = feed.lastGood;
  if (!inForce) throw new MissingFeedError(feed.instance, feed.refused?.reason);
  const staleness = feedStaleness(feed, context.sync, context.at);
  if (staleness && staleness.ageMs > context.maxFeedAgeMs) {
    throw new StaleFeedError(tooOldFeedLine(feed.instance, inForce, staleness, context.at, context.maxFeedAgeMs));
  }
  return { inForce, set: RangeSet.parse(inForce.eopRanges), refused: feed.refused, checkedAt: feed.lastVersionCheck?.at, staleness };
}

export interface EvaluateOptions {
  rules?: readonly Rule[];
  outputs?: readonly Output[];
  /**
   * The tenant's finding state before this check, to classify the findings against; `canAlert` when a channel is
   * configured, `minSeverity` the tenant's alert threshold.
   */
  history?: { previous: FindingState | undefined; canAlert: boolean; minSeverity?: Severity | undefined } | undefined;
}

/**
 * One tenant's check, pure: every rule whose observation parts are present
 * runs, the findings are ordered by the rule list, and the report and every
 * output are rendered from them.
 */
export function evaluate(
  observations: Observations,
  options: EvaluateOptions = {},
): { check: TenantCheck; artifacts: Artifacts; next?: FindingState | undefined } {
  const rules = options.rules ?? RULES;
  const outputs = options.outputs ?? OUTPUTS;
  const previous = options.history?.previous;
  // What each connector's certificate was at the last checks comes with the finding state, unless the caller gave it.
  if (observations.certificateHistory === undefined && previous) observations = { ...observations, certificateHistory: previous.certificates };
  const { findings, notChecked } = runRules(observations, rules);
  const classified =
    options.history &&
    classify(options.history.previous, findings, {
      tenant: observations.tenant,
      runId: observations.runId,
      at: observations.at,
      canAlert: options.history.canAlert,
      minSeverity: options.history.minSeverity,
      unjudged: new Set(notChecked.flatMap((n) => n.rules)),
    });
  const report = buildReport(observations, findings, notChecked, outputs);
  if (classified) report.transitions = classified.transitions.map(transitionReport);
  const check: TenantCheck = { observations, findings, report, transitions: classified?.transitions };
  const next = classified && {
    ...classified.next,
    certificates: observations.hybrid
      ? rememberCertificates(observations.certificateHistory, observations.hybrid, observations.at)
      : (previous?.certificates ?? {}),
  };
  return { check, artifacts: renderOutputs(check, outputs), next };
}

function transitionReport(t: Transition): TransitionReport {
  const { id, rule, subject, summary } = t.finding;
  return { id, kind: t.kind, rule, subject, summary, since: t.since, alert: t.alert, snoozedUntil: t.snooze?.until };
}

/**
 * Runs every rule whose observation parts are present. A rule whose state
 * document parts were not collected (or not whole), or that says it cannot
 * judge, does not run: it is listed as not checked, each reason once, and is
 * never taken to have found nothing. One that can judge only some subjects
 * runs on them and is listed too.
 */
function runRules(observations: Observations, rules: readonly Rule[]): { findings: Finding[]; notChecked: NotChecked[] } {
  const order = new Map(rules.map((r, i) => [r.id, i]));
  const unchecked = new Map<string, string[]>();
  const findings: Finding[] = [];
  for (const rule of rules) {
    if (!rule.needs.every((part) => observations[part] !== undefined)) continue;
    const hybrid = observations.hybrid;
    const missing = hybrid
      ? [
          ...(rule.parts ?? []).map((part) => partUnavailable(hybrid, part)),
          ...(rule.wholeParts ?? []).map((part) => partUnavailable(hybrid, part, true)),
        ].find((why) => why !== undefined)
      : undefined;
    const why = missing ?? rule.cannotJudge?.(observations);
    const note = (reason: string) => unchecked.set(reason, [...(unchecked.get(reason) ?? []), rule.id]);
    if (why !== undefined) {
      note(why);
      continue;
    }
    const partly = rule.partlyJudged?.(observations);
    if (partly !== undefined) note(partly);
    findings.push(...rule.evaluate(observations));
  }
  const notChecked = [...unchecked].map(([reason, ids]) => ({ reason, rules: ids }));
  return { findings: sortFindings(findings, order), notChecked };
}

function sortFindings(findings: Finding[], order: ReadonlyMap<string, number>): Finding[] {
  return findings.sort(
    (a, b) =>
      (order.get(a.rule) ?? order.size) - (order.get(b.rule) ?? order.size) ||
      a.subject.kind.localeCompare(b.subject.kind) ||
      a.subject.name.localeCompare(b.subject.name),
  );
}

function buildReport(o: Observations, findings: Finding[], notChecked: NotChecked[], outputs: readonly Output[]): CheckReport {
  const { inForce, refused } = o.eop;
  const targets = targetReports(o, findings);
  const outside = outsideEvidence(o);
  return {
    schemaVersion: 2,
    runId: o.runId,
    tenant: o.tenant,
    instance: o.instance,
    generatedAt: o.at.toISOString(),
    // A stale feed says how the check ran, not that a target drifted: the status is the targets' as usual. News (info) is not drift.
    status: findings.some((f) => f.rule !== FEED_STALE && f.severity !== "info") ? "drift" : "in-sync",
    summary: summarise(o, targets, findings),
    findings,
    evidence: {
      eop: {
        feed: {
          status: refused ? "refused" : "accepted",
          version: inForce.version,
          fetchedAt: inForce.fetchedAt,
          source: inForce.source,
          setIds: inForce.setIds,
          eopRanges: inForce.eopRanges,
          refused: refused && { version: refused.version, at: refused.at, reason: refused.reason },
          staleness: o.eop.staleness,
        },
      },
      inventory: { targets },
      ...(o.hybrid ? { hybrid: hybridEvidence(o.hybrid, notChecked) } : {}),
      ...(outside ? { outside } : {}),
    },
    artifacts: writtenOutputs(o, outputs).map((a) => ({ file: a.file, description: a.description })),
  };
}

/** Each target with the findings about it: in sync when there are none; the counts come from their range changes. */
function targetReports(o: Observations, findings: readonly Finding[]): TargetReport[] {
  return eopTargets(o).map(({ target: t, checked, reason }) => {
    const about = findings.filter((f) => f.subject.kind === t.kind && f.subject.name === t.name);
    const changes = about.flatMap((f) => f.changes ?? []).filter((c) => c.kind === "ranges");
    const adds = changes.flatMap((c) => c.add);
    return {
      kind: t.kind,
      name: t.name,
      mode: t.mode,
      entries: t.entries.length,
      checked,
      reason,
      inSync: about.length === 0,
      addCount: changes.length > 1 ? RangeSet.parse(adds).toCidrs().length : adds.length,
      removeCount: changes.reduce((n, c) => n + c.remove.length, 0),
      heldByProtected: changes.flatMap((c) => c.held),
    };
  });
}

/** Where each side of the hybrid came from: when the document was collected, and whether Exchange Online was read live. */
function hybridEvidence(h: HybridState, notChecked: NotChecked[]): HybridEvidence {
  const { hybrid, why } = hybridDeployment(h);
  return {
    collectedAt: h.collectedAt,
    onPremises: h.onPremises !== undefined,
    exchangeOnline: h.exchangeOnline && { source: h.exchangeOnline.source, liveReadError: h.exchangeOnline.liveReadError },
    deployment: { hybrid: hybrid ?? null, why },
    notChecked,
  };
}

/** The rules that read both sides of the hybrid, or what they look like from the outside. */
const HYBRID_PARTS: readonly ObservationPart[] = ["hybrid", "dns", "probes"];
const HYBRID_RULES = new Set(RULES.filter((r) => r.needs.some((p) => HYBRID_PARTS.includes(p))).map((r) => r.id));

function summarise(o: Observations, targets: readonly TargetReport[], findings: readonly Finding[]): string[] {
  const { version } = o.eop.inForce;
  const feed = version === null ? `${o.instance}, ${describeVersion(version)}` : `${o.instance} feed ${describeVersion(version)}`;
  const checked = targets.filter((t) => t.checked);
  const drifted = checked.filter((t) => !t.inSync);
  const n = `${checked.length} target${checked.length === 1 ? "" : "s"}`;
  // Certificate, connector and domain findings (the on-premises state document's rules), news apart.
  const hybrid = findings.filter((f) => HYBRID_RULES.has(f.rule) && f.severity !== "info").length;
  const also = hybrid === 0 ? "" : ` ${hybrid} certificate, connector or domain finding${hybrid === 1 ? "" : "s"} as well.`;
  let headline: string;
  if (drifted.length > 0) {
    headline = `Drift: ${drifted.length} of ${n} of ${o.tenant} do${drifted.length === 1 ? "es" : ""} not match the EOP SMTP set (${feed}).${also}`;
  } else if (hybrid > 0) {
    headline =
      `Drift: ${hybrid} certificate, connector or domain finding${hybrid === 1 ? "" : "s"} for ${o.tenant}; ` +
      `${checked.length > 0 ? `its ${n} match${checked.length === 1 ? "es" : ""}` : "no target was checked against"} the EOP SMTP set (${feed}).`;
  } else if (findings.length > 0) {
    const what = findings.some((f) => f.subject.kind === "feed") ? "the feed needs" : "the findings below need";
    headline =
      checked.length > 0
        ? `Attention: ${o.tenant} matches the EOP SMTP set in force, but ${what} a look (${feed}).`
        : `Attention: no target of ${o.tenant} was checked against the EOP SMTP set, and ${what} a look (${feed}).`;
  } else {
    headline = `In sync: all ${n} of ${o.tenant} match the EOP SMTP set (${feed}).`;
  }
  return [headline, ...findings.map((f) => f.summary)];
}
