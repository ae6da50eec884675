import type { HybridEvidence } from "../core/check.js";

/** Where Exchange Online's side came from, and whether the organisation is hybrid, in words every report uses. */
export function hybridEvidenceText(h: HybridEvidence): { exchangeOnline: string; deployment: string } {
  const online = h.exchangeOnline;
  const exchangeOnline = !online
    ? "not in the document"
    : online.source === "admin-api"
      ? "read live from the admin endpoint"
      : online.liveReadError
        ? `from the document: the live read failed (${online.liveReadError})`
        : "from the document";
  const hybrid = h.deployment.hybrid === null ? "cannot tell" : h.deployment.hybrid ? "yes" : "no";
  return { exchangeOnline, deployment: `${hybrid}: ${h.deployment.why}` };
}
