import { type Finding, finding } from "../core/finding.js";
import { DEFAULT_STALE_EVIDENCE_HOURS } from "../core/observations.js";
import type { Rule } from "../core/rule.js";

const HOUR_MS = 3_600_000;

function age(ms: number): string {
  const hours = Math.floor(ms / HOUR_MS);
  return hours < 48 ? `${hours} hours` : `${Math.floor(hours / 24)} days`;
}

/**
 * The evidence a check judges is older than the tenant allows (default 48
 * hours): the state document, by when it was collected, and each probe it
 * carries, by when it ran (or, for a probe of an older version, the
 * document's time). A collector that stopped uploading, or a server that
 * can no longer be read, otherwise leaves every daily check "succeeding" on
 * frozen data. A warning, so that it alerts; a newer stale document is a
 * new finding, the same one kept is not told again.
 */
export const stateDocumentStale: Rule = {
  id: "state-document-stale",
  needs: ["hybrid"],
  evaluate(o) {
    const hybrid = o.hybrid;
    if (!hybrid) return [];
    const limitMs = (o.staleEvidenceHours ?? DEFAULT_STALE_EVIDENCE_HOURS) * HOUR_MS;
    const out: Finding[] = [];
    const collectedMs = o.at.getTime() - Date.parse(hybrid.collectedAt);
    if (collectedMs > limitMs) {
      out.push(
        finding({
          rule: "state-document-stale",
          severity: "warning",
          subject: { kind: "state-document", name: o.tenant },
          summary:
            `The state document was collected ${age(collectedMs)} ago (${hybrid.collectedAt}), past the ${age(limitMs)} this tenant allows: ` +
            "everything judged from it is as it was then.",
          impact:
            "Changes since then (a renewed certificate, an edited connector) are not seen, and problems fixed since are still reported. " +
            "Check that the collector's scheduled task runs and can reach every server.",
          evidence: { collectedAt: hybrid.collectedAt, limitHours: limitMs / HOUR_MS },
          substance: { collectedAt: hybrid.collectedAt },
        }),
      );
    }
    // The check's own probes are fresh; an uploaded one is as old as it says, or as the document that carries it.
    for (const probe of o.probes?.results ?? []) {
      if (probe.source !== "document") continue;
      const when = probe.probedAt ?? hybrid.collectedAt;
      const probeMs = o.at.getTime() - Date.parse(when);
      if (probeMs <= limitMs) continue;
      out.push(
        finding({
          rule: "state-document-stale",
          severity: "warning",
          subject: { kind: "probe", name: `${probe.host}:${probe.port}` },
          summary: `The uploaded probe of ${probe.host}:${probe.port} ran ${age(probeMs)} ago (${when}), past the ${age(limitMs)} this tenant allows.`,
          impact:
            "What the server presents (its certificate, STARTTLS, TLS versions) is judged as it was then. Run mailflow-guard probe again " +
            "where port 25 can leave, and upload it with the state document.",
          evidence: { probedAt: when, limitHours: limitMs / HOUR_MS },
          substance: { probedAt: when },
        }),
      );
    }
    return out;
  },
};
