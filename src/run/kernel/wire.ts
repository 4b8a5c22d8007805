// The Jupyter wire protocol (messaging spec 5.3): framing and HMAC-SHA256 signing. Every message we
// receive is verified; one with a bad signature is dropped.
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";

export interface MessageHeader {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date: string;
  version: string;
}

export interface Message<C = Record<string, unknown>> {
  header: MessageHeader;
  parent_header: Partial<MessageHeader>;
  metadata: Record<string, unknown>;
  content: C;
  buffers: Buffer[];
  channel?: string;
}

const DELIM = "<IDS|MSG>";

export class WireSession {
  readonly id = randomUUID();
  constructor(private readonly key: string) {}

  private sign(parts: Buffer[]): string {
    if (!this.key) return "";
    const h = createHmac("sha256", this.key);
    for (const p of parts) h.update(p);
    return h.digest("hex");
  }

  message(msgType: string, content: Record<string, unknown>, parent: Partial<MessageHeader> = {}): Message {
    return {
      header: { msg_id: randomUUID(), msg_type: msgType, session: this.id, username: "sluice", date: new Date().toISOString(), version: "5.3" },
      parent_header: parent,
      metadata: {},
      content,
      buffers: [],
    };
  }

  serialize(msg: Message): Buffer[] {
    const parts = [msg.header, msg.parent_header, msg.metadata, msg.content].map((p) => Buffer.from(JSON.stringify(p)));
    return [Buffer.from(DELIM), Buffer.from(this.sign(parts)), ...parts, ...msg.buffers];
  }

  /** Parse frames (identities first, if any); undefined when the signature does not verify. */
  deserialize(frames: Buffer[]): Message | undefined {
    const at = frames.findIndex((f) => f.length === DELIM.length && f.toString() === DELIM);
    if (at < 0 || frames.length < at + 6) return undefined;
    const signature = frames[at + 1];
    const parts = frames.slice(at + 2, at + 6);
    if (this.key) {
      const expected = Buffer.from(this.sign(parts));
      if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) return undefined;
    }
    const [header, parent, metadata, content] = parts.map((p) => JSON.parse(p.toString("utf8")));
    return { header, parent_header: parent, metadata, content, buffers: frames.slice(at + 6) };
  }
}
