import "./setup.js";
import { app } from "@azure/functions";
import { uploadInventory } from "../src/handlers/inventory-upload.js";
import { appDeps } from "../src/handlers/runtime.js";

app.http("inventory", {
  methods: ["POST"],
  authLevel: "function",
  route: "inventory",
  handler: uploadInventory(appDeps),
});
