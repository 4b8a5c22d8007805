// What the executor needs from a kernel, whether we started it ourselves over ZeroMQ or reach it through
// a Jupyter Server.
import type { Message } from "./wire.js";

export interface ExecuteOptions {
  /** Every IOPub message whose parent is this request, in order. */
  onIOPub(msg: Message): void;
  silent?: boolean;
  storeHistory?: boolean;
}

export interface ExecuteResult {
  reply: Message;
  /** Timestamps nbclient records in `metadata.execution` (ISO strings from the kernel's headers). */
  timing: { "iopub.status.busy"?: string; "iopub.execute_input"?: string; "shell.execute_reply"?: string; "iopub.status.idle"?: string };
}

export interface KernelConnection {
  /** The language the kernel reports in `kernel_info_reply.language_info.name`. */
  readonly language: string;
  readonly languageInfo: Record<string, unknown>;
  readonly kernelName: string;
  readonly pid?: number;
  /** Runs code; rejects with KernelDiedError if the kernel dies before the reply. */
  execute(code: string, options: ExecuteOptions): Promise<ExecuteResult>;
  interrupt(): Promise<void>;
  shutdown(): Promise<void>;
  /** Settles (resolves with the error) when the kernel dies; never rejects. */
  readonly died: Promise<Error>;
  /** The kernel's last stderr lines (local kernels only). */
  stderrTail(): string[];
}
