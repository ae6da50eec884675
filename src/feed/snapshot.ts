import type { Instance } from "./instances.js";

/** The EOP SMTP set of one feed version, as the product keeps it once accepted. */
export interface FeedSnapshot {
  instance: Instance;
  /** `YYYYMMDDNN`; null for a saved /endpoints response that carries no version. */
  version: string | null;
  /** When it was fetched or read (ISO 8601). */
  fetchedAt: string;
  /** The service base URL or the file it came from. */
  source: string;
  /** Ids of the Exchange endpoint sets that carry TCP 25 in this version. */
  setIds: number[];
  /** Minimal CIDR cover of the EOP SMTP addresses, IPv4 before IPv6. */
  eopRanges: string[];
}

/** A feed that was refused: the last good snapshot stays in force. */
export interface FeedRefusal {
  version: string | null;
  at: string;
  source: string;
  reason: string;
}

export function describeVersion(version: string | null): string {
  return version === null ? "an unversioned saved feed" : `version ${version}`;
}
