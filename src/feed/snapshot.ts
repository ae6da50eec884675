import { z } from "zod";
import { feedVersionSchema } from "../ids.js";
import { INSTANCES } from "./instances.js";

/** `YYYYMMDDNN`; null for a saved /endpoints response that carries no version. */
const version = feedVersionSchema.nullable();

/** The EOP SMTP set of one feed version, as the product keeps it once accepted. */
export const feedSnapshotSchema = z.object({
  instance: z.enum(INSTANCES),
  version,
  /** When it was fetched or read (ISO 8601). */
  fetchedAt: z.string(),
  /** The service base URL or the file it came from. */
  source: z.string(),
  /** Ids of the Exchange endpoint sets that carry TCP 25 in this version. */
  setIds: z.array(z.number()),
  /** Minimal CIDR cover of the EOP SMTP addresses, IPv4 before IPv6. */
  eopRanges: z.array(z.string()),
});

/** A feed that was refused: the last good snapshot stays in force. */
export const feedRefusalSchema = z.object({ version, at: z.string(), source: z.string(), reason: z.string() });

export type FeedSnapshot = z.infer<typeof feedSnapshotSchema>;
export type FeedRefusal = z.infer<typeof feedRefusalSchema>;

export function describeVersion(version: string | null): string {
  return version === null ? "an unversioned saved feed" : `version ${version}`;
}
