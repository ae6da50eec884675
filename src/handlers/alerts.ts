import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { alertConfigSchema, describeAlertConfig, loadAlertConfig, saveAlertConfig } from "../alerts/config.js";
import { loadFindingState } from "../alerts/finding-state.js";
import { openFindings, snoozeFinding, unsnoozeFinding } from "../alerts/snooze.js";
import { isRegistered } from "../inventory/inventory-store.js";
import { validate } from "../validation.js";
import type { HandlerDeps } from "./deps.js";
import { answer, HttpProblem, json, loadDeps, readJsonRequest } from "./http.js";

const BODY_LIMIT = 64 * 1024;

/**
 * `/api/alerts/{tenant}`: GET the open findings, snoozes and channels (never
 * the webhook URL); PUT `{"teams":{"webhookUrl"},"mail":{"to":[…]}}` to say
 * where alerts go; POST `…/snooze` `{"finding","reason","by","until"}`;
 * DELETE `…/snooze/{finding}` (the id URL-encoded). Bodies are sent as
 * `application/json` (415 otherwise).
 */
export function alertsApi(deps: () => Promise<HandlerDeps>) {
  return (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> =>
    answer(context, async () => {
      const d = await loadDeps(deps);
      const tenant = (request.params.tenant ?? "").toLowerCase();
      if (!(await isRegistered(d.store, tenant))) throw new HttpProblem(404, `tenant ${JSON.stringify(tenant)} has no inventory`);
      const action = request.params.action ?? "";
      const finding = request.params.finding;
      if (request.method === "GET" && action === "") {
        return json(200, {
          tenant,
          channels: describeAlertConfig(await loadAlertConfig(d.store, tenant)),
          open: await openFindings(d.store, tenant),
        });
      }
      if (request.method === "PUT" && action === "") {
        const config = validate(alertConfigSchema, await readJsonRequest(request, BODY_LIMIT), "request body");
        await saveAlertConfig(d.store, tenant, config);
        context.log(`alert configuration of ${tenant} replaced`);
        return json(200, { tenant, channels: describeAlertConfig(config) });
      }
      if (request.method === "POST" && action === "snooze" && finding === undefined) {
        const snooze = await snoozeFinding(d.store, tenant, await readJsonRequest(request, BODY_LIMIT), d.now(), "request body");
        return json(200, { tenant, snooze });
      }
      if (request.method === "DELETE" && action === "snooze" && finding !== undefined) {
        // unsnoozeFinding looks the id up in a plain record; only an own entry is a snooze (`constructor` is not one).
        const { state } = await loadFindingState(d.store, tenant);
        const unsnoozed = state !== undefined && Object.hasOwn(state.snoozes, finding) && (await unsnoozeFinding(d.store, tenant, finding));
        return unsnoozed ? json(200, { tenant, unsnoozed: finding }) : json(404, { error: `${JSON.stringify(finding)} is not snoozed` });
      }
      throw new HttpProblem(
        405,
        `${request.method} /alerts/${tenant}/${action}: expected GET or PUT /alerts/{tenant}, POST /alerts/{tenant}/snooze or DELETE ` +
          `/alerts/{tenant}/snooze/{finding}`,
      );
    });
}
