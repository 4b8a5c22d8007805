// Comms in both directions: frontends open comms to targets registered in the kernel, and kernel
// code (the library, through src/host) opens comms to frontends.
import { randomUUID } from "node:crypto";
import type { Comm, OpenCommOptions } from "../src/host/index.js";
import type { Message } from "../src/jupyter/wire.js";
import { log } from "./output/capture.js";

export type PublishComm = (msgType: "comm_open" | "comm_msg" | "comm_close", content: Record<string, unknown>, buffers?: ArrayBufferView[], metadata?: Record<string, unknown>) => void;

class KernelComm implements Comm {
  private messageHandlers: Array<(data: unknown, buffers: Buffer[]) => void> = [];
  private closeHandlers: Array<(data: unknown) => void> = [];
  closed = false;

  constructor(readonly commId: string, readonly targetName: string, private readonly manager: CommManager) {}

  send(data: unknown, buffers: ArrayBufferView[] = []): void {
    if (this.closed) throw new Error(`comm ${this.commId} (${this.targetName}) is closed; open a new one to send`);
    this.manager.publish("comm_msg", { comm_id: this.commId, data: data ?? {} }, buffers);
  }

  close(data: unknown = {}): void {
    if (this.closed) return;
    this.manager.publish("comm_close", { comm_id: this.commId, data });
    this.manager.forget(this.commId);
    this.closed = true;
  }

  onMessage(handler: (data: unknown, buffers: Buffer[]) => void): void {
    this.messageHandlers.push(handler);
  }

  onClose(handler: (data: unknown) => void): void {
    this.closeHandlers.push(handler);
  }

  deliver(data: unknown, buffers: Buffer[]): void {
    for (const handler of this.messageHandlers) guard(() => handler(data, buffers), `comm ${this.targetName} message handler`);
  }

  closedByFrontend(data: unknown): void {
    this.closed = true;
    for (const handler of this.closeHandlers) guard(() => handler(data), `comm ${this.targetName} close handler`);
  }
}

function guard(fn: () => void, what: string): void {
  try {
    fn();
  } catch (error) {
    log(`${what} threw: ${(error as Error).stack ?? error}`);
  }
}

export class CommManager {
  private readonly targets = new Map<string, (comm: Comm, data: unknown) => void>();
  private readonly comms = new Map<string, KernelComm>();

  constructor(readonly publish: PublishComm) {}

  registerTarget(targetName: string, onOpen: (comm: Comm, data: unknown) => void): void {
    this.targets.set(targetName, onOpen);
  }

  open(targetName: string, data: unknown = {}, options: OpenCommOptions = {}): Comm {
    const comm = new KernelComm(randomUUID().replaceAll("-", ""), targetName, this);
    this.comms.set(comm.commId, comm);
    // The widget protocol puts its version in the comm_open's metadata and may send binary buffers with it.
    this.publish("comm_open", { comm_id: comm.commId, target_name: targetName, data }, options.buffers ?? [], options.metadata ?? {});
    return comm;
  }

  forget(commId: string): void {
    this.comms.delete(commId);
  }

  info(targetName?: string): Record<string, { target_name: string }> {
    const out: Record<string, { target_name: string }> = {};
    for (const comm of this.comms.values()) {
      if (!targetName || comm.targetName === targetName) out[comm.commId] = { target_name: comm.targetName };
    }
    return out;
  }

  /** comm_open from a frontend. An unknown target gets a comm_close back, as ipykernel does. */
  onOpen(msg: Message): void {
    const { comm_id, target_name, data } = msg.content;
    const onOpen = this.targets.get(target_name);
    if (!onOpen) {
      log(`comm_open for unknown target "${target_name}"; closing it`);
      this.publish("comm_close", { comm_id, data: { error: `no comm target "${target_name}" is registered in the kernel` } });
      return;
    }
    const comm = new KernelComm(comm_id, target_name, this);
    this.comms.set(comm_id, comm);
    guard(() => onOpen(comm, data), `comm target ${target_name}`);
  }

  onMessage(msg: Message): void {
    const comm = this.comms.get(msg.content.comm_id);
    if (!comm) return log(`comm_msg for unknown comm ${msg.content.comm_id}`);
    comm.deliver(msg.content.data, msg.buffers);
  }

  onClose(msg: Message): void {
    const comm = this.comms.get(msg.content.comm_id);
    if (!comm) return;
    this.comms.delete(comm.commId);
    comm.closedByFrontend(msg.content.data);
  }
}
