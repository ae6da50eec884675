import type { Finding } from "../finding.js";
import type { TargetKind, TargetMode } from "../inventory/inventory.js";

/** The result of one tenant's drift check: the JSON report, and what the other outputs are rendered from. */
export interface CheckReport {
  schemaVersion: 1;
  runId: string;
  tenant: string;
  instance: string;
  generatedAt: string;
  status: "in-sync" | "drift";
  feed: {
    /** `refused`: the newest feed was refused and the last good one was used. */
    status: "accepted" | "refused";
    version: string | null;
    fetchedAt: string;
    source: string;
    setIds: number[];
    eopRanges: string[];
    refused?: { version: string | null; at: string; reason: string } | undefined;
  };
  /** Plain sentences, the headline first. */
  summary: string[];
  findings: Finding[];
  targets: TargetReport[];
  /** File names of the outputs written beside this report. */
  artifacts: string[];
}

export interface TargetReport {
  kind: TargetKind;
  name: string;
  mode: TargetMode;
  entries: number;
  inSync: boolean;
  /** How many CIDRs the fix adds and entries it removes; the lists are in the findings' evidence. */
  addCount: number;
  removeCount: number;
  heldByProtected: string[];
}
