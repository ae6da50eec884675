import type net from "node:net";
import type { ProbeStep } from "./probe-result.js";
import { type Limit, ProbeStepError, withinLimit } from "./probe-steps.js";

// Replies longer than any real server's: a peer that is not SMTP, or one that floods.
const MAX_LINE = 4096;
const MAX_LINES = 200;
// ---- Replies ---------------------------------------------------------------

export interface Reply {
  code: number;
  /** Each line's text after the code and separator. */
  lines: string[];
}

export const describeReply = (reply: Reply) => `${reply.code} ${reply.lines.join(" ").trim()}`.trim();

/** Reads SMTP replies (`250-…` continued, `250 …` last) off a socket, as they complete. */
export class ReplyReader {
  private pending = "";
  private current: string[] = [];
  private readonly replies: Reply[] = [];
  /** Why no more replies will come. */
  private failure: { kind: "closed" | "garbled"; detail: string } | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly socket: net.Socket) {
    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("close", this.onEnd);
    socket.on("error", this.onError);
  }

  /** The next reply, or a ProbeStepError of `step` when the connection ends, the text is not SMTP or the limit passes. */
  next(limit: Limit, step: ProbeStep, what: string): Promise<Reply> {
    const reply = new Promise<Reply>((resolve, reject) => {
      this.wake = () => {
        const next = this.replies.shift();
        if (next) resolve(next);
        else if (this.failure?.kind === "closed")
          reject(new ProbeStepError(step, `the server closed the connection before its ${what}${this.failure.detail}`));
        else if (this.failure) reject(new ProbeStepError(step, `the ${what} is not SMTP: ${this.failure.detail}`));
        else return;
        this.wake = undefined;
      };
      this.wake();
    });
    return withinLimit(
      limit,
      step,
      (phrase) => `no ${what} ${phrase}`,
      reply,
      () => {
        this.wake = undefined;
      },
    );
  }

  detach(): void {
    this.socket.off("data", this.onData);
    this.socket.off("end", this.onEnd);
    this.socket.off("close", this.onEnd);
    this.socket.off("error", this.onError);
    this.wake = undefined;
  }

  private readonly onData = (chunk: Buffer) => {
    if (this.failure) return;
    // latin1 reads any byte: a banner is data to report, whatever its encoding.
    const lines = (this.pending + chunk.toString("latin1")).split("\n");
    this.pending = lines.pop()!;
    for (const text of lines) {
      const line = text.replace(/\r$/, "");
      const m = /^(\d{3})(?:([ -])(.*))?$/.exec(line);
      if (!m) {
        this.fail("garbled", JSON.stringify(line.slice(0, 80)));
        return;
      }
      this.current.push(m[3] ?? "");
      if (m[2] !== "-") {
        this.replies.push({ code: Number(m[1]), lines: this.current });
        this.current = [];
      } else if (this.current.length > MAX_LINES) {
        this.fail("garbled", `more than ${MAX_LINES} lines`);
        return;
      }
    }
    if (this.pending.length > MAX_LINE) this.fail("garbled", `a line of more than ${MAX_LINE} characters`);
    this.wake?.();
  };

  private readonly onEnd = () => this.fail("closed", "");

  private readonly onError = (error: NodeJS.ErrnoException) => this.fail("closed", ` (${error.code ?? error.message})`);

  private fail(kind: "closed" | "garbled", detail: string): void {
    this.failure ??= { kind, detail };
    this.wake?.();
  }
}
