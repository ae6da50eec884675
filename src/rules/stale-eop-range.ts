import { type Finding, finding, subjectKindName } from "../core/finding.js";
import type { Rule } from "../core/rule.js";
import { count, eopAnalyses, eopEvidence, preview } from "./eop-analysis.js";

const RULE_ID = "stale-eop-range";

const IMPACT = {
  "receive-connector":
    "The connector accepts mail from addresses that Exchange Online Protection no longer sends from; whoever uses them now reaches a connector " +
    "that is trusted for EOP mail.",
  allowlist: "The firewall lets SMTP in from addresses that Exchange Online Protection no longer sends from.",
} as const;

/**
 * An `exact` target that allows addresses that are no longer EOP. The change
 * removes whole entries and adds back their EOP parts; while the feed is
 * refused it proposes nothing. In `superset` mode (the default for raw
 * output, and so the collector's) a receive connector trusted for Exchange
 * Online's mail is judged by what it is: its public ranges that are not
 * EOP's are reported too, whoever sends from them being trusted as EOP (the
 * seed's issue #6), but nothing is proposed; `exact` proposes the removal.
 */
export const staleEopRange: Rule = {
  id: RULE_ID,
  needs: ["inventory", "eop"],
  evaluate(observations) {
    const findings: Finding[] = [];
    for (const analysis of eopAnalyses(observations)) {
      if (analysis.stale.isEmpty) continue;
      const { target, remove, held, addBack } = analysis;
      const ranges = analysis.stale.toCidrs();
      const proposes = remove.length > 0 || addBack.length > 0;
      findings.push(
        finding({
          rule: RULE_ID,
          severity: "warning",
          subject: { kind: target.kind, name: target.name },
          ranges,
          summary:
            target.mode === "superset"
              ? `${subjectKindName(target.kind)} ${target.name} is trusted for Exchange Online's mail and allows ${count(ranges, "public range")} ` +
                `that ${ranges.length === 1 ? "is" : "are"} not EOP's: ${preview(ranges)}. In superset mode nothing is proposed; ` +
                "check it in exact mode (--mode exact) for the removal."
              : `${subjectKindName(target.kind)} ${target.name} allows ${count(ranges, "range")} that ${ranges.length === 1 ? "is" : "are"} no ` +
                `longer EOP: ${preview(ranges)}.`,
          impact: IMPACT[target.kind],
          evidence: eopEvidence(analysis, observations),
          changes:
            proposes || held.length > 0 ? [{ kind: "ranges", target: { kind: target.kind, name: target.name }, add: addBack, remove, held }] : [],
        }),
      );
    }
    return findings;
  },
};
