import "./setup.js";
import { app } from "@azure/functions";
import { DRIFT_CHECK_POISON_QUEUE } from "../src/handlers/bindings.js";
import { driftCheckPoison } from "../src/handlers/drift-check-poison.js";
import { appDeps } from "../src/handlers/runtime.js";

app.storageQueue("driftCheckPoison", {
  queueName: DRIFT_CHECK_POISON_QUEUE,
  connection: "AzureWebJobsStorage",
  handler: driftCheckPoison(appDeps),
});
