import { createHash } from "node:crypto";

export type Severity = "error" | "warning" | "info";

/**
 * What a finding is about. Kinds are open: each rule names its own subjects;
 * the ones below have display names in reports.
 */
export interface Subject {
  kind: string;
  name: string;
}

/** Display names of the subject kinds the product knows; reports fall back to the kind itself. */
export const SUBJECT_KINDS: Readonly<Record<string, string>> = {
  "receive-connector": "Receive connector",
  allowlist: "Allowlist",
  feed: "Feed",
  "send-connector": "Send connector",
  "hybrid-configuration": "Hybrid configuration",
  certificate: "Certificate",
  "inbound-connector": "Exchange Online inbound connector",
  "outbound-connector": "Exchange Online outbound connector",
  "accepted-domain": "Accepted domain",
  "remote-domain": "Remote domain",
  organisation: "Organisation",
  tenant: "Tenant",
  "smtp-host": "SMTP host",
  "ip-address": "Egress address",
  "state-document": "State document",
  probe: "Probe",
};

export function subjectKindName(kind: string): string {
  return SUBJECT_KINDS[kind] ?? kind;
}

/** A change of a target's address list: exact entries to add and remove, never a whole list. */
export interface RangeChange {
  kind: "ranges";
  target: { kind: "receive-connector" | "allowlist"; name: string; dialect?: string };
  /** Minimal CIDRs to add. */
  add: string[];
  /** Entries to remove, exactly as the target lists them. */
  remove: string[];
  /** Entries that would have been removed but stay because they overlap a protected entry. */
  held: string[];
}

/** A change of one parameter of one Exchange object, as the cmdlet that makes it takes it. */
export interface PropertyChange {
  kind: "property";
  side: "on-premises" | "exchange-online";
  /** e.g. `Set-ReceiveConnector`. */
  cmdlet: string;
  identity: string;
  /** e.g. `TlsCertificateName`. */
  parameter: string;
  value: string | boolean | string[];
}

export type Change = RangeChange | PropertyChange;

/** Something that drifted, with what it breaks, the evidence an admin can check, and the proposed fix as data. */
export interface Finding {
  /** Rule and subject: the same problem on the same thing, across runs. */
  id: string;
  /** A hash of the substance (ranges, changes, names): it changes when the problem changes, never with times or runs. */
  digest: string;
  rule: string;
  severity: Severity;
  subject: Subject;
  /** One sentence: what drifted. */
  summary: string;
  /** What it breaks for mail flow. */
  impact: string;
  evidence: Record<string, unknown>;
  /** Minimal CIDR cover of the addresses concerned, IPv4 before IPv6, ascending. */
  ranges?: string[];
  changes?: Change[];
}

export interface FindingInit extends Omit<Finding, "id" | "digest"> {
  /** What else makes this problem this problem (a refused feed version, a certificate name); hashed into the digest. */
  substance?: unknown;
}

/**
 * A finding with its id and digest. The digest covers the rule, the subject,
 * the ranges, the changes and `substance` — not the summary, impact or
 * evidence, which may carry times and versions.
 *
 * @example finding({ rule: "missing-eop-range", subject: { kind: "allowlist", name: "fw" }, ranges: ["52.100.0.0/14"], … })
 */
export function finding(init: FindingInit): Finding {
  const { substance, ...rest } = init;
  const digest = createHash("sha256")
    .update(JSON.stringify([init.rule, init.subject.kind, init.subject.name, init.ranges ?? [], init.changes ?? [], substance ?? null]))
    .digest("hex")
    .slice(0, 32);
  return { id: findingId(init.rule, init.subject), digest, ...rest };
}

export function findingId(rule: string, subject: Subject): string {
  return `${rule}:${subject.kind}:${subject.name}`;
}
