/**
 * A DNS server on 127.0.0.1 for the tests: UDP, the wire format of RFC 1035,
 * answering A, AAAA, MX and TXT from a zone given as data, NXDOMAIN for names
 * it does not know and NODATA for types a name lacks; a name can also answer
 * SERVFAIL or REFUSED, or never answer. It records every question, so a test
 * can tell what the product asked.
 */
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { isIPv4, isIPv6 } from "node:net";

export interface ZoneName {
  A?: string[];
  AAAA?: string[];
  /** `[preference, exchange]`; an exchange of `"."` is a null MX (RFC 7505). */
  MX?: [number, string][];
  TXT?: string[];
  /** Answer this code instead of records. */
  rcode?: "SERVFAIL" | "REFUSED";
  /** Never answer (the resolver times out). */
  silent?: boolean;
}

export interface DnsServer {
  /** `127.0.0.1:port`, as MAILFLOW_GUARD_DNS_SERVERS takes it. */
  address: string;
  /** Every question asked, as `TYPE name`. */
  questions: string[];
  close(): Promise<void>;
}

const TYPES: Record<number, keyof Omit<ZoneName, "rcode" | "silent">> = { 1: "A", 28: "AAAA", 15: "MX", 16: "TXT" };
const TYPE_CODES = { A: 1, AAAA: 28, MX: 15, TXT: 16 } as const;
const RCODES = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

export async function startDnsServer(zone: Record<string, ZoneName>): Promise<DnsServer> {
  const names = new Map(Object.entries(zone).map(([name, records]) => [name.toLowerCase().replace(/\.$/, ""), records]));
  const questions: string[] = [];
  const socket: Socket = createSocket("udp4");
  socket.on("message", (message: Buffer, from: RemoteInfo) => {
    const question = readQuestion(message);
    if (!question) return;
    const typeName = TYPES[question.type] ?? `TYPE${question.type}`;
    questions.push(`${typeName} ${question.name}`);
    const entry = names.get(question.name);
    if (entry?.silent) return;
    let rcode: number = entry ? RCODES.NOERROR : RCODES.NXDOMAIN;
    if (entry?.rcode) rcode = RCODES[entry.rcode];
    const key = TYPES[question.type];
    const answers = rcode === RCODES.NOERROR && entry && key ? recordsOf(key, entry) : [];
    socket.send(reply(message, question.end, rcode, answers), from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    questions,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

function readQuestion(message: Buffer): { name: string; type: number; end: number } | undefined {
  if (message.length < 12 || message.readUInt16BE(4) < 1) return undefined;
  const labels: string[] = [];
  let at = 12;
  while (at < message.length) {
    const length = message[at]!;
    at += 1;
    if (length === 0) break;
    labels.push(message.toString("latin1", at, at + length));
    at += length;
  }
  if (at + 4 > message.length) return undefined;
  return { name: labels.join(".").toLowerCase(), type: message.readUInt16BE(at), end: at + 4 };
}

function recordsOf(key: keyof typeof TYPE_CODES, entry: ZoneName): { type: number; data: Buffer }[] {
  const type = TYPE_CODES[key];
  switch (key) {
    case "A":
      return (entry.A ?? []).map((ip) => ({ type, data: v4(ip) }));
    case "AAAA":
      return (entry.AAAA ?? []).map((ip) => ({ type, data: v6(ip) }));
    case "MX":
      return (entry.MX ?? []).map(([preference, exchange]) => {
        const pref = Buffer.alloc(2);
        pref.writeUInt16BE(preference);
        return { type, data: Buffer.concat([pref, encodeName(exchange)]) };
      });
    case "TXT":
      return (entry.TXT ?? []).map((text) => {
        const bytes = Buffer.from(text, "utf8");
        return { type, data: Buffer.concat([Buffer.from([bytes.length]), bytes]) };
      });
  }
}

/** The query's header and question, turned into a response carrying `answers` for the question's name. */
function reply(query: Buffer, questionEnd: number, rcode: number, answers: { type: number; data: Buffer }[]): Buffer {
  const header = Buffer.from(query.subarray(0, 12));
  const rd = query[2]! & 0x01;
  header[2] = 0x80 | 0x04 | rd; // QR, AA, the query's RD
  header[3] = 0x80 | rcode; // RA
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  header.writeUInt16BE(0, 8);
  header.writeUInt16BE(0, 10);
  const records = answers.map(({ type, data }) => {
    const fixed = Buffer.alloc(12);
    fixed.writeUInt16BE(0xc00c, 0); // the question's name
    fixed.writeUInt16BE(type, 2);
    fixed.writeUInt16BE(1, 4); // IN
    fixed.writeUInt32BE(300, 6);
    fixed.writeUInt16BE(data.length, 10);
    return Buffer.concat([fixed, data]);
  });
  return Buffer.concat([header, query.subarray(12, questionEnd), ...records]);
}

function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, "").split(".").filter(Boolean);
  return Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, "latin1")])), Buffer.from([0])]);
}

function v4(ip: string): Buffer {
  if (!isIPv4(ip)) throw new Error(`not an IPv4 address: ${ip}`);
  return Buffer.from(ip.split(".").map(Number));
}

function v6(ip: string): Buffer {
  if (!isIPv6(ip)) throw new Error(`not an IPv6 address: ${ip}`);
  const [head = "", tail = ""] = ip.split("::");
  const words = (part: string) => (part === "" ? [] : part.split(":").map((w) => Number.parseInt(w, 16)));
  const front = words(head);
  const back = ip.includes("::") ? words(tail) : [];
  const all = [...front, ...new Array(8 - front.length - back.length).fill(0), ...back];
  const out = Buffer.alloc(16);
  for (const [i, w] of all.entries()) out.writeUInt16BE(w, i * 2);
  return out;
}
