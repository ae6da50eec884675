import "./setup.js";
import { app } from "@azure/functions";
import { alertsApi } from "../src/handlers/alerts.js";
import { appDeps } from "../src/handlers/runtime.js";

app.http("alerts", {
  methods: ["GET", "PUT", "POST", "DELETE"],
  authLevel: "function",
  route: "alerts/{tenant}/{action?}/{finding?}",
  handler: alertsApi(appDeps),
});
