// The wire thread: owns every ZeroMQ socket, the heartbeat, signatures and the control channel, so
// all of them keep answering while the main thread is stuck in user code (`while (true) {}`).
// Interrupts reach user code two ways: a message (main acks when its event loop is free) or, when
// main does not ack in time, V8's Runtime.terminateExecution through an inspector session.
import { parentPort, workerData } from "node:worker_threads";
import { Session } from "node:inspector";
import { rmSync, writeSync } from "node:fs";
import * as zmq from "zeromq";
import { readConnectionFile, address } from "./connection.js";
import { Signer, decode, encode, makeMessage, BadSignatureError, type Channel, type Message } from "../../src/jupyter/wire.js";
import type { FromWire, ToWire, WireData } from "./thread.js";
import { kernelInfo } from "../info.js";
import { watchParent } from "./parent.js";
import { ownedRunnerFolder } from "../../src/run/temp.js";

const ACK_WAIT_MS = 80;
const port = parentPort!;
const { connectionFile, session, ppidAtStart } = workerData as WireData;
const info = readConnectionFile(connectionFile);
const signer = new Signer(info.key, info.signature_scheme);

function log(text: string): void {
  try {
    writeSync(2, `[sluice kernel] ${text}\n`);
  } catch {
    // stderr is a pipe to a parent that is gone
  }
}
function post(event: FromWire): void {
  port.postMessage(event);
}

/** zeromq allows one send in flight per socket; queue the rest. */
class Outbox {
  private tail: Promise<void> = Promise.resolve();
  constructor(private readonly socket: { send(frames: Buffer[]): Promise<void> }) {}
  send(frames: Buffer[]): void {
    this.tail = this.tail.then(() => this.socket.send(frames)).catch((error) => log(`send failed: ${(error as Error).message}`));
  }
}

const shell = new zmq.Router();
const control = new zmq.Router();
const stdin = new zmq.Router();
const iopub = new zmq.Publisher();
const heartbeat = new zmq.Reply();
for (const socket of [shell, control, stdin, iopub, heartbeat]) socket.linger = 0;

await Promise.all([
  shell.bind(address(info, info.shell_port)),
  control.bind(address(info, info.control_port)),
  stdin.bind(address(info, info.stdin_port)),
  iopub.bind(address(info, info.iopub_port)),
  heartbeat.bind(address(info, info.hb_port)),
]);

const outboxes: Record<Channel, Outbox> = {
  shell: new Outbox(shell),
  control: new Outbox(control),
  stdin: new Outbox(stdin),
  iopub: new Outbox(iopub),
};
function send(channel: Channel, msg: Message): void {
  outboxes[channel].send(encode(msg, signer));
}

// --- interrupts -----------------------------------------------------------------------------
const inspector = new Session();
inspector.connectToMainThread();
let userCodeRunning = false;
let acked: (() => void) | undefined;

async function interruptMain(): Promise<void> {
  const ack = new Promise<boolean>((resolve) => {
    acked = () => resolve(true);
    setTimeout(() => resolve(false), ACK_WAIT_MS);
  });
  post({ kind: "interrupt" });
  if (await ack) return;
  // Main is busy. Only terminate when it is busy in user code: terminating kernel code would break
  // the kernel, and terminating while idle would kill whatever JavaScript runs next.
  if (!userCodeRunning) return;
  inspector.post("Runtime.terminateExecution", (error) => {
    if (error) log(`terminateExecution failed: ${error.message}`);
  });
  post({ kind: "interrupted" });
}

let shutdownAcked = false;
async function shutdownMain(restart: boolean): Promise<void> {
  post({ kind: "shutdown", restart });
  await new Promise((r) => setTimeout(r, ACK_WAIT_MS));
  if (shutdownAcked) return;
  if (userCodeRunning) inspector.post("Runtime.terminateExecution");
  // Last resort: a main thread that never comes back must not keep the kernel alive.
  setTimeout(() => process.kill(process.pid, "SIGKILL"), 3000).unref();
}

port.on("message", (command: ToWire) => {
  switch (command.kind) {
    case "send":
      send(command.channel, { ...command.msg, identities: command.msg.identities.map((id) => Buffer.from(id)) });
      break;
    case "interrupt-ack":
      acked?.();
      acked = undefined;
      break;
    case "user-code":
      userCodeRunning = command.running;
      break;
    case "shutdown-ack":
      shutdownAcked = true;
      break;
  }
});

// --- control: answered here, never waits on the main thread --------------------------------------
async function onControl(msg: Message): Promise<void> {
  const type = msg.header.msg_type;
  const status = (state: string) => send("iopub", makeMessage("status", { execution_state: state }, msg, session));
  const reply = (content: Record<string, unknown>) => send("control", makeMessage(type.replace(/_request$/, "_reply"), content, msg, session));
  switch (type) {
    case "kernel_info_request":
      status("busy");
      reply(kernelInfo());
      status("idle");
      return;
    case "interrupt_request":
      status("busy");
      await interruptMain();
      reply({ status: "ok" });
      status("idle");
      return;
    case "shutdown_request": {
      status("busy");
      const restart = Boolean(msg.content.restart);
      reply({ status: "ok", restart });
      status("idle");
      await shutdownMain(restart);
      return;
    }
    default:
      post({ kind: "request", channel: "control", msg });
  }
}

async function listen(socket: zmq.Router, channel: "shell" | "control" | "stdin"): Promise<void> {
  for await (const frames of socket) {
    let msg: Message;
    try {
      msg = decode(frames, signer, channel);
    } catch (error) {
      // Never executed, never answered: a forged or corrupt message only leaves a log line.
      log(error instanceof BadSignatureError ? error.message : `dropped a malformed ${channel} message: ${(error as Error).message}`);
      continue;
    }
    if (channel === "control") void onControl(msg).catch((error) => log(`control: ${(error as Error).stack}`));
    else post({ kind: "request", channel, msg });
  }
}

async function beat(): Promise<void> {
  for await (const frames of heartbeat) await heartbeat.send(frames);
}

// SIGINT (kill -INT, Ctrl+C in a terminal) takes the same path as interrupt_request. Worker threads
// get no process.on("SIGINT"), but a libuv signal watcher on this thread's loop does receive it,
// also while the main thread spins. process.binding is deprecated, hence the fallback to main.
function watchSigint(): boolean {
  if (process.env.SLUICE_KERNEL_SIGINT === "main") return false; // forces the fallback (its test uses this)
  const emitWarning = process.emitWarning;
  try {
    process.emitWarning = () => {};
    const { Signal } = (process as unknown as { binding(name: string): any }).binding("signal_wrap");
    const watcher = new Signal();
    watcher.onsignal = () => void interruptMain();
    return watcher.start(2) === 0;
  } catch {
    return false;
  } finally {
    process.emitWarning = emitWarning;
  }
}

void listen(shell, "shell");
void listen(control, "control");
void listen(stdin, "stdin");
void beat();
post({ kind: "ready", sigint: watchSigint() });

// The parent died (kill -9 of `sluice run`, a crashed Jupyter server): the main thread exits and
// removes the runner's temp folder; if it is stuck in user code, this thread does both.
watchParent(process.env, ppidAtStart, (parentPid) => {
  const runnerFolder = ownedRunnerFolder(process.env, parentPid, connectionFile);
  post({ kind: "parent-died", runnerFolder });
  setTimeout(() => {
    if (runnerFolder) rmSync(runnerFolder, { recursive: true, force: true });
    process.kill(process.pid, "SIGKILL");
  }, 600);
});
