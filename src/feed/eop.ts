import type { Instance } from "./instances.js";
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

/** The clouds as their URLs tell them apart: the US government clouds share `.us` names. */
export type Cloud = "Worldwide" | "US Government" | "China";

export function cloudOfInstance(instance: Instance): Cloud {
  return instance === "China" ? "China" : instance.startsWith("USGov") ? "US Government" : "Worldwide";
}

/**
 * Which cloud a feed's endpoint sets belong to, read from their URLs:
 * `*.partner.outlook.cn` and the like are China, `*.office365.us` the US
 * government clouds, anything else Worldwide. Undefined when no set lists a
 * URL (some old and sovereign versions list none), so nothing can be said.
 *
 * @example cloudOfFeed(worldwide) // { cloud: "Worldwide", example: "*.mail.protection.outlook.com" }
 */
export function cloudOfFeed(endpointSets: readonly EndpointSet[]): { cloud: Cloud; example: string } | undefined {
  const urls = endpointSets.flatMap((set) => set.urls ?? []);
  const china = urls.find((u) => /\.cn$/i.test(u));
  if (china) return { cloud: "China", example: china };
  const us = urls.find((u) => /\.us$/i.test(u));
  if (us) return { cloud: "US Government", example: us };
  return urls[0] === undefined ? undefined : { cloud: "Worldwide", example: urls[0] };
}
