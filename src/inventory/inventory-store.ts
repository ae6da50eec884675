import { DamagedDocumentError, InputError } from "../errors.js";
import type { StateStore } from "../state/store.js";
import { validate } from "../validation.js";
import { type Inventory, inventorySchema } from "./inventory.js";

/** Replaces the tenant's inventory in one write. */
export async function saveInventory(store: StateStore, inventory: Inventory): Promise<void> {
  await store.put("inventory", inventory.tenant, inventory);
}

/** The stored inventory, validated on the way in: the store is a boundary like any file. */
export async function loadInventory(store: StateStore, tenant: string): Promise<Inventory | undefined> {
  const doc = await store.get("inventory", tenant);
  if (!doc) return undefined;
  try {
    return validate(inventorySchema, doc.value, `stored inventory of ${tenant}`);
  } catch (error) {
    if (error instanceof InputError) throw new DamagedDocumentError(error.message, { cause: error });
    throw error;
  }
}

export function listTenants(store: StateStore): Promise<string[]> {
  return store.list("inventory");
}

/** Whether the tenant has an inventory: a list of its own keys, never the inventory itself (which may be a large blob). */
export async function isRegistered(store: StateStore, tenant: string): Promise<boolean> {
  return (await store.list("inventory", { prefix: tenant })).includes(tenant);
}
