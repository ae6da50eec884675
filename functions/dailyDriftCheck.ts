import "./setup.js";
import { app } from "@azure/functions";
import { driftCheckQueueOutput } from "../src/handlers/bindings.js";
import { dailyDriftCheck } from "../src/handlers/daily-drift-check.js";
import { appDeps } from "../src/handlers/runtime.js";

app.timer("dailyDriftCheck", {
  schedule: "%DRIFT_CHECK_SCHEDULE%",
  runOnStartup: false,
  extraOutputs: [driftCheckQueueOutput],
  handler: dailyDriftCheck(appDeps, driftCheckQueueOutput),
});
