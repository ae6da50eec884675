import { InputError } from "../../src/errors.js";

/** The error a promise rejects with; a test fails if it resolves or rejects with something that is not an Error. */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error("expected a rejection");
}

/** The InputError a call throws, to look at its location as well as its message; anything else fails the test. */
export function inputError(f: () => unknown): InputError {
  try {
    f();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error("expected an InputError");
}
