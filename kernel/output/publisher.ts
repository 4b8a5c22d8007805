// IOPub publishing from the main thread. Stream writes are coalesced per (parent, stream) for one
// event-loop turn; any other message flushes them first so the order frontends see is the order
// the code produced. A cell that prints inside a long synchronous loop never yields to the event
// loop, so big or old buffers are flushed right away (the wire thread sends them meanwhile).
import { makeMessage, type Message } from "../../src/jupyter/wire.js";

type Send = (msg: Message) => void;

const MAX_BUFFERED_CHARS = 16_384;
const MAX_BUFFERED_MS = 100;

export class Publisher {
  private pending: { parent: Message; name: "stdout" | "stderr"; text: string; since: number } | undefined;
  private flushScheduled = false;

  constructor(private readonly send: Send, readonly session: string) {}

  publish(msgType: string, content: Record<string, unknown>, parent: Message | undefined, buffers: Uint8Array[] = [], metadata: Record<string, unknown> = {}): void {
    this.flush();
    const msg = makeMessage(msgType, content, parent, this.session, metadata);
    msg.identities = [Buffer.from(msgType)];
    msg.buffers = buffers.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    this.send(msg);
  }

  stream(name: "stdout" | "stderr", text: string, parent: Message): void {
    if (this.pending && (this.pending.parent !== parent || this.pending.name !== name)) this.flush();
    if (this.pending) this.pending.text += text;
    else this.pending = { parent, name, text, since: Date.now() };
    if (this.pending.text.length >= MAX_BUFFERED_CHARS || Date.now() - this.pending.since >= MAX_BUFFERED_MS) return this.flush();
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.flushScheduled = false;
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    const msg = makeMessage("stream", { name: pending.name, text: pending.text }, pending.parent, this.session);
    msg.identities = [Buffer.from("stream")];
    this.send(msg);
  }
}
