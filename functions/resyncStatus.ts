import "./setup.js";
import { app } from "@azure/functions";
import { resyncStatus } from "../src/handlers/resync.js";
import { appDeps } from "../src/handlers/runtime.js";

app.http("resyncStatus", {
  methods: ["GET"],
  authLevel: "function",
  route: "resync/{runId:guid}",
  handler: resyncStatus(appDeps),
});
