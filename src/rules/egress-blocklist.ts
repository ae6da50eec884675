import { type Finding, finding } from "../core/finding.js";
import type { Rule } from "../core/rule.js";

/**
 * An egress address listed on a DNS blocklist. Only a listing answer counts:
 * a refusal (`127.255.255.254` through public resolvers) or no answer is
 * reported as unknown in the report, never as a listing.
 */
export const egressIpBlocklisted: Rule = {
  id: "egress-ip-blocklisted",
  needs: ["dns"],
  evaluate(o) {
    const listed = (o.dns?.blocklists ?? []).filter((l) => l.status === "listed");
    const out: Finding[] = [];
    for (const address of [...new Set(listed.map((l) => l.address))]) {
      const on = listed.filter((l) => l.address === address);
      out.push(
        finding({
          rule: "egress-ip-blocklisted",
          severity: "error",
          subject: { kind: "ip-address", name: address },
          summary: `The egress address ${address} is listed on ${on.map((l) => l.zone).join(", ")}.`,
          impact:
            "Receivers that use these lists refuse or junk the organisation's mail, and mail the hybrid server sends that Exchange Online " +
            "does not recognise as the organisation's (by certificate or address) is filtered as Internet mail. Find what sent spam from " +
            "the address, then ask each list for removal (its reason below names where).",
          evidence: { listings: on.map((l) => ({ zone: l.zone, answers: l.answers ?? [], reason: l.reason ?? null })) },
          substance: { zones: on.map((l) => l.zone).sort() },
        }),
      );
    }
    return out;
  },
};
