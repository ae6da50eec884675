import { MissingFeedError } from "../errors.js";
import { compareFindings, findingId, type Finding } from "../finding.js";
import type { FeedState } from "../feed/feed-state.js";
import { describeVersion, type FeedRefusal, type FeedSnapshot } from "../feed/snapshot.js";
import { targetsOf, type Inventory } from "../inventory/inventory.js";
import { RangeSet } from "../ip/index.js";
import { eopAllowlistText } from "../remediation/allowlist.js";
import { receiveConnectorScript } from "../remediation/powershell.js";
import { renderMarkdown } from "../report/markdown.js";
import type { CheckReport, TargetReport } from "../report/report.js";
import { analyseTarget, driftFindings } from "../rules/eop-drift.js";

export const ARTIFACTS = {
  script: "remediation.ps1",
  allowlist: "eop-allowlist.txt",
  markdown: "report.md",
  json: "report.json",
} as const;

export interface TenantCheck {
  report: CheckReport;
  /** File name → content, ready to write or store. */
  artifacts: Record<string, string>;
}

/**
 * One tenant's drift check, pure: the inventory against the feed in force.
 * While the newest feed is refused the last good one is used, the refusal
 * becomes a `feed-suspicious` finding, and nothing is proposed for removal.
 */
export function evaluateTenant(inventory: Inventory, feed: FeedState, run: { runId: string; now: Date }): TenantCheck {
  const snapshot = feed.lastGood;
  if (!snapshot) throw new MissingFeedError(inventory.instance, feed.refused?.reason);
  const eop = RangeSet.parse(snapshot.eopRanges);
  const refused = feed.refused;
  const analyses = targetsOf(inventory).map((t) => analyseTarget(t, eop, { allowRemovals: refused === undefined }));
  const findings = analyses.flatMap((a) => driftFindings(a, snapshot));
  if (refused) findings.push(feedSuspicious(inventory.instance, refused, snapshot));
  findings.sort(compareFindings);

  const generatedAt = run.now.toISOString();
  const artifacts: Record<string, string> = {
    [ARTIFACTS.script]: receiveConnectorScript(analyses, {
      tenant: inventory.tenant,
      instance: inventory.instance,
      feedVersion: snapshot.version,
      runId: run.runId,
      generatedAt,
      feedRefusedReason: refused?.reason,
    }),
    [ARTIFACTS.allowlist]: eopAllowlistText(eop),
  };
  const targets: TargetReport[] = analyses.map((a) => ({
    kind: a.target.kind,
    name: a.target.name,
    mode: a.target.mode,
    entries: a.target.entries.length,
    inSync: a.missing.isEmpty && a.stale.isEmpty,
    addCount: a.add.length,
    removeCount: a.remove.length,
    heldByProtected: a.held,
  }));
  const report: CheckReport = {
    schemaVersion: 1,
    runId: run.runId,
    tenant: inventory.tenant,
    instance: inventory.instance,
    generatedAt,
    status: findings.length === 0 ? "in-sync" : "drift",
    feed: {
      status: refused ? "refused" : "accepted",
      version: snapshot.version,
      fetchedAt: snapshot.fetchedAt,
      source: snapshot.source,
      setIds: snapshot.setIds,
      eopRanges: snapshot.eopRanges,
      refused: refused && { version: refused.version, at: refused.at, reason: refused.reason },
    },
    summary: summarise(inventory, snapshot, targets, findings),
    findings,
    targets,
    artifacts: [...Object.keys(artifacts), ARTIFACTS.markdown, ARTIFACTS.json],
  };
  artifacts[ARTIFACTS.markdown] = renderMarkdown(report);
  artifacts[ARTIFACTS.json] = JSON.stringify(report, null, 2) + "\n";
  return { report, artifacts };
}

function feedSuspicious(instance: string, refused: FeedRefusal, inForce: FeedSnapshot): Finding {
  return {
    id: findingId("feed-suspicious", "feed", instance),
    rule: "feed-suspicious",
    severity: "error",
    target: instance,
    targetKind: "feed",
    ranges: [],
    summary: `The ${instance} feed (${describeVersion(refused.version)}) was refused: ${refused.reason}. The last good feed (${describeVersion(inForce.version)}) stays in force.`,
    impact: "Until a feed is accepted, new EOP ranges are not seen and no removal is proposed; check the feed, or accept the change if Microsoft really made it.",
    evidence: { refusedVersion: refused.version, refusedAt: refused.at, source: refused.source, versionInForce: inForce.version },
  };
}

function summarise(inventory: Inventory, snapshot: FeedSnapshot, targets: readonly TargetReport[], findings: readonly Finding[]): string[] {
  const feed = `${inventory.instance} feed ${describeVersion(snapshot.version)}`;
  const drifted = targets.filter((t) => !t.inSync);
  const headline =
    findings.length === 0
      ? `In sync: all ${targets.length} target${targets.length === 1 ? "" : "s"} of ${inventory.tenant} match the EOP SMTP set (${feed}).`
      : drifted.length === 0
        ? `Attention: ${inventory.tenant} matches the EOP SMTP set in force, but the feed needs a look (${feed}).`
        : `Drift: ${drifted.length} of ${targets.length} target${targets.length === 1 ? "" : "s"} of ${inventory.tenant} do${drifted.length === 1 ? "es" : ""} not match the EOP SMTP set (${feed}).`;
  return [headline, ...findings.map((f) => f.summary)];
}
