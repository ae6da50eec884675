import type { Output, TenantCheck } from "../core/check.js";
import { eopAllowlist } from "./allowlist.js";
import { htmlReport } from "./html.js";
import { jsonReport } from "./json.js";
import { markdownReport } from "./markdown.js";
import { remediationScript } from "./remediation-script.js";

/** Every artifact a check writes, in the order the report and the CLI list them. */
export const OUTPUTS: readonly Output[] = [remediationScript, eopAllowlist, markdownReport, htmlReport, jsonReport];

/** File name → content, ready to write or store. */
export type Artifacts = Record<string, string>;

export function renderOutputs(check: TenantCheck, outputs: readonly Output[] = OUTPUTS): Artifacts {
  return Object.fromEntries(outputs.map((o) => [o.file, o.render(check)]));
}
