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
  | { kind: "ready"; sigint: boolean };

export interface WireData {
  connectionFile: string;
  session: string;
}
