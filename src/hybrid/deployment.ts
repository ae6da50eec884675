import type { HybridState, StatePart } from "./hybrid-state.js";
import { isCloudEnabled } from "./presented.js";

/** The cmdlet whose output each part of a state document is. */
export const PART_CMDLETS: Readonly<Record<StatePart, string>> = {
  "onPremises.receiveConnectors": "Get-ReceiveConnector",
  "onPremises.sendConnectors": "Get-SendConnector",
  "onPremises.exchangeCertificates": "Get-ExchangeCertificate",
  "onPremises.acceptedDomains": "Get-AcceptedDomain",
  "onPremises.remoteDomains": "Get-RemoteDomain",
  "onPremises.hybridConfiguration": "Get-HybridConfiguration",
  "exchangeOnline.inboundConnectors": "Get-InboundConnector",
  "exchangeOnline.outboundConnectors": "Get-OutboundConnector",
  "exchangeOnline.acceptedDomains": "Get-AcceptedDomain (Exchange Online)",
  "exchangeOnline.remoteDomains": "Get-RemoteDomain (Exchange Online)",
};

function partValue(state: HybridState, part: StatePart): unknown {
  const [side, name] = part.split(".") as ["onPremises" | "exchangeOnline", string];
  const holder = state[side] as Record<string, unknown> | undefined;
  return holder?.[name];
}

/**
 * Why a part of the state cannot be judged, or undefined when it can: it was
 * not collected (absent, which is not "none": an empty list or a null
 * hybrid configuration was read and found empty), or the collector says it
 * could not read it. A server's share that could not be read counts only
 * where the rule needs the part `whole` (it judges what is absent, and the
 * missing server might hold exactly that); otherwise the rest is judged.
 */
export function partUnavailable(state: HybridState, part: StatePart, whole = false): string | undefined {
  const side = part.split(".")[0];
  const gaps = (state.notCollected ?? []).filter((n) => (n.part === part || n.part === side) && (whole || n.server === undefined));
  if (gaps.length > 0) {
    const said = gaps.map((n) => (n.server ? `${n.server}: ${n.reason}` : n.reason));
    return `${part} (${PART_CMDLETS[part]}) was not read whole: ${said.join("; ")}`;
  }
  if (partValue(state, part) === undefined) return `the state document has no ${part} (${PART_CMDLETS[part]})`;
  return undefined;
}

/**
 * Whether the organisation has a hybrid deployment, by what the state shows:
 * a hybrid configuration (the wizard's), a send connector or an Exchange
 * Online connector enabled for cloud services mail or made by the wizard.
 * `false` when the hybrid configuration was read and there is none and
 * nothing else says hybrid (an EOP-fronted organisation); `undefined` when
 * the document cannot tell. HealthChecker, likewise, runs its hybrid checks
 * only where it finds a hybrid configuration
 * (Diagnostics/HealthChecker/Analyzer/Invoke-AnalyzerHybridInformation.ps1).
 */
export function hybridDeployment(state: HybridState): { hybrid: boolean | undefined; why: string } {
  const on = state.onPremises;
  const online = state.exchangeOnline;
  if (on?.hybridConfiguration) return { hybrid: true, why: "the organisation has a hybrid configuration" };
  const sending = on?.sendConnectors?.find((c) => c.cloudServicesMailEnabled);
  if (sending) return { hybrid: true, why: `send connector ${sending.identity} is enabled for cloud services mail` };
  const cloud = [...(online?.inboundConnectors ?? []), ...(online?.outboundConnectors ?? [])].find(
    (c) => c.cloudServicesMailEnabled || ("connectorSource" in c && c.connectorSource?.includes("HybridWizard")),
  );
  if (cloud) return { hybrid: true, why: `Exchange Online's connector ${cloud.name} is the hybrid wizard's` };
  const trusted = on?.receiveConnectors?.find(isCloudEnabled);
  if (trusted) return { hybrid: true, why: `receive connector ${trusted.identity} is set to take cloud services mail` };
  if (on?.hybridConfiguration === null) return { hybrid: false, why: "the organisation has no hybrid configuration" };
  return {
    hybrid: undefined,
    why: "the state document does not show whether the organisation is hybrid (it has no onPremises.hybridConfiguration, Get-HybridConfiguration)",
  };
}

/** Why a rule for hybrid deployments cannot run on this state, or undefined when it can (the organisation is hybrid). */
export function notHybrid(state: HybridState | undefined): string | undefined {
  if (!state) return "there is no state document";
  const { hybrid, why } = hybridDeployment(state);
  return hybrid === true ? undefined : why;
}
