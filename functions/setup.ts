/**
 * Options for the Functions host. Every file in functions/ imports this one
 * first, so it runs once, before any function is registered, whichever file
 * the worker loads first (package.json "main" loads them all, this one too).
 *
 * HTTP streaming: the host passes a request body on as a stream instead of
 * buffering it whole before the handler runs, so the handlers' size-capped
 * reader is what bounds an upload (MAILFLOW_GUARD_MAX_INVENTORY_BYTES) and an
 * oversized body is refused without being held in memory. Needs Functions
 * host 4.28 or later.
 */
import { app } from "@azure/functions";

app.setup({ enableHttpStream: true });
