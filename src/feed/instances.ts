import { InputError } from "../errors.js";

/** The clouds the Microsoft 365 endpoints service publishes, by their canonical names. */
export const INSTANCES = ["Worldwide", "USGovDoD", "USGovGCCHigh", "China"] as const;
export type Instance = (typeof INSTANCES)[number];

/**
 * Reads an instance name in any case. Germany is refused by name because the
 * service still lists it in old answers and documentation, but it is retired.
 *
 * @example parseInstance("worldwide") // "Worldwide"
 */
export function parseInstance(text: string): Instance {
  const wanted = text.trim().toLowerCase();
  const found = INSTANCES.find((name) => name.toLowerCase() === wanted);
  if (found) return found;
  if (wanted === "germany") {
    throw new InputError(`"Germany" is retired (Microsoft Cloud Deutschland closed); expected one of ${INSTANCES.join(", ")}`);
  }
  throw new InputError(`${JSON.stringify(text)} is not an instance; expected one of ${INSTANCES.join(", ")}`);
}
