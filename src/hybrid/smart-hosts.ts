import type { Subject } from "../core/finding.js";
import { normalise } from "../dns/smart-host-routes.js";
import type { HybridState } from "./hybrid-state.js";

/** A way Exchange Online sends to on-premises: a connector (or the hybrid configuration) and the smart hosts it names. */
export interface RouteToOnPremises {
  subject: Subject;
  /** Lower-case, without brackets or a trailing dot. */
  smartHosts: string[];
  /** The connector's TLS demands, when Exchange Online's side is known. */
  tlsSettings?: string | undefined;
  tlsDomain?: string | undefined;
}

/**
 * Exchange Online's enabled outbound connectors to on-premises that use smart
 * hosts; without Exchange Online's side, the hybrid configuration's
 * `OnPremisesSmartHost`, which the Hybrid Configuration Wizard writes into
 * that connector.
 */
export function routesToOnPremises(state: HybridState | undefined): RouteToOnPremises[] {
  const online = state?.exchangeOnline?.outboundConnectors;
  if (online) {
    return online
      .filter((c) => c.enabled && c.connectorType === "OnPremises" && !c.useMXRecord && c.smartHosts.length > 0)
      .map((c) => ({
        subject: { kind: "outbound-connector", name: c.name },
        smartHosts: [...new Set(c.smartHosts.map(normalise))],
        tlsSettings: c.tlsSettings,
        tlsDomain: c.tlsDomain,
      }));
  }
  const host = state?.onPremises?.hybridConfiguration?.onPremisesSmartHost;
  return host ? [{ subject: { kind: "hybrid-configuration", name: "Hybrid Configuration" }, smartHosts: [normalise(host)] }] : [];
}
