import type { Transition, TransitionKind } from "../alerts/alert.js";
import type { Finding, Subject } from "./finding.js";
import type { FeedStaleness, Observations } from "./observations.js";

/** One inventory target as the report lists it: what it is and whether any finding concerns it. */
export interface TargetReport {
  kind: string;
  name: string;
  mode: string;
  entries: number;
  /** Whether the EOP rules looked at it, and why (or why not): open to everything, a relay, not named… */
  checked: boolean;
  reason: string;
  /** No finding concerns it. */
  inSync: boolean;
  /** Of the proposed changes: CIDRs added, entries removed, stale entries kept because protected. */
  addCount: number;
  removeCount: number;
  heldByProtected: string[];
}

/** The feed a check ran against, as the report shows it. */
export interface FeedEvidence {
  /** `refused`: the newest feed was refused and the last good one was used. */
  status: "accepted" | "refused";
  version: string | null;
  fetchedAt: string;
  source: string;
  setIds: number[];
  eopRanges: string[];
  refused?: { version: string | null; at: string; reason: string } | undefined;
  /** Set when the feed could not be brought up to date for this check, and the last good one was used as it is. */
  staleness?: FeedStaleness | undefined;
}

/** The result of one tenant's check: report.json, and what every other output is rendered from. */
export interface CheckReport {
  schemaVersion: 2;
  runId: string;
  tenant: string;
  instance: string;
  generatedAt: string;
  status: "in-sync" | "drift";
  /** Plain sentences, the headline first. */
  summary: string[];
  /** In the order of the rule list, then by subject. */
  findings: Finding[];
  /** What the check looked at, by observation part: the feed in force, the inventory's targets. */
  evidence: {
    eop: { feed: FeedEvidence };
    inventory: { targets: TargetReport[] };
    hybrid?: HybridEvidence | undefined;
    outside?: OutsideEvidence | undefined;
  };
  /** The outputs written beside this report. */
  artifacts: { file: string; description: string }[];
  /**
   * What became of each finding since the tenant's last successful check,
   * resolved ones included; absent when the check kept no finding state.
   */
  transitions?: TransitionReport[] | undefined;
}

export interface TransitionReport {
  id: string;
  kind: TransitionKind;
  rule: string;
  subject: Subject;
  summary: string;
  /** When it was first seen open. */
  since: string;
  /** Whether this check raised an alert for it. */
  alert: boolean;
  snoozedUntil?: string | undefined;
}

/** A finished check of one tenant: what it saw, what the rules found, and the report. */
export interface TenantCheck {
  observations: Observations;
  findings: Finding[];
  report: CheckReport;
  /** Against the finding state, when the check kept one. */
  transitions?: Transition[] | undefined;
}

/** Renders one artifact of a finished check; it never decides anything the findings do not say. */
/** Where a state document's sides came from. */
export interface HybridEvidence {
  collectedAt: string;
  onPremises: boolean;
  /** `admin-api` when read live at the check; `document` with `liveReadError` when that read failed and the document stood in. */
  exchangeOnline?: { source: "document" | "admin-api"; liveReadError?: string | undefined } | undefined;
  /** Whether the organisation has a hybrid deployment, as the document shows it (null: it cannot tell), and what says so. */
  deployment: { hybrid: boolean | null; why: string };
  /** The rules that did not run because what they judge was not collected (or cannot be told), each reason once. */
  notChecked: NotChecked[];
}

/** Rules that could not judge this check, and why (one line). */
export interface NotChecked {
  reason: string;
  rules: string[];
}

/** What the check saw from the outside: the smart hosts in DNS, the blocklists, the probes and where each came from. */
export interface OutsideEvidence {
  dns?: {
    servers: string;
    smartHosts: {
      name: string;
      via: string;
      status: string;
      error?: string;
      hosts: { name: string; preference?: number | undefined; addresses: string[] }[];
    }[];
    blocklists: { address: string; zone: string; status: string; error?: string | undefined }[];
  };
  probes: {
    /** Whether this check probed port 25 itself. */
    probedHere: boolean;
    results: {
      host: string;
      port: number;
      source: "check" | "document";
      tlsVersion: string | null;
      certificate: string | null;
      error: string | null;
    }[];
    /** Hosts this check's probe could not reach: "probe unavailable", never a certificate problem. */
    unavailable: { host: string; port: number; error: string }[];
  };
}

export interface Output {
  file: string;
  /** One line for the report's file list and the CLI. */
  description: string;
  /** Whether the check writes this file at all; always when absent (a script for a side the check never saw is noise). */
  writes?(observations: Observations): boolean;
  render(check: TenantCheck): string;
}
