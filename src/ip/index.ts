export { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "./address.js";
export { formatRange, parseRange, rangeToCidrs, type IpFamily, type IpRange } from "./range.js";
export { RangeSet, type Relation } from "./range-set.js";
