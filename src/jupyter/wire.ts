// The Jupyter wire format (messaging spec 5.3): identities, the delimiter, an HMAC-SHA256 signature,
// four JSON frames, then binary buffers. One definition for the kernel (both of its threads) and for
// the client that `sluice run` drives kernels with.
import { createHmac, timingSafeEqual, randomUUID } from "node:crypto";

export const PROTOCOL_VERSION = "5.3";
const DELIMITER = "<IDS|MSG>";

export interface Header {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date: string;
  version: string;
  [key: string]: unknown;
}

export interface Message<C = Record<string, any>> {
  identities: Buffer[];
  header: Header;
  parent_header: Header | Record<string, never>;
  metadata: Record<string, any>;
  content: C;
  buffers: Buffer[];
}

/** A message as it crosses the thread boundary: plain data, buffers as Uint8Array. */
export type Channel = "shell" | "control" | "stdin" | "iopub";

export class BadSignatureError extends Error {
  constructor(channel: string) {
    super(`dropped a ${channel} message with a bad HMAC signature (is the client using this kernel's connection file key?)`);
    this.name = "BadSignatureError";
  }
}

export class Signer {
  private readonly key: Buffer;
  constructor(key: string, private readonly scheme = "hmac-sha256") {
    this.key = Buffer.from(key, "utf8");
    if (scheme !== "hmac-sha256" && key !== "") {
      throw new Error(`unsupported signature_scheme "${scheme}" in the connection file; use "hmac-sha256"`);
    }
  }

  sign(frames: Buffer[]): string {
    if (this.key.length === 0) return "";
    const hmac = createHmac("sha256", this.key);
    for (const f of frames) hmac.update(f);
    return hmac.digest("hex");
  }

  verify(signature: Buffer, frames: Buffer[]): boolean {
    if (this.key.length === 0) return true;
    const expected = Buffer.from(this.sign(frames), "utf8");
    return signature.length === expected.length && timingSafeEqual(signature, expected);
  }
}

export function decode(frames: Buffer[], signer: Signer, channel: string): Message {
  const at = frames.findIndex((f) => f.length === DELIMITER.length && f.toString("utf8") === DELIMITER);
  if (at < 0 || frames.length < at + 6) throw new Error(`malformed ${channel} message: no <IDS|MSG> delimiter or too few frames`);
  const signature = frames[at + 1];
  const body = frames.slice(at + 2, at + 6);
  if (!signer.verify(signature, body)) throw new BadSignatureError(channel);
  const [header, parent, metadata, content] = body.map((f) => JSON.parse(f.toString("utf8")));
  return {
    identities: frames.slice(0, at),
    header,
    parent_header: parent,
    metadata,
    content,
    buffers: frames.slice(at + 6),
  };
}

export function encode(msg: Omit<Message, "buffers"> & { buffers?: Uint8Array[] }, signer: Signer): Buffer[] {
  const body = [msg.header, msg.parent_header, msg.metadata, msg.content].map((part) => Buffer.from(JSON.stringify(part), "utf8"));
  const ids = msg.identities.map((id) => Buffer.from(id));
  return [...ids, Buffer.from(DELIMITER), Buffer.from(signer.sign(body)), ...body, ...(msg.buffers ?? []).map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength))];
}

export function makeHeader(msgType: string, session: string): Header {
  return {
    msg_id: randomUUID(),
    msg_type: msgType,
    session,
    username: "sluice",
    date: new Date().toISOString(),
    version: PROTOCOL_VERSION,
  };
}

/** Builds a reply or broadcast whose parent is `parent` (identities copied for routed replies). */
export function makeMessage(msgType: string, content: Record<string, unknown>, parent: Message | undefined, session: string, metadata: Record<string, unknown> = {}): Message {
  return {
    identities: parent ? parent.identities : [],
    header: makeHeader(msgType, session),
    parent_header: parent ? parent.header : {},
    metadata,
    content,
    buffers: [],
  };
}
