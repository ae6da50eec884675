import type { Output, TenantCheck } from "../core/check.js";
import type { Observations } from "../core/observations.js";
import { eopAllowlist } from "./allowlist.js";
import { htmlReport } from "./html.js";
import { jsonReport } from "./json.js";
import { markdownReport } from "./markdown.js";
import { exchangeOnlineScript, remediationScript } from "./remediation-script.js";

/** Every artifact a check writes, in the order the report and the CLI list them. */
export const OUTPUTS: readonly Output[] = [remediationScript, exchangeOnlineScript, eopAllowlist, markdownReport, htmlReport, jsonReport];

/** File name → content, ready to write or store. */
export type Artifacts = Record<string, string>;

export function renderOutputs(check: TenantCheck, outputs: readonly Output[] = OUTPUTS): Artifacts {
  return Object.fromEntries(writtenOutputs(check.observations, outputs).map((o) => [o.file, o.render(check)]));
}

/** The outputs a check with these observations writes. */
export function writtenOutputs(observations: Observations, outputs: readonly Output[] = OUTPUTS): Output[] {
  return outputs.filter((o) => o.writes?.(observations) ?? true);
}
