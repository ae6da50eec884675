import { output } from "@azure/functions";

/** One message per tenant of a run; the worker function consumes them. */
export const DRIFT_CHECK_QUEUE = "mailflow-guard-checks";

export const driftCheckQueueOutput = output.storageQueue({ queueName: DRIFT_CHECK_QUEUE, connection: "AzureWebJobsStorage" });
