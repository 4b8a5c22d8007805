// IOPub publishing from the main thread. Stream writes are coalesced per (parent, stream) for one
// event-loop turn; any other message flushes them first so the order frontends see is the order
// the code produced.
import { makeMessage, type Message } from "../wire/message.js";

type Send = (msg: Message) => void;

export class Publisher {
  private pending: { parent: Message; name: "stdout" | "stderr"; text: string } | undefined;
  private flushScheduled = false;

  constructor(private readonly send: Send, readonly session: string) {}

  publish(msgType: string, content: Record<string, unknown>, parent: Message | undefined, buffers: Uint8Array[] = []): void {
    this.flush();
    const msg = makeMessage(msgType, content, parent, this.session);
    msg.identities = [Buffer.from(msgType)];
    msg.buffers = buffers.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    this.send(msg);
  }

  stream(name: "stdout" | "stderr", text: string, parent: Message): void {
    if (this.pending && (this.pending.parent !== parent || this.pending.name !== name)) this.flush();
    if (this.pending) this.pending.text += text;
    else this.pending = { parent, name, text };
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
