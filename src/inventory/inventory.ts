import { z } from "zod";
import { INSTANCES } from "../feed/instances.js";
import { hybridStateSchema } from "../hybrid/hybrid-state.js";

/**
 * What a target must allow, compared with the EOP SMTP set:
 * - `exact`: a dedicated EOP connector or allowlist; missing and stale ranges both matter.
 * - `superset`: must contain EOP; other entries are the admin's business.
 */
export const TARGET_MODES = ["exact", "superset"] as const;
export const targetModeSchema = z.enum(TARGET_MODES, { message: `expected ${TARGET_MODES.map((m) => JSON.stringify(m)).join(" or ")}` });
export type TargetMode = z.infer<typeof targetModeSchema>;

const targetFields = {
  mode: targetModeSchema,
  /** Entries that are never proposed for removal (e.g. 127.0.0.1). */
  protected: z.array(z.string()),
  /** Loopback and private-range addresses that may be proposed for removal; all others of them never are. */
  removable: z.array(z.string()).default([]),
};

/**
 * One tenant's inventory, normalised: what parseInventory returns and
 * saveInventory writes. Entries are parsed one by one when an inventory comes
 * in; on the way back from the store only this shape is checked, and a
 * damaged entry still fails the check that parses it, naming the entry.
 */
export const inventorySchema = z.object({
  tenant: z.string().min(1),
  instance: z.enum(INSTANCES),
  /**
   * The receive connectors the admin named for the EOP check, as patterns
   * with `*` (`*\\Inbound from Office 365`); empty: every connector that
   * allows EOP addresses and is not open to everything.
   */
  checkConnectors: z.array(z.string()).default([]),
  receiveConnectors: z.array(
    z.object({
      /** As Exchange names it, e.g. `EX01\Inbound from Office 365`. */
      identity: z.string().min(1),
      /** RemoteIPRanges exactly as Exchange shows them; removals name these. */
      remoteIPRanges: z.array(z.string()),
      ...targetFields,
      /**
       * Exchange takes Exchange Online's mail on it as the organisation's own
       * (TlsDomainCapabilities mail.protection.outlook.com:AcceptCloudServicesMail,
       * or AcceptOorgProtocol): read from raw connector objects.
       */
      trustedForCloudMail: z.boolean().default(false),
      /** Where its mode came from: the document's own field, `--mode`/`?mode=`, or the default for raw output. */
      modeFrom: z.enum(["document", "option", "default"]).default("document"),
    }),
  ),
  allowlists: z.array(
    z.object({
      /** The firewall rule or address group, e.g. `edge-fw smtp-in`. */
      name: z.string().min(1),
      entries: z.array(z.string()),
      ...targetFields,
    }),
  ),
  /** Both sides of the hybrid, when the inventory came from a state document. */
  hybrid: hybridStateSchema.optional(),
});

export type Inventory = z.infer<typeof inventorySchema>;
/** An inventory as code may write it, with the defaults left out. */
export type InventoryInput = z.input<typeof inventorySchema>;
export type ReceiveConnectorInventory = Inventory["receiveConnectors"][number];
export type AllowlistInventory = Inventory["allowlists"][number];

export type TargetKind = "receive-connector" | "allowlist";

/** A receive connector or an allowlist, seen alike by the drift rules. */
export interface InventoryTarget {
  kind: TargetKind;
  name: string;
  mode: TargetMode;
  entries: string[];
  protected: string[];
  removable: string[];
  /** Where the entries sit in the inventory document, for error messages. */
  path: string;
  /** A receive connector that takes Exchange Online's mail as the organisation's own. */
  trustedForCloudMail: boolean;
  modeFrom: "document" | "option" | "default";
}

export function targetsOf(inventory: Inventory): InventoryTarget[] {
  return [
    ...inventory.receiveConnectors.map((c, i) => ({
      kind: "receive-connector" as const,
      name: c.identity,
      mode: c.mode,
      entries: c.remoteIPRanges,
      protected: c.protected,
      removable: c.removable,
      path: `receiveConnectors[${i}].remoteIPRanges`,
      trustedForCloudMail: c.trustedForCloudMail,
      modeFrom: c.modeFrom,
    })),
    ...inventory.allowlists.map((a, i) => ({
      kind: "allowlist" as const,
      name: a.name,
      mode: a.mode,
      entries: a.entries,
      protected: a.protected,
      removable: a.removable,
      path: `allowlists[${i}].entries`,
      trustedForCloudMail: false,
      modeFrom: "document" as const,
    })),
  ];
}

export function entryCount(inventory: Inventory): number {
  return targetsOf(inventory).reduce((n, t) => n + t.entries.length, 0);
}
