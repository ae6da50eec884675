import "./setup.js";
import { app } from "@azure/functions";
import { health } from "../src/handlers/health.js";
import { appDeps } from "../src/handlers/runtime.js";

app.http("health", {
  methods: ["GET"],
  authLevel: "function",
  route: "health",
  handler: health(appDeps),
});
