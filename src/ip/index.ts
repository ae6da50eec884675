export { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "./address.js";
export { ParsedEntries } from "./parsed-entries.js";
export { formatRange, type IpFamily, type IpRange, type ParsedRange, parsedRange, parseRange, parseRangeInto, rangeToCidrs } from "./range.js";
export { RangeSet, type Relation } from "./range-set.js";
