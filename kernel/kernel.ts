// What a handler may use: replying, publishing, the runner, comms, history, stdin.
import type { Message, Channel } from "../src/jupyter/wire.js";
import { makeMessage } from "../src/jupyter/wire.js";
import type { Publisher } from "./output/publisher.js";
import type { CellRunner } from "./runner/run.js";
import type { CommManager } from "./comms.js";
import type { History } from "./handlers/history.js";

export interface Kernel {
  readonly session: string;
  readonly publisher: Publisher;
  readonly runner: CellRunner;
  readonly comms: CommManager;
  readonly history: History;
  /** Count of executions stored in history (the In[n] number of the last one). */
  executionCount: number;
  /** Run after each cell's code finishes, before its result and reply (Host.onCellEnd). */
  readonly cellEndHooks: Array<() => void>;
  send(channel: Channel, msg: Message): void;
}

export type Handler = (request: Message, kernel: Kernel) => Promise<Record<string, unknown>> | Record<string, unknown>;

export function replyTo(kernel: Kernel, channel: Channel, request: Message, content: Record<string, unknown>, metadata: Record<string, unknown> = {}): void {
  const type = request.header.msg_type.replace(/_request$/, "_reply");
  kernel.send(channel, makeMessage(type, content, request, kernel.session, metadata));
}
