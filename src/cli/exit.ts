/** Exit codes, as `terraform plan -detailed-exitcode`: 0 in sync, 2 drift, 1 error. */
export const EXIT = { ok: 0, error: 1, drift: 2 } as const;
