// The client side of the Jupyter wire protocol: a session id plus the shared framing and HMAC-SHA256
// signing of src/jupyter/wire.ts. Every message we receive is verified; one with a bad signature is dropped.
import { randomUUID } from "node:crypto";
import { Signer, decode, encode, makeHeader, type Header } from "../../jupyter/wire.js";

export type MessageHeader = Header;

export interface Message<C = Record<string, unknown>> {
  header: MessageHeader;
  parent_header: Partial<MessageHeader>;
  metadata: Record<string, unknown>;
  content: C;
  buffers: Buffer[];
  channel?: string;
}

export class WireSession {
  readonly id = randomUUID();
  private readonly signer: Signer;
  constructor(key: string) {
    this.signer = new Signer(key);
  }

  message(msgType: string, content: Record<string, unknown>, parent: Partial<MessageHeader> = {}): Message {
    return { header: makeHeader(msgType, this.id), parent_header: parent, metadata: {}, content, buffers: [] };
  }

  serialize(msg: Message): Buffer[] {
    return encode({ ...msg, identities: [], parent_header: msg.parent_header as Header }, this.signer);
  }

  /** Parse frames (identities first, if any); undefined when malformed or the signature does not verify. */
  deserialize(frames: Buffer[]): Message | undefined {
    try {
      const { header, parent_header, metadata, content, buffers } = decode(frames, this.signer, "client");
      return { header, parent_header, metadata, content, buffers };
    } catch {
      return undefined;
    }
  }
}
