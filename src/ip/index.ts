export { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "./address.js";
export { formatRange, parsedRange, parseRange, parseRangeInto, rangeToCidrs, type IpFamily, type IpRange, type ParsedRange } from "./range.js";
export { RangeSet, type Relation } from "./range-set.js";
