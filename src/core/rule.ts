import type { StatePart } from "../hybrid/hybrid-state.js";
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
  /**
   * The parts of the state document it judges. When one was not collected,
   * or not whole, the rule does not run and the report says it was not
   * checked and why: a part that is absent is never read as empty.
   */
  parts?: readonly StatePart[];
  /** Parts it needs whole, every server's share read: it judges what is absent, which a missing server may hold. */
  wholeParts?: readonly StatePart[];
  /** Why it cannot judge these observations (it needs a hybrid deployment the document does not show…), or undefined. */
  cannotJudge?(observations: Observations): string | undefined;
  /**
   * Why it judges only some of its subjects (a server's certificates were not
   * collected…), or undefined: it runs on the rest, and the report lists the
   * reason; its open findings stay open rather than read as resolved.
   */
  partlyJudged?(observations: Observations): string | undefined;
  evaluate(observations: Observations): Finding[];
}
