import type { ExchangeOnlineSettings } from "../config.js";
import { oneLine } from "../errors.js";
import { readExchangeOnline } from "../hybrid/exchange-online-objects.js";
import type { HybridState } from "../hybrid/hybrid-state.js";
import type { ExchangeOnlineClient } from "./admin-api.js";

/** Reads a tenant's Exchange Online side live. */
export type ExchangeOnlineReader = Pick<ExchangeOnlineClient, "readState">;

/** The admin endpoint's client from the settings; the Azure identity SDK is loaded only when it is configured. */
export async function exchangeOnlineReader(settings: ExchangeOnlineSettings | undefined): Promise<ExchangeOnlineReader | undefined> {
  if (!settings) return undefined;
  const [{ createExchangeOnlineClient }, { exchangeOnlineCredential }] = await Promise.all([import("./admin-api.js"), import("./credential.js")]);
  const credential = exchangeOnlineCredential({
    clientId: settings.clientId,
    ...(settings.certificate ? { certificate: settings.certificate } : {}),
    ...(settings.managedIdentityClientId ? { managedIdentityClientId: settings.managedIdentityClientId } : {}),
  });
  return createExchangeOnlineClient({ baseUrl: settings.baseUrl, credential });
}

/**
 * The tenant's hybrid state with its Exchange Online side read live, when a
 * reader is configured and the tenant has an on-premises side to compare it
 * with. A read that fails or is incomplete never stands in for the tenant's
 * state: the uploaded document's Exchange Online side is used as it was, and
 * why is kept (`liveReadError`) and logged.
 */
export async function withLiveExchangeOnline(
  tenant: string,
  hybrid: HybridState | undefined,
  reader: ExchangeOnlineReader | undefined,
  log: (line: string) => void,
): Promise<HybridState | undefined> {
  if (!reader || !hybrid?.onPremises) return hybrid;
  try {
    const { warnings, ...lists } = await reader.readState(tenant);
    for (const w of warnings) log(`Exchange Online warned for ${tenant}: ${w}`);
    return { ...hybrid, exchangeOnline: readExchangeOnline(lists, "the Exchange Online admin endpoint") };
  } catch (error) {
    const why = oneLine(error);
    log(`could not read Exchange Online for ${tenant}; the uploaded state document's side is used: ${why}`);
    return { ...hybrid, ...(hybrid.exchangeOnline ? { exchangeOnline: { ...hybrid.exchangeOnline, liveReadError: why } } : {}) };
  }
}
