import type { Instance } from "../feed/instances.js";

/**
 * What a target must allow, compared with the EOP SMTP set:
 * - `exact`: a dedicated EOP connector or allowlist; missing and stale ranges both matter.
 * - `superset`: must contain EOP; other entries are the admin's business.
 */
export type TargetMode = "exact" | "superset";

export interface ReceiveConnectorInventory {
  /** As Exchange names it, e.g. `EX01\Inbound from Office 365`. */
  identity: string;
  mode: TargetMode;
  /** RemoteIPRanges exactly as Exchange shows them; removals name these. */
  remoteIPRanges: string[];
  /** Entries that are never proposed for removal (e.g. 127.0.0.1). */
  protected: string[];
}

export interface AllowlistInventory {
  /** The firewall rule or address group, e.g. `edge-fw smtp-in`. */
  name: string;
  mode: TargetMode;
  entries: string[];
  protected: string[];
}

/** One tenant's on-prem inventory in the project's documented JSON shape, validated. */
export interface Inventory {
  tenant: string;
  instance: Instance;
  receiveConnectors: ReceiveConnectorInventory[];
  allowlists: AllowlistInventory[];
}

export type TargetKind = "receive-connector" | "allowlist";

/** A receive connector or an allowlist, seen alike by the drift rules. */
export interface InventoryTarget {
  kind: TargetKind;
  name: string;
  mode: TargetMode;
  entries: string[];
  protected: string[];
  /** Where the entries sit in the inventory document, for error messages. */
  path: string;
}

export function targetsOf(inventory: Inventory): InventoryTarget[] {
  return [
    ...inventory.receiveConnectors.map((c, i) => ({
      kind: "receive-connector" as const,
      name: c.identity,
      mode: c.mode,
      entries: c.remoteIPRanges,
      protected: c.protected,
      path: `receiveConnectors[${i}].remoteIPRanges`,
    })),
    ...inventory.allowlists.map((a, i) => ({
      kind: "allowlist" as const,
      name: a.name,
      mode: a.mode,
      entries: a.entries,
      protected: a.protected,
      path: `allowlists[${i}].entries`,
    })),
  ];
}

export function entryCount(inventory: Inventory): number {
  return targetsOf(inventory).reduce((n, t) => n + t.entries.length, 0);
}
