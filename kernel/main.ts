// The Sluice kernel: `node dist/kernel/main.js [-f] <connection_file>`.
// The wire thread (wire/worker.ts) owns the sockets; this thread runs user code and the shell handlers.
import { Worker } from "node:worker_threads";
import { rmSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { join } from "node:path";
import { setHost } from "../src/host/index.js";
import { startProgressPublisher } from "../src/progress/publisher.js";
import { startStoreBrowser } from "../src/browse/server.js";
import { registerWidgetControl } from "../src/widgets/widget.js";
import { cancelRunningJobs } from "../src/progress/bus.js";
import { makeMessage, type Channel, type Message } from "../src/jupyter/wire.js";
import type { FromWire, ToWire, WireData } from "./wire/thread.js";
import { Publisher } from "./output/publisher.js";
import { captureStreams, log } from "./output/capture.js";
import { currentScope, runInScope, takeFailedScope, propagateScopeThroughTimers } from "./output/scope.js";
import { makeDisplay } from "./output/display.js";
import { CellRunner } from "./runner/run.js";
import { importFromNotebook, pickExport } from "./runner/imports.js";
import { IMPORT_FN, PICK_FN, warmUp } from "./runner/transform.js";
import { KeyboardInterrupt, StdinNotAllowedError, formatError } from "./runner/errors.js";
import { CommManager } from "./comms.js";
import { History, historyRequest } from "./handlers/history.js";
import { executeRequest } from "./handlers/execute.js";
import { isCompleteRequest } from "./handlers/is-complete.js";
import { completeRequest, inspectRequest } from "./handlers/introspection.js";
import { kernelInfo } from "./info.js";
import { replyTo, type Handler, type Kernel } from "./kernel.js";

const args = process.argv.slice(2).filter((a) => a !== "-f");
const connectionFile = args[0];
if (!connectionFile) {
  process.stderr.write("usage: node dist/kernel/main.js [-f] <connection_file>\n(Jupyter starts the kernel with this argument; install it with `sluice kernel install --user`.)\n");
  process.exit(2);
}

const session = randomUUID();
const wireData: WireData = { connectionFile, session, ppidAtStart: process.ppid };
const wire = new Worker(new URL("./wire/worker.js", import.meta.url), { workerData: wireData });
const toWire = (command: ToWire) => wire.postMessage(command);
const publisher = new Publisher((msg) => toWire({ kind: "send", channel: "iopub", msg }), session);
const runner = new CellRunner({ userCode: (running) => toWire({ kind: "user-code", running }) });

const kernel: Kernel = {
  session,
  publisher,
  runner,
  history: new History(),
  executionCount: 0,
  cellEndHooks: [],
  comms: new CommManager((type, content, buffers = [], metadata = {}) =>
    publisher.publish(type, content, currentScope()?.parent, buffers.map((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)), metadata),
  ),
  send: (channel: Channel, msg: Message) => toWire({ kind: "send", channel, msg }),
};

// --- what notebooks see --------------------------------------------------------------------------
const show = (bundle: Record<string, unknown>, options: { displayId?: string; update?: boolean; metadata?: Record<string, unknown>; transient?: Record<string, unknown> } = {}) => {
  const transient = { ...(options.transient ?? {}), ...(options.displayId ? { display_id: options.displayId } : {}) };
  const type = options.update ? "update_display_data" : "display_data";
  const scope = currentScope();
  if (scope?.silent) return;
  publisher.publish(type, { data: bundle, metadata: options.metadata ?? {}, transient }, scope?.parent);
};
setHost({
  display: show,
  registerCommTarget: (target, onOpen) => kernel.comms.registerTarget(target, onOpen),
  openComm: (target, data, options) => kernel.comms.open(target, data, options),
  currentCellId: () => currentScope()?.cellId,
  currentParentMsgId: () => currentScope()?.parent.header.msg_id,
  onCellEnd: (callback) => kernel.cellEndHooks.push(callback),
});
// Live progress: inline displays under running cells and comm target `sluice.progress` for the panel.
startProgressPublisher();
// The Runs and Assets views of JupyterLab read the asset store over comm target `sluice.store`.
startStoreBrowser();
// JupyterLab's widget manager asks for every live widget model over comm target `jupyter.widget.control`.
registerWidgetControl();

let pendingInput: { resolve: (value: string) => void; reject: (error: Error) => void } | undefined;
async function input(prompt = "", options: { password?: boolean } = {}): Promise<string> {
  const scope = currentScope();
  if (!scope?.allowStdin) throw new StdinNotAllowedError();
  if (pendingInput) throw new Error("input() is already waiting for an answer; await it before asking again");
  publisher.flush();
  kernel.send("stdin", makeMessage("input_request", { prompt: String(prompt), password: Boolean(options.password) }, scope.parent, session));
  return new Promise<string>((resolve, reject) => (pendingInput = { resolve, reject }));
}

Object.assign(globalThis, {
  display: makeDisplay(show),
  input,
  [IMPORT_FN]: importFromNotebook,
  [PICK_FN]: pickExport,
  require: createRequire(join(process.cwd(), "__notebook__.js")),
});
captureStreams(publisher);
propagateScopeThroughTimers();

// Errors from timers and promises after their cell: report them under that cell, keep the kernel.
const reportLate = (error: unknown) => {
  const scope = takeFailedScope() ?? currentScope();
  if (!scope) return log(`uncaught: ${(error as Error)?.stack ?? error}`);
  const { traceback } = formatError(error, "late");
  publisher.stream("stderr", `Uncaught ${traceback.join("\n").replace(/\u001b\[[0-9;]*m/g, "")}\n`, scope.parent);
};
process.on("uncaughtException", reportLate);
process.on("unhandledRejection", reportLate);

// --- requests --------------------------------------------------------------------------------------
const handlers: Record<string, Handler> = {
  kernel_info_request: () => kernelInfo(),
  complete_request: completeRequest,
  inspect_request: inspectRequest,
  is_complete_request: isCompleteRequest,
  history_request: historyRequest,
  comm_info_request: (request) => ({ status: "ok", comms: kernel.comms.info(request.content.target_name) }),
  // Older clients send shutdown on shell; newer ones on control, which the wire thread answers.
  shutdown_request: (request) => {
    setImmediate(exitSoon);
    return { status: "ok", restart: Boolean(request.content.restart) };
  },
};

const commHandlers: Record<string, (msg: Message) => void> = {
  comm_open: (msg) => kernel.comms.onOpen(msg),
  comm_msg: (msg) => kernel.comms.onMessage(msg),
  comm_close: (msg) => kernel.comms.onClose(msg),
};

let warmed = false;
async function handle(channel: "shell" | "control", request: Message, handler: Handler): Promise<void> {
  publisher.publish("status", { execution_state: "busy" }, request);
  try {
    const content = await runInScope({ parent: request, allowStdin: false }, () => handler(request, kernel));
    replyTo(kernel, channel, request, content);
    // Frontends ask kernel_info first; once it is answered, load the cell compiler in the background.
    if (request.header.msg_type === "kernel_info_request" && !warmed) {
      warmed = true;
      setTimeout(warmUp, 10);
    }
  } catch (error) {
    log(`${request.header.msg_type} failed: ${(error as Error).stack}`);
    replyTo(kernel, channel, request, { status: "error", ...formatError(error, request.header.msg_type) });
  } finally {
    publisher.publish("status", { execution_state: "idle" }, request);
  }
}

// execute_requests run one after another; after a failure with stop_on_error, the ones already
// queued are aborted (as ipykernel does). Other requests are answered at once, even while a cell
// awaits, so completion and comm messages (e.g. a progress panel's cancel) are not stuck behind it.
let executeQueue: Promise<void> = Promise.resolve();
let received = 0;
let abortUpTo = 0;
function queueExecute(channel: "shell" | "control", request: Message): void {
  const seq = ++received;
  executeQueue = executeQueue.then(async () => {
    if (seq <= abortUpTo) {
      publisher.publish("status", { execution_state: "busy" }, request);
      replyTo(kernel, channel, request, { status: "aborted", execution_count: kernel.executionCount });
      publisher.publish("status", { execution_state: "idle" }, request);
      return;
    }
    await handle(channel, request, async (req, k) => {
      const reply = await executeRequest(req, k);
      if (reply.status === "error" && req.content.stop_on_error !== false) abortUpTo = received;
      return reply;
    });
  });
}

function onRequest(channel: "shell" | "stdin" | "control", request: Message): void {
  const type = request.header.msg_type;
  if (channel === "stdin") {
    if (type === "input_reply" && pendingInput) {
      const pending = pendingInput;
      pendingInput = undefined;
      pending.resolve(String(request.content.value ?? ""));
    }
    return;
  }
  if (type === "execute_request") return queueExecute(channel, request);
  const comm = commHandlers[type];
  if (comm) {
    publisher.publish("status", { execution_state: "busy" }, request);
    runInScope({ parent: request, allowStdin: false }, () => comm(request));
    publisher.publish("status", { execution_state: "idle" }, request);
    return;
  }
  const handler = handlers[type];
  if (handler) return void handle(channel, request, handler);
  log(`no handler for ${type} on ${channel}; ignored`);
}

function exitSoon(): void {
  publisher.flush();
  // Leave the wire thread a moment to put the last messages on the sockets.
  setTimeout(() => process.exit(0), 50);
}

function interrupt(): void {
  if (pendingInput) {
    const pending = pendingInput;
    pendingInput = undefined;
    pending.reject(new KeyboardInterrupt());
  }
  runner.interrupt();
  // The cell stops waiting at once; its queries (and pipeline runs) must stop too, or DuckDB keeps
  // working for a cell that has already failed.
  cancelRunningJobs();
}

// Until the wire thread says whether it watches SIGINT, a Ctrl+C must not kill the kernel.
let sigintOnMain = false;
const ignoreEarlySigint = () => {};
process.on("SIGINT", ignoreEarlySigint);
wire.once("message", () => process.off("SIGINT", ignoreEarlySigint));

wire.on("message", (event: FromWire) => {
  switch (event.kind) {
    case "request":
      return onRequest(event.channel, event.msg);
    case "interrupt":
      toWire({ kind: "interrupt-ack" });
      return interrupt();
    case "interrupted":
      interrupt();
      if (sigintOnMain) {
        // A cell terminated inside vm's breakOnSigint watchdog leaves Node's SIGINT handler
        // unregistered; registering the listener again restores it.
        process.off("SIGINT", interrupt);
        process.on("SIGINT", interrupt);
      }
      return;
    case "shutdown":
      toWire({ kind: "shutdown-ack" });
      return exitSoon();
    case "parent-died":
      // Nobody is listening any more: no flush, just leave nothing behind.
      if (event.runnerFolder) rmSync(event.runnerFolder, { recursive: true, force: true });
      return process.exit(0);
    case "ready":
      if (process.env.SLUICE_KERNEL_TRACE) log(`sockets bound ${performance.now().toFixed(0)} ms after process start`);
      if (!event.sigint) {
        // Fallback: this thread handles SIGINT, which covers a pending await and (through vm's
        // breakOnSigint) a cell's synchronous start, not a loop after an await.
        log("SIGINT is handled on the main thread (the wire thread cannot watch it): a loop after an await is not interrupted by it; interrupt_request still is");
        sigintOnMain = true;
        runner.breakOnSigint = true;
        process.on("SIGINT", interrupt);
      }
      return;
  }
});
wire.on("error", (error) => {
  log(`wire thread failed: ${error.stack}`);
  process.exit(1);
});
