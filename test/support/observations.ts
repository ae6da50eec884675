import type { FeedStaleness, Observations } from "../../src/core/observations.js";
import type { FeedRefusal } from "../../src/feed/snapshot.js";
import { type InventoryInput, inventorySchema } from "../../src/inventory/inventory.js";
import { RangeSet } from "../../src/ip/index.js";

export const RUN_ID = "5f1c2f7e-8f0a-4a51-9d9e-0c6a3b1d2e4f";

/** One tenant's observations as the sources would gather them: the inventory against a feed in force. */
export function observations(
  inventory: Partial<InventoryInput>,
  feed: { eopRanges?: string[]; version?: string | null; refused?: FeedRefusal; staleness?: FeedStaleness } = {},
): Observations {
  const eopRanges = feed.eopRanges ?? ["40.92.0.0/15", "52.100.0.0/14"];
  const full = inventorySchema.parse({
    tenant: "contoso.onmicrosoft.com",
    instance: "Worldwide",
    receiveConnectors: [],
    allowlists: [],
    ...inventory,
  });
  return {
    tenant: full.tenant,
    instance: full.instance,
    at: new Date("2026-11-22T06:00:00Z"),
    runId: RUN_ID,
    inventory: full,
    eop: {
      inForce: {
        instance: full.instance,
        version: feed.version === undefined ? "2025060100" : feed.version,
        fetchedAt: "2026-11-22T05:00:00.000Z",
        source: "https://endpoints.office.com",
        setIds: [10],
        eopRanges,
      },
      set: RangeSet.parse(eopRanges),
      refused: feed.refused,
      staleness: feed.staleness,
    },
  };
}

export const REFUSED: FeedRefusal = {
  version: "2025070100",
  at: "2026-11-22T05:30:00.000Z",
  source: "https://endpoints.office.com",
  reason: "it would remove 60 % of the IPv4 EOP addresses",
};
