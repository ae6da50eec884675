import "./setup.js";
import { app } from "@azure/functions";
import { driftCheckQueueOutput } from "../src/handlers/bindings.js";
import { startResync } from "../src/handlers/resync.js";
import { appDeps } from "../src/handlers/runtime.js";

app.http("resync", {
  methods: ["POST"],
  authLevel: "function",
  route: "resync",
  extraOutputs: [driftCheckQueueOutput],
  handler: startResync(appDeps, driftCheckQueueOutput),
});
