import { output } from "@azure/functions";

/** One message per tenant of a run; the worker function consumes them. */
export const DRIFT_CHECK_QUEUE = "mailflow-guard-checks";
/** Where the host moves a message whose last try (host.json `maxDequeueCount`) failed; the poison function consumes them. */
export const DRIFT_CHECK_POISON_QUEUE = `${DRIFT_CHECK_QUEUE}-poison`;

export const driftCheckQueueOutput = output.storageQueue({ queueName: DRIFT_CHECK_QUEUE, connection: "AzureWebJobsStorage" });
