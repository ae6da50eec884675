import type { Output } from "../core/check.js";

/**
 * eop-allowlist.txt: the EOP SMTP set in force as a plain firewall allowlist,
 * one minimal CIDR per line, IPv4 before IPv6, no comments (many import
 * formats refuse them).
 */
export const eopAllowlist: Output = {
  file: "eop-allowlist.txt",
  description: "the EOP SMTP ranges, one per line, for firewall allowlists",
  render: ({ observations }) => observations.eop.inForce.eopRanges.map((c) => `${c}\n`).join(""),
};
