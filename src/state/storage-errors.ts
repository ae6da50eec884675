/** Reading the Azure Storage SDKs' errors, shared by the table and blob sides of the store. */
import { ConcurrencyError, oneLine, redactUrls, StateStoreError } from "../errors.js";

export type StorageService = "Table Storage" | "Blob Storage";

export function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

export function errorCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; details?: { errorCode?: unknown } } | null;
  const code = e?.code ?? e?.details?.errorCode;
  return typeof code === "string" ? code : undefined;
}

/**
 * Our error for a failed call, with the cause kept. The message names the
 * status and the service's error code, never the request (its URL may carry
 * a SAS token).
 */
export function storageFailure(service: StorageService, message: string, error: unknown): StateStoreError {
  if (error instanceof StateStoreError) return error;
  return new StateStoreError(`${service}: ${message}: ${detail(error)}`, { cause: error });
}

function detail(error: unknown): string {
  const status = statusOf(error);
  const code = errorCode(error);
  if (status !== undefined) return [`HTTP ${status}`, code].filter(Boolean).join(" ");
  return scrub(oneLine(error)).slice(0, 300);
}

/** Transport errors quote hosts, not requests; still, drop anything that could carry a secret. */
function scrub(text: string): string {
  return redactUrls(text).replace(/\b(AccountKey|SharedAccessSignature|sig)=[^;&\s]+/gi, "$1=…");
}

export function isTableNotFound(error: unknown): boolean {
  return statusOf(error) === 404 && errorCode(error) === "TableNotFound";
}

export function isEntityNotFound(error: unknown): boolean {
  return statusOf(error) === 404 && !isTableNotFound(error);
}

/** 404, 409 and 412 on a table write: the first row (or a continuation row of its version) changed, vanished or appeared since it was read. */
export function isConflict(error: unknown): boolean {
  if (error instanceof ConcurrencyError) return true;
  const status = statusOf(error);
  return isEntityNotFound(error) || status === 409 || status === 412;
}

/**
 * Our error for a failed table call.
 *
 * @param conflict the message when the failure is a lost race, for writes
 */
export function tableFailure(message: string, error: unknown, conflict?: string): StateStoreError {
  if (error instanceof StateStoreError) return error;
  if (conflict !== undefined && isConflict(error)) return new ConcurrencyError(conflict, { cause: error });
  return storageFailure("Table Storage", message, error);
}
