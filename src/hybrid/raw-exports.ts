import { InputError } from "../errors.js";
import { isObject, listItems } from "../serialised/values.js";
import { PART_CMDLETS } from "./deployment.js";
import type { StatePart } from "./hybrid-state.js";
import { isStateDocument } from "./state-document.js";

/**
 * Which cmdlet wrote an object, by the properties only its objects have; the
 * same for CLIXML and for ConvertTo-Json at any depth, and for a
 * `Select-Object` that kept the property that tells. In order: the first
 * that matches.
 */
const SIGNATURES: readonly (readonly [StatePart, (o: Record<string, unknown>) => boolean])[] = [
  ["onPremises.receiveConnectors", (o) => "RemoteIPRanges" in o],
  ["onPremises.exchangeCertificates", (o) => "Thumbprint" in o || "RawData" in o],
  ["onPremises.hybridConfiguration", (o) => "OnPremisesSmartHost" in o || "ReceivingTransportServers" in o || "EdgeTransportServers" in o],
  ["exchangeOnline.inboundConnectors", (o) => "SenderIPAddresses" in o || "TlsSenderCertificateName" in o],
  ["exchangeOnline.outboundConnectors", (o) => "RecipientDomains" in o || "UseMXRecord" in o || "TlsSettings" in o],
  ["onPremises.sendConnectors", (o) => "AddressSpaces" in o || "SourceTransportServers" in o],
  ["onPremises.acceptedDomains", (o) => "DomainType" in o],
  ["onPremises.remoteDomains", (o) => "TargetDeliveryDomain" in o || "TrustedMailInboundEnabled" in o || "AllowedOOFType" in o],
];

export const RAW_EXPECTED = `expected the objects of ${[...new Set(SIGNATURES.map(([part]) => PART_CMDLETS[part].replace(/ \(.*\)$/, "")))].join(", ")}`;

/**
 * Whether a document is raw cmdlet output that only a state document can
 * hold: objects of the cmdlets above, not all of them receive connectors
 * (raw Get-ReceiveConnector output alone is an inventory of its own).
 */
export function needsAssembly(data: unknown): boolean {
  if (!Array.isArray(data) && (!isObject(data) || isStateDocument(data) || "tenant" in data)) return false;
  const parts = listItems(data).map((item) => (isObject(item) ? SIGNATURES.find(([, matches]) => matches(item))?.[0] : undefined));
  return parts.length > 0 && parts.every((p) => p !== undefined) && parts.some((p) => p !== "onPremises.receiveConnectors");
}

/** Refuses raw output of other cmdlets given where one document is taken (an upload): only check --inventory makes them one. */
export function refuseRawWithoutReceiveConnectors(data: unknown, source: string): void {
  if (!needsAssembly(data)) return;
  throw new InputError(
    "is raw cmdlet output other than Get-ReceiveConnector's: send a state document (the collector writes one), or give " +
      "each cmdlet's export to check --inventory, which makes them one",
    { source },
  );
}

/**
 * Refuses an inventory or a state document among raw exports: each is a
 * whole document of its own.
 *
 * @throws InputError naming the file.
 */
export function refuseDocuments(exports: readonly Pick<RawExport, "source" | "data">[]): void {
  for (const { source, data } of exports) {
    if (isStateDocument(data) || (isObject(data) && ("tenant" in data || "receiveConnectors" in data || "allowlists" in data))) {
      throw new InputError("is an inventory or a state document: give it alone, or give only raw cmdlet output (Export-Clixml or ConvertTo-Json)", {
        source,
      });
    }
  }
}

/** A file of a cmdlet's raw output: where it came from, its value, and when it was written (its modification time). */
export interface RawExport {
  source: string;
  data: unknown;
  modifiedAt: Date;
}

/**
 * A state document made of raw cmdlet output, one export per file (each may
 * mix cmdlets): every object goes to the part its cmdlet fills, and a part
 * no file gives stays absent, so what was not exported is not checked
 * rather than read as empty. It was collected when its oldest file was
 * written. Accepted and remote domains are taken as on-premises ones (the
 * Exchange Online side comes from the collector or the live read).
 *
 * @throws InputError naming the file and the entry that no cmdlet of these wrote.
 */
export function assembleStateDocument(exports: readonly RawExport[], context: { tenant: string; instance?: string | undefined }) {
  refuseDocuments(exports);
  // An empty export (a cmdlet that found nothing) adds nothing; which cmdlet wrote it cannot be told.
  if (exports.every((e) => listItems(e.data).length === 0)) {
    throw new InputError("hold no objects (every export is empty)", { source: exports.map((e) => e.source).join(", ") });
  }
  const parts = new Map<StatePart, unknown[]>();
  for (const { source, data } of exports) {
    listItems(data).forEach((item, i) => {
      const part = isObject(item) ? SIGNATURES.find(([, matches]) => matches(item))?.[0] : undefined;
      if (part === undefined) throw new InputError(`is not an object this check reads: ${RAW_EXPECTED}`, { source, path: `[${i}]` });
      const items = parts.get(part);
      if (items) items.push(item);
      else parts.set(part, [item]);
    });
  }
  const side = (name: "onPremises" | "exchangeOnline") => {
    const entries = [...parts].filter(([part]) => part.startsWith(`${name}.`)).map(([part, items]) => [part.slice(name.length + 1), items]);
    return entries.length === 0 ? undefined : Object.fromEntries(entries);
  };
  const onPremises = side("onPremises");
  const hybridConfiguration = parts.get("onPremises.hybridConfiguration");
  if (onPremises && hybridConfiguration) {
    if (hybridConfiguration.length > 1)
      throw new InputError("give one hybrid configuration: the exports hold several", { source: exports[0]?.source });
    onPremises.hybridConfiguration = hybridConfiguration[0];
  }
  const oldest = Math.min(...exports.map((e) => e.modifiedAt.getTime()));
  return {
    tenant: context.tenant,
    ...(context.instance !== undefined ? { instance: context.instance } : {}),
    collectedAt: new Date(oldest).toISOString(),
    ...(onPremises ? { onPremises } : {}),
    ...(side("exchangeOnline") ? { exchangeOnline: side("exchangeOnline") } : {}),
  };
}
