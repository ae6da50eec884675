import type { BlocklistLookup } from "../dns/blocklist.js";
import type { SmartHostRoutes } from "../dns/smart-host-routes.js";
import type { Instance } from "../feed/instances.js";
import type { FeedRefusal, FeedSnapshot } from "../feed/snapshot.js";
import type { CertificateMemory } from "../hybrid/certificate-memory.js";
import type { HybridState } from "../hybrid/hybrid-state.js";
import type { Inventory } from "../inventory/inventory.js";
import type { RangeSet } from "../ip/index.js";
import type { ProbeResult } from "../probe/probe-result.js";

/** The EOP SMTP set a check runs against: the last good feed, and the refusal of a newer one if there is one. */
export interface EopObservation {
  inForce: FeedSnapshot;
  /** `inForce.eopRanges`, parsed once. */
  set: RangeSet;
  /** Set while the newest feed is refused: the last good one is in force and nothing is proposed for removal. */
  refused?: FeedRefusal | undefined;
  /** When /version was last asked, if the feed came from the service. */
  checkedAt?: string | undefined;
  /** Set when bringing the feed up to date for this check failed or was throttled: the last good feed is used as it is. */
  staleness?: FeedStaleness | undefined;
}

/** Why the feed in force was not brought up to date for a check, and how old what it knows is. */
export interface FeedStaleness {
  /** The sync failed (the service or the network), or the service asked to wait (429). */
  outcome: "failed" | "throttled";
  /** One line: the error, or until when the service asked to wait. */
  error: string;
  /**
   * When the service last said the feed in force was current: when it was
   * fetched, or a later /version answer that named its version.
   */
  confirmedAt: string;
  /** From `confirmedAt` to the check's time (`Observations.at`). */
  ageMs: number;
}

/**
 * What one check of one tenant saw, gathered by the sources before any rule
 * runs. Later capabilities add parts (Exchange Online state, probes, DNS);
 * a rule says which parts it needs.
 */
export interface Observations {
  tenant: string;
  instance: Instance;
  /** When the check ran; rules may compare dates with it, never with the clock. */
  at: Date;
  runId: string;
  inventory: Inventory;
  eop: EopObservation;
  /** Both sides of the hybrid, when the tenant's state document (or a live read) gave them. */
  hybrid?: HybridState | undefined;
  /** Which certificate each connector meant at the last checks (from the finding state). */
  certificateHistory?: CertificateMemory | undefined;
  /** Days before expiry at which a certificate is reported, largest first (default 60, 30, 14, 7). */
  certificateDays?: readonly number[] | undefined;
  /** Hours after which the state document and its uploaded probes are old evidence (default 48). */
  staleEvidenceHours?: number | undefined;
  /** The smart hosts and egress addresses in DNS, when the check could ask it. */
  dns?: DnsObservation | undefined;
  /** The STARTTLS probes: uploaded with the state document, and the check's own where port 25 can leave. */
  probes?: ProbeObservation | undefined;
}

/** What DNS said, asked at the check. */
export interface DnsObservation {
  /** `system`, or the resolvers asked (MAILFLOW_GUARD_DNS_SERVERS). */
  servers: string;
  smartHosts: SmartHostRoutes[];
  /** The public egress addresses looked up in the blocklists. */
  egressAddresses: string[];
  blocklists: BlocklistLookup[];
}

export interface ProbeObservation {
  /** Each host and port once: the check's own probe when it reached the host, else the uploaded one. */
  results: (ProbeResult & { source: "check" | "document" })[];
  /** Whether this check probed port 25 itself (the function with MAILFLOW_GUARD_PROBE_SMART_HOSTS). */
  probedHere: boolean;
  /** Hosts the check's own probe could not reach: port 25 blocked where it runs, or the host down; never a certificate problem. */
  unavailable: { host: string; port: number; error: string }[];
}

/** Days before expiry at which a named certificate is reported, each crossing a new finding digest. */
export const DEFAULT_CERTIFICATE_DAYS: readonly number[] = [60, 30, 14, 7];

/** How old a state document (or an uploaded probe) may be before the check says it judges old evidence. */
export const DEFAULT_STALE_EVIDENCE_HOURS = 48;

export type ObservationPart = Exclude<keyof Observations, "tenant" | "instance" | "at" | "runId" | "certificateDays" | "staleEvidenceHours">;
