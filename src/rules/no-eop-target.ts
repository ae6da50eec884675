import { finding } from "../core/finding.js";
import type { Rule } from "../core/rule.js";
import { eopTargets } from "./eop-targets.js";

const RULE_ID = "no-eop-target";

/**
 * The inventory lists connectors or allowlists, but none of them gets the EOP
 * check: every connector is open to everything or allows no EOP address, or
 * none matches the connectors named. Either the EOP ranges are enforced
 * somewhere the inventory does not show (a firewall), or nothing checks them.
 */
export const noEopTarget: Rule = {
  id: RULE_ID,
  needs: ["inventory", "eop"],
  evaluate(observations) {
    const selections = eopTargets(observations);
    if (selections.length === 0 || selections.some((s) => s.checked)) return [];
    const names = selections.map((s) => s.target.name);
    return [
      finding({
        rule: RULE_ID,
        severity: "warning",
        subject: { kind: "inventory", name: observations.tenant },
        summary:
          `None of the ${selections.length} targets of ${observations.tenant} is checked against the EOP SMTP set: ` +
          `${selections.map((s) => `${s.target.name} ${s.reason}`).join("; ")}.`,
        impact:
          "Nothing here says whether Exchange Online Protection can deliver: if a firewall limits port 25 to the EOP ranges, add its " +
          "allowlist to the inventory; if a dedicated receive connector takes EOP mail, name it with --connector (checkConnectors).",
        evidence: { targets: names },
        substance: names,
      }),
    ];
  },
};
