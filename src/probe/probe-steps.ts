import { MailflowGuardError } from "../errors.js";
import type { ProbeStep } from "./probe-result.js";

/** The probe's steps against the clock: each step time-limited, and the error a step ends with. */

/** A step that went wrong; the probe turns it into the result's `error`. */
export class ProbeStepError extends MailflowGuardError {
  override name = "ProbeStepError";
  constructor(
    readonly step: ProbeStep,
    message: string,
    readonly timedOut = false,
  ) {
    super(message);
  }
}

// ---- Time ------------------------------------------------------------------

/** One overall deadline and a per-step limit: each step gets the smaller of the two. */
export class Clock {
  private readonly deadline: number;
  constructor(
    started: number,
    private readonly stepMs: number,
    private readonly overallMs: number,
  ) {
    this.deadline = started + overallMs;
  }

  /** The time the next step may take, and how to say it ran out. */
  limit(): Limit {
    const remaining = Math.max(0, this.deadline - Date.now());
    if (remaining < this.stepMs) return { ms: remaining, phrase: `before the probe's overall limit of ${seconds(this.overallMs)} s` };
    return { ms: this.stepMs, phrase: `within ${seconds(this.stepMs)} s` };
  }
}

export interface Limit {
  ms: number;
  /** `within 10 s`, or `before the probe's overall limit of 30 s`. */
  phrase: string;
}

export const seconds = (ms: number) => String(Math.round(ms) / 1000);

/** `work`, or a timed-out ProbeStepError once the limit passes; `onTimeout` releases what the work holds. */
export function withinLimit<T>(
  limit: Limit,
  step: ProbeStep,
  message: (phrase: string) => string,
  work: Promise<T>,
  onTimeout: () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout();
      reject(new ProbeStepError(step, message(limit.phrase), true));
    }, limit.ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
