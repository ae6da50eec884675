import "./setup.js";
import { app } from "@azure/functions";
import { DRIFT_CHECK_QUEUE } from "../src/handlers/bindings.js";
import { driftCheckWorker } from "../src/handlers/drift-check-worker.js";
import { appDeps } from "../src/handlers/runtime.js";

app.storageQueue("driftCheckWorker", {
  queueName: DRIFT_CHECK_QUEUE,
  connection: "AzureWebJobsStorage",
  handler: driftCheckWorker(appDeps),
});
