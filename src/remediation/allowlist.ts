import type { RangeSet } from "../ip/index.js";

/**
 * The EOP SMTP set as a plain firewall allowlist: one minimal CIDR per line,
 * IPv4 before IPv6, no comments (many import formats refuse them).
 */
export function eopAllowlistText(eop: RangeSet): string {
  return eop.toCidrs().map((c) => `${c}\n`).join("");
}
