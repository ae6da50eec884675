import type { Finding } from "./finding.js";
import type { ObservationPart, Observations } from "./observations.js";

/**
 * A pure function from one tenant's observations to findings: no I/O, no
 * clock, no rendering. Rules are declared in one list (src/rules/index.ts);
 * its order is the order of findings in every report.
 */
export interface Rule {
  /** Kebab-case, stable: it names the finding in reports, alerts and state. */
  id: string;
  /** The observation parts it reads; a rule whose parts are absent is skipped. */
  needs: readonly ObservationPart[];
  evaluate(observations: Observations): Finding[];
}
