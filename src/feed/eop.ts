import { type EndpointSet, includesPort, parsePortList } from "./schema.js";

/**
 * The EOP SMTP entries of a feed: the `ips` of every Exchange endpoint set
 * whose TCP ports include 25. Selected by area and port, never by id, because
 * old versions and the sovereign clouds number the set differently (Worldwide
 * 10, DoD and GCC High 6, China 2) and some list no URLs. The entries stay
 * text in feed order without duplicates; parsing and merging happen elsewhere.
 *
 * @example selectEopSmtp(worldwide) // { ips: ["40.92.0.0/15", …, "2a01:111:f403::/48"], setIds: [10] }
 */
export function selectEopSmtp(endpointSets: readonly EndpointSet[]): { ips: string[]; setIds: number[] } {
  const ips = new Set<string>();
  const setIds = new Set<number>();
  for (const set of endpointSets) {
    if (set.serviceArea.toLowerCase() !== "exchange") continue;
    if (!includesPort(parsePortList(set.tcpPorts ?? ""), 25)) continue;
    setIds.add(set.id);
    for (const ip of set.ips ?? []) ips.add(ip);
  }
  return { ips: [...ips], setIds: [...setIds] };
}
