// Messages between the main thread (user code, shell handlers) and the wire thread (sockets).
import type { Channel, Message } from "../../src/jupyter/wire.js";

export type ToWire =
  | { kind: "send"; channel: Channel; msg: Message }
  | { kind: "interrupt-ack" }
  | { kind: "user-code"; running: boolean }
  | { kind: "shutdown-ack" };

export type FromWire =
  | { kind: "request"; channel: "shell" | "stdin" | "control"; msg: Message }
  | { kind: "interrupt" }
  | { kind: "interrupted" }
  | { kind: "shutdown"; restart: boolean }
  /** sigint: the wire thread watches SIGINT itself (else the main thread must). */
  | { kind: "ready"; sigint: boolean }
  /** The process that started the kernel is gone: exit, after removing `runnerFolder` (the runner's temp folder) if set. */
  | { kind: "parent-died"; runnerFolder?: string };

export interface WireData {
  connectionFile: string;
  session: string;
  /** process.ppid when the kernel started, for the parent watch (wire/parent.ts). */
  ppidAtStart: number;
}
