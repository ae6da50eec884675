import { finding } from "../core/finding.js";
import type { Rule } from "../core/rule.js";
import { describeVersion } from "../feed/snapshot.js";

const RULE_ID = "feed-suspicious";

/** The newest feed was refused by the guard: the last good one stays in force and no removal is proposed. */
export const feedSuspicious: Rule = {
  id: RULE_ID,
  needs: ["eop"],
  evaluate({ instance, eop }) {
    const { refused, inForce } = eop;
    if (!refused) return [];
    return [
      finding({
        rule: RULE_ID,
        severity: "error",
        subject: { kind: "feed", name: instance },
        summary:
          `The ${instance} feed (${describeVersion(refused.version)}) was refused: ${refused.reason}. The last good feed ` +
          `(${describeVersion(inForce.version)}) stays in force.`,
        impact:
          "Until a feed is accepted, new EOP ranges are not seen and no removal is proposed; check the feed, or accept the change if Microsoft " +
          "really made it.",
        evidence: { refusedVersion: refused.version, refusedAt: refused.at, source: refused.source, versionInForce: inForce.version },
        substance: { refusedVersion: refused.version, reason: refused.reason, versionInForce: inForce.version },
      }),
    ];
  },
};
