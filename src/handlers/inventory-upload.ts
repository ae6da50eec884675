import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { keepFeedOf } from "../feed/feed-state.js";
import { entryCount } from "../inventory/inventory.js";
import { isRegistered, saveInventory } from "../inventory/inventory-store.js";
import { parseInventory } from "../inventory/parse.js";
import type { HandlerDeps } from "./deps.js";
import { answer, json, loadDeps, readDocumentRequest } from "./http.js";

/**
 * POST /api/inventory: registers or replaces a tenant's inventory. The body
 * is the documented inventory JSON, a state document, or raw
 * `Get-ReceiveConnector` output with `?tenant=` (and optional `?instance=`,
 * `?mode=exact|superset`, and `&connector=PATTERN`, repeatable, naming the
 * receive connectors to check, as in the document's `checkConnectors`), sent as
 * `application/json`, or as `application/xml` when it is `Export-Clixml`
 * output (415 otherwise). Everything is validated before the one write, so a
 * bad body changes nothing.
 */
export function uploadInventory(deps: () => Promise<HandlerDeps>) {
  return (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> =>
    answer(context, async () => {
      const d = await loadDeps(deps);
      const data = await readDocumentRequest(request, d.settings.maxInventoryBytes);
      const mode = request.query.get("mode") ?? undefined;
      const inventory = parseInventory(data, {
        source: "request body",
        tenant: request.query.get("tenant") ?? undefined,
        instance: request.query.get("instance") ?? undefined,
        mode,
        connectors: request.query.getAll("connector"),
        optionName: (name) => `?${name}=`,
      });
      const existed = await isRegistered(d.store, inventory.tenant);
      await saveInventory(d.store, inventory);
      // From now on the hourly check and every run keep this instance's feed.
      await keepFeedOf(d.store, inventory.instance);
      context.log(`inventory of ${inventory.tenant} ${existed ? "replaced" : "registered"}: ${entryCount(inventory)} entries`);
      return json(existed ? 200 : 201, {
        tenant: inventory.tenant,
        instance: inventory.instance,
        receiveConnectors: inventory.receiveConnectors.length,
        allowlists: inventory.allowlists.length,
        entries: entryCount(inventory),
      });
    });
}
