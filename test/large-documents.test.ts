/** What the ingest accepts, the store keeps: inventories and reports past Table Storage's 4 MiB, on Azurite with Blob Storage. */
import { describe, expect, it } from "vitest";
import { loadArtifacts, saveArtifacts } from "../src/check/report-store.js";
import { settingsFromEnv } from "../src/config.js";
import { uploadInventory } from "../src/handlers/inventory-upload.js";
import { loadInventory } from "../src/inventory/inventory-store.js";
import { azuriteDeps, invocation, request } from "./support/handlers.js";
import { azuriteStore } from "./support/tables.js";

describe("large documents", () => {
  it("registers a 4.2 MB inventory, within the default upload limit, and the check reads it back whole", { timeout: 60_000 }, async () => {
    const store = azuriteStore("large");
    // Not contacted: an upload only writes the inventory and the feed it needs.
    const deps = { ...(await azuriteDeps("http://127.0.0.1:9", { now: new Date() })), store, settings: settingsFromEnv({}) };
    const entries = Array.from({ length: 300_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    const body = JSON.stringify({
      tenant: "contoso.onmicrosoft.com",
      instance: "Worldwide",
      allowlists: [{ name: "edge-fw smtp-in", mode: "superset", entries }],
    });
    expect(body.length).toBeGreaterThan(4.2e6);
    expect(body.length).toBeLessThan(deps.settings.maxInventoryBytes);

    const { context } = invocation("inventory");
    const response = await uploadInventory(async () => deps)(
      request("POST", "https://mfg.example.net/api/inventory", { body, headers: { "Content-Type": "application/json" } }),
      context,
    );
    expect(response.status).toBe(201);
    const stored = await loadInventory(store, "contoso.onmicrosoft.com");
    expect(stored?.allowlists[0]?.entries).toEqual(entries);
  });

  it("keeps a 9 MB report of one check", async () => {
    const store = azuriteStore("large");
    const artifacts = { "report.html": `<p>${"é".repeat(2_000_000)}</p>`, "report.json": JSON.stringify({ n: "x".repeat(5_000_000) }) };
    await saveArtifacts(store, "contoso.onmicrosoft.com", "2f1c6a3e-0000-4000-8000-000000000001", artifacts);
    expect(await loadArtifacts(store, "contoso.onmicrosoft.com", "2f1c6a3e-0000-4000-8000-000000000001")).toEqual(artifacts);
  });
});
