export { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "./address.js";
export { formatRange, rangeToCidrs } from "./cidr.js";
export type { Relation } from "./intervals.js";
export { ParsedEntries } from "./parsed-entries.js";
export { type IpFamily, type IpRange, type ParsedRange, parsedRange, parseRange, parseRangeInto } from "./range.js";
export { RangeSet } from "./range-set.js";
