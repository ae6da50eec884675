import { InputError, StateStoreError } from "../errors.js";
import type { StateStore } from "../state/store.js";
import type { Inventory } from "./inventory.js";
import { z } from "zod";
import { INSTANCES } from "../feed/instances.js";
import { validate } from "../validation.js";

/** Replaces the tenant's inventory in one write. */
export async function saveInventory(store: StateStore, inventory: Inventory): Promise<void> {
  await store.put("inventory", inventory.tenant, inventory);
}

const target = { mode: z.enum(["exact", "superset"]), protected: z.array(z.string()) };

/**
 * The normalised shape saveInventory writes. Entries were parsed one by one
 * when the inventory came in; on the way back only the shape is checked, and
 * a damaged entry still fails the check that parses it, naming the entry.
 */
const storedInventory = z.object({
  tenant: z.string().min(1),
  instance: z.enum(INSTANCES),
  receiveConnectors: z.array(z.object({ identity: z.string().min(1), remoteIPRanges: z.array(z.string()), ...target })),
  allowlists: z.array(z.object({ name: z.string().min(1), entries: z.array(z.string()), ...target })),
});

/** The stored inventory, validated on the way in: the store is a boundary like any file. */
export async function loadInventory(store: StateStore, tenant: string): Promise<Inventory | undefined> {
  const doc = await store.get("inventory", tenant);
  if (!doc) return undefined;
  try {
    return validate(storedInventory, doc.value, `stored inventory of ${tenant}`);
  } catch (error) {
    if (error instanceof InputError) throw new StateStoreError(error.message, { cause: error });
    throw error;
  }
}

export function listTenants(store: StateStore): Promise<string[]> {
  return store.list("inventory");
}
