import type { Alert, Sink } from "../../src/alerts/alert.js";

/** A channel that keeps what it was given, and fails (as a 503 would) while `fail` says so. */
export function recordingSink(channel = "teams", fail: () => boolean = () => false): Sink & { alerts: Alert[] } {
  const alerts: Alert[] = [];
  return {
    channel,
    alerts,
    async deliver(alert) {
      if (fail()) throw new Error(`${channel} answered 503`);
      alerts.push(alert);
      return { attempts: 1 };
    },
  };
}
