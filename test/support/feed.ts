import { readFileSync } from "node:fs";

/** A recorded response from test/fixtures/m365, parsed. */
export function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`../fixtures/m365/${name}`, import.meta.url), "utf8"));
}

type EndpointSet = { id: number; serviceArea: string; tcpPorts?: string; ips?: string[] } & Record<string, unknown>;

/**
 * The recorded 2025 Worldwide feed with set 10's IPv6 ranges put back (the
 * recording was made with NoIPv6=true); `edit` changes the copy further.
 */
export function worldwide(edit: (sets: EndpointSet[]) => void = () => {}): EndpointSet[] {
  const sets = structuredClone(fixture("endpoints-worldwide-2025.json")) as EndpointSet[];
  const smtp = sets.find((s) => s.id === 10)!;
  smtp.ips = [...smtp.ips!, "2a01:111:f400::/48", "2a01:111:f403::/48"];
  edit(sets);
  return sets;
}

/** Worldwide with set 10's IP list replaced. */
export function worldwideWithEop(ips: string[]): EndpointSet[] {
  return worldwide((sets) => {
    sets.find((s) => s.id === 10)!.ips = ips;
  });
}

export const EOP_WORLDWIDE = ["40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17", "2a01:111:f400::/48", "2a01:111:f403::/48"];
