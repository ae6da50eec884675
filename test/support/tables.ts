import { randomBytes } from "node:crypto";

/**
 * A table name no other test file uses, so files can run in parallel against
 * one Azurite. Azure table names are 3–63 letters and digits, starting with a letter.
 */
export function uniqueTableName(prefix = "test"): string {
  if (!/^[A-Za-z][A-Za-z0-9]{0,39}$/.test(prefix)) {
    throw new Error(`table name prefix ${JSON.stringify(prefix)} must be 1–40 letters and digits, starting with a letter`);
  }
  return `${prefix}${Date.now().toString(36)}${randomBytes(6).toString("hex")}`;
}
