import { type Finding, finding, subjectKindName } from "../core/finding.js";
import type { Rule } from "../core/rule.js";
import { count, eopAnalyses, eopEvidence, preview } from "./eop-analysis.js";

const RULE_ID = "missing-eop-range";

const IMPACT = {
  "receive-connector":
    "Mail that Exchange Online Protection sends from these addresses does not match this connector: Exchange takes it on another connector, where " +
    "it is anonymous (internal mail shows as external, lands in junk, breaks room bookings and out-of-office) or refuses it.",
  allowlist:
    "The firewall drops SMTP connections from these Exchange Online Protection addresses: mail from Exchange Online queues at Microsoft and " +
    "bounces if it cannot be delivered in time.",
} as const;

/** A receive connector or allowlist that does not allow every EOP SMTP address. */
export const missingEopRange: Rule = {
  id: RULE_ID,
  needs: ["inventory", "eop"],
  evaluate(observations) {
    const findings: Finding[] = [];
    for (const analysis of eopAnalyses(observations)) {
      if (analysis.missing.isEmpty) continue;
      const { target } = analysis;
      const ranges = analysis.missing.toCidrs();
      findings.push(
        finding({
          rule: RULE_ID,
          severity: "error",
          subject: { kind: target.kind, name: target.name },
          ranges,
          summary: `${subjectKindName(target.kind)} ${target.name} lacks ${count(ranges, "EOP range")}: ${preview(ranges)}.`,
          impact: IMPACT[target.kind],
          evidence: eopEvidence(analysis, observations),
          changes: [{ kind: "ranges", target: { kind: target.kind, name: target.name }, add: ranges, remove: [], held: [] }],
        }),
      );
    }
    return findings;
  },
};
