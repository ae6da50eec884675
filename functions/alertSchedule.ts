import "./setup.js";
import { app } from "@azure/functions";
import { alertSchedule } from "../src/handlers/alert-schedule.js";
import { appDeps } from "../src/handlers/runtime.js";

app.timer("alertSchedule", {
  schedule: "%ALERT_SCHEDULE%",
  runOnStartup: false,
  handler: alertSchedule(appDeps),
});
