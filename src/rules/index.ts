import type { Rule } from "../core/rule.js";
import { feedStale } from "./feed-stale.js";
import { feedSuspicious } from "./feed-suspicious.js";
import { missingEopRange } from "./missing-eop-range.js";
import { noEopTarget } from "./no-eop-target.js";
import { staleEopRange } from "./stale-eop-range.js";

/**
 * Every rule a check runs, in the order reports list their findings: feed
 * problems first, then what stops mail, then what lets too much in, then what
 * the inventory leaves unchecked. Adding a rule is one file and one line here.
 */
export const RULES: readonly Rule[] = [feedSuspicious, feedStale, missingEopRange, staleEopRange, noEopTarget];
