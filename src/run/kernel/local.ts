// A kernel we start from its kernelspec and talk to directly over ZeroMQ (shell, iopub, control, stdin,
// heartbeat), signing and verifying every message.
import { sleepUndefined } from "../sleep.js";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync, rmSync } from "node:fs";
import { createServer, type AddressInfo, type Server } from "node:net";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import * as zmq from "zeromq";
import { WireSession, type Message } from "./wire.js";
import { kernelArgv, type KernelSpec } from "./kernelspec.js";
import type { ExecuteOptions, ExecuteResult, KernelConnection } from "./connection.js";
import { KernelDiedError, KernelStartError, EXIT } from "../errors.js";
import { makeRunTempDir, removeRunTempDir, runnerTempRoot, RUNNER_TEMP_ENV } from "../temp.js";

export interface StartOptions {
  cwd?: string;
  env?: Record<string, string>;
  startTimeoutMs?: number;
  /** Aborting while the kernel starts stops it and fails the start with exit code 130. */
  signal?: AbortSignal;
}

const STDERR_LINES = 30;
const HEARTBEAT_INTERVAL_MS = 500;

/**
 * Free TCP ports on 127.0.0.1, picked below the kernel's ephemeral range: ports from listen(0) come from
 * the range that outgoing connections (our own ZeroMQ reconnects among them) use as source ports, and a
 * kernel that loses its port to one of them fails to bind. All are held open until every one is found.
 */
async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    while (servers.length < n) {
      const port = 20_000 + Math.floor(Math.random() * 12_000);
      const server = await new Promise<Server | undefined>((res) => {
        const s = createServer();
        s.once("error", () => res(undefined));
        s.listen(port, "127.0.0.1", () => res(s));
      });
      if (server) servers.push(server);
    }
    return servers.map((s) => (s.address() as AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

/** The kernel's temp folder: whatever it writes to os.tmpdir() / tempfile goes with the run. */
function tempEnv(dir: string): Record<string, string> {
  return process.platform === "win32" ? { TEMP: dir, TMP: dir } : { TMPDIR: dir };
}

/** Sends on a zeromq socket one at a time (zeromq.js rejects concurrent sends on a socket). */
class Sender {
  private chain: Promise<unknown> = Promise.resolve();
  constructor(private readonly socket: zmq.Dealer | zmq.Request) {}
  send(frames: Buffer[]): Promise<void> {
    const next = this.chain.then(() => this.socket.send(frames));
    this.chain = next.catch(() => undefined);
    return next;
  }
}

interface Pending {
  onIOPub: (msg: Message) => void;
  reply?: Message;
  idle: boolean;
  timing: ExecuteResult["timing"];
  resolve: (r: ExecuteResult) => void;
  reject: (e: Error) => void;
}

export class LocalKernel implements KernelConnection {
  language = "";
  languageInfo: Record<string, unknown> = {};
  readonly died: Promise<Error>;
  private markDead!: (e: Error) => void;
  private dead: Error | undefined;
  private closing = false;
  private readonly tail: string[] = [];
  private readonly pending = new Map<string, Pending>();
  private readonly shellReplies = new Map<string, (m: Message) => void>();
  private readonly controlReplies = new Map<string, (m: Message) => void>();
  private sawIOPub = false;
  private readonly shell = new zmq.Dealer({ linger: 0 });
  private readonly control = new zmq.Dealer({ linger: 0 });
  private readonly stdin = new zmq.Dealer({ linger: 0 });
  private readonly iopub = new zmq.Subscriber({ linger: 0 });
  private readonly shellOut = new Sender(this.shell);
  private readonly controlOut = new Sender(this.control);
  private hbTimer: NodeJS.Timeout | undefined;
  private readonly onProcessExit = () => this.killNow();

  private constructor(
    readonly spec: KernelSpec,
    private readonly session: WireSession,
    private readonly ports: Record<string, number>,
    private readonly connectionDir: string,
    private readonly child: ChildProcess,
  ) {
    this.died = new Promise((res) => (this.markDead = res));
    this.shell.routingId = this.stdin.routingId = session.id;
  }

  get kernelName(): string {
    return this.spec.name;
  }
  get pid(): number | undefined {
    return this.child.pid;
  }
  stderrTail(): string[] {
    return [...this.tail];
  }

  static async start(spec: KernelSpec, options: StartOptions = {}): Promise<LocalKernel> {
    // Another process can still take a port between our check and the kernel's bind; start again then.
    for (let attempt = 1; ; attempt++) {
      try {
        return await LocalKernel.startOnce(spec, options);
      } catch (e) {
        const conflict = e instanceof KernelStartError && e.stderrTail.some((l) => /Address already in use|EADDRINUSE/.test(l));
        if (!conflict || attempt >= 3) throw e;
      }
    }
  }

  private static async startOnce(spec: KernelSpec, options: StartOptions): Promise<LocalKernel> {
    const key = randomBytes(32).toString("hex");
    const [shell, iopub, stdin, control, hb] = await freePorts(5);
    const ports = { shell, iopub, stdin, control, hb };
    // The connection file (it holds the HMAC key) and the kernel's own temp files live in a folder of
    // this process's run folder, which goes when the kernel stops or, if we are killed, when the kernel
    // sees us die (see ../temp.ts).
    const dir = makeRunTempDir("kernel-");
    const kernelTmp = join(dir, "tmp");
    mkdirSync(kernelTmp);
    const file = join(dir, "kernel.json");
    writeFileSync(
      file,
      JSON.stringify({
        shell_port: shell, iopub_port: iopub, stdin_port: stdin, control_port: control, hb_port: hb,
        ip: "127.0.0.1", key, transport: "tcp", signature_scheme: "hmac-sha256", kernel_name: spec.name,
      }),
      { mode: 0o600 },
    );
    const argv = kernelArgv(spec, file);
    // Own process group: a terminal Ctrl-C reaches us only, and we decide how to interrupt the kernel.
    const child = spawn(argv[0], argv.slice(1), {
      cwd: options.cwd,
      env: {
        ...process.env,
        ...tempEnv(kernelTmp),
        ...spec.env,
        ...options.env,
        JPY_PARENT_PID: String(process.pid),
        [RUNNER_TEMP_ENV]: runnerTempRoot(),
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const kernel = new LocalKernel(spec, new WireSession(key), ports, dir, child);
    try {
      await kernel.connect(options.startTimeoutMs ?? 60_000, argv, options.signal);
    } catch (e) {
      await kernel.shutdown();
      throw e;
    }
    // The kernel has read its connection file (it answered): the HMAC key need not stay on disk.
    rmSync(file, { force: true });
    return kernel;
  }

  private async connect(startTimeoutMs: number, argv: string[], signal?: AbortSignal): Promise<void> {
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) this.tail.push(line);
      if (this.tail.length > STDERR_LINES) this.tail.splice(0, this.tail.length - STDERR_LINES);
    };
    this.child.stderr?.on("data", keep);
    this.child.stdout?.on("data", keep);
    process.on("exit", this.onProcessExit);
    const spawnError = new Promise<Error>((res) => this.child.once("error", (e) => res(e)));
    this.child.once("exit", (code, signal) => {
      this.die(new KernelDiedError(`kernel ${this.spec.name} (pid ${this.child.pid}) died: ${signal ? `killed by ${signal}` : `exit code ${code}`}`, this.tail));
    });

    const url = (port: number) => `tcp://127.0.0.1:${port}`;
    this.shell.connect(url(this.ports.shell));
    this.control.connect(url(this.ports.control));
    this.stdin.connect(url(this.ports.stdin));
    this.iopub.connect(url(this.ports.iopub));
    this.iopub.subscribe();
    void this.readLoop(this.shell, "shell");
    void this.readLoop(this.control, "control");
    void this.readLoop(this.iopub, "iopub");
    void this.readLoop(this.stdin, "stdin");

    // Ready when kernel_info has a reply on shell AND IOPub carries messages to us (no slow joiner).
    // Any reply to any of our kernel_info requests counts: a busy machine may answer the first one late.
    const deadline = Date.now() + startTimeoutMs;
    let info: Message | undefined;
    const infoIds = new Set<string>();
    let gotInfo!: (m: Message) => void;
    const infoReply = new Promise<Message>((res) => (gotInfo = res));
    void infoReply.then((m) => (info = m));
    while (!info || !this.sawIOPub) {
      if (this.dead) throw new KernelStartError(`kernel ${this.spec.name} exited while starting (${argv.join(" ")})`, this.tail);
      if (signal?.aborted) throw new KernelStartError(`interrupted while kernel ${this.spec.name} was starting`, [], EXIT.interrupted);
      if (this.tail.some((l) => /Address already in use|EADDRINUSE/.test(l))) {
        throw new KernelStartError(`kernel ${this.spec.name} could not bind its ports`, this.tail);
      }
      const failed = await Promise.race([spawnError, sleepUndefined(0)]);
      if (failed) throw new KernelStartError(`cannot start kernel ${this.spec.name}: ${failed.message} (${argv.join(" ")})`);
      if (Date.now() > deadline) {
        this.killNow();
        throw new KernelStartError(`kernel ${this.spec.name} did not answer within ${startTimeoutMs / 1000}s (--start-timeout)`, this.tail, EXIT.timeout);
      }
      const msg = this.session.message("kernel_info_request", {});
      infoIds.add(msg.header.msg_id);
      this.shellReplies.set(msg.header.msg_id, gotInfo);
      await Promise.race([this.shellOut.send(this.session.serialize(msg)), sleepUndefined(1000)]);
      await Promise.race([infoReply, sleepUndefined(info ? 100 : 250), this.died]);
    }
    for (const id of infoIds) this.shellReplies.delete(id);
    this.languageInfo = (info.content.language_info as Record<string, unknown>) ?? {};
    this.language = String(this.languageInfo.name ?? this.spec.language ?? "");
    this.startHeartbeat();
  }

  private async readLoop(socket: zmq.Dealer | zmq.Subscriber, channel: string): Promise<void> {
    try {
      for await (const frames of socket) {
        const msg = this.session.deserialize(frames as Buffer[]);
        if (!msg) continue; // unsigned or badly signed: not from our kernel
        msg.channel = channel;
        this.dispatch(msg, channel);
      }
    } catch {
      // socket closed
    }
  }

  private dispatch(msg: Message, channel: string): void {
    const parentId = msg.parent_header?.msg_id;
    if (channel === "iopub") {
      this.sawIOPub = true;
      const p = parentId ? this.pending.get(parentId) : undefined;
      if (!p) return;
      const type = msg.header.msg_type;
      if (type === "status") {
        const state = (msg.content as { execution_state?: string }).execution_state;
        if (state === "busy") p.timing["iopub.status.busy"] = msg.header.date;
        if (state === "idle") {
          p.timing["iopub.status.idle"] = msg.header.date;
          p.idle = true;
          this.settle(parentId!, p);
        }
        return;
      }
      if (type === "execute_input") p.timing["iopub.execute_input"] = msg.header.date;
      p.onIOPub(msg);
      return;
    }
    if (channel === "stdin" && msg.header.msg_type === "input_request") {
      // We never allow stdin; answer anyway so a kernel that asks does not hang.
      void new Sender(this.stdin).send(this.session.serialize(this.session.message("input_reply", { value: "" }, msg.header)));
      return;
    }
    if (!parentId) return;
    if (channel === "control") {
      this.controlReplies.get(parentId)?.(msg);
      return;
    }
    this.shellReplies.get(parentId)?.(msg);
    const p = this.pending.get(parentId);
    if (p && msg.header.msg_type === "execute_reply") {
      p.reply = msg;
      p.timing["shell.execute_reply"] = msg.header.date;
      this.settle(parentId, p);
    }
  }

  private settle(id: string, p: Pending): void {
    if (!p.reply || !p.idle) return;
    this.pending.delete(id);
    p.resolve({ reply: p.reply, timing: p.timing });
  }

  execute(code: string, options: ExecuteOptions): Promise<ExecuteResult> {
    if (this.dead) return Promise.reject(this.dead);
    const msg = this.session.message("execute_request", {
      code,
      silent: options.silent ?? false,
      store_history: options.storeHistory ?? !options.silent,
      user_expressions: {},
      allow_stdin: false,
      stop_on_error: true,
    });
    return new Promise<ExecuteResult>((resolve, reject) => {
      this.pending.set(msg.header.msg_id, { onIOPub: options.onIOPub, idle: false, timing: {}, resolve, reject });
      this.shellOut.send(this.session.serialize(msg)).catch((e: Error) => reject(e));
    });
  }

  async interrupt(): Promise<void> {
    if (this.dead) return;
    if (this.spec.interrupt_mode === "message") {
      const msg = this.session.message("interrupt_request", {});
      const reply = new Promise<Message>((res) => this.controlReplies.set(msg.header.msg_id, res));
      await this.controlOut.send(this.session.serialize(msg));
      await Promise.race([reply, sleepUndefined(2000), this.died]);
      this.controlReplies.delete(msg.header.msg_id);
    } else if (this.child.pid) {
      try {
        process.kill(this.child.pid, "SIGINT");
      } catch {
        // already gone
      }
    }
  }

  /** Ask the kernel to exit; kill it if it has not after a short grace period. */
  async shutdown(): Promise<void> {
    this.closing = true;
    this.stopHeartbeat();
    if (!this.dead && this.child.exitCode === null && this.child.signalCode === null) {
      const msg = this.session.message("shutdown_request", { restart: false });
      await Promise.race([this.controlOut.send(this.session.serialize(msg)), sleepUndefined(500)]).catch(() => undefined);
      await Promise.race([this.died, sleepUndefined(1500)]);
    }
    if (this.killNow()) await Promise.race([new Promise((r) => this.child.once("exit", r)), sleepUndefined(1000)]);
    // Processes the kernel started live on in its group after it exits; end them too (jupyter_client does).
    if (this.child.pid) {
      try {
        process.kill(-this.child.pid, "SIGKILL");
      } catch {
        // no such group left
      }
    }
    process.off("exit", this.onProcessExit);
    for (const s of [this.shell, this.control, this.stdin, this.iopub]) s.close();
    removeRunTempDir(this.connectionDir);
  }

  /** SIGKILL the kernel's process group; returns whether there was a live process to kill. */
  private killNow(): boolean {
    const pid = this.child.pid;
    if (!pid || this.child.exitCode !== null || this.child.signalCode !== null) return false;
    try {
      process.kill(-pid, "SIGKILL"); // the kernel's whole process group
    } catch {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    return true;
  }

  private die(error: Error): void {
    if (this.dead) return;
    this.dead = error;
    this.stopHeartbeat();
    this.markDead(error);
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  /**
   * Heartbeat: a kernel whose process we own is declared dead the moment it exits; the heartbeat catches
   * a kernel that stops answering while its process lingers (hung, or behind a wrapper script).
   */
  private startHeartbeat(): void {
    let socket = new zmq.Request({ linger: 0, receiveTimeout: 1000 });
    socket.connect(`tcp://127.0.0.1:${this.ports.hb}`);
    let lastBeat = Date.now();
    const beat = async () => {
      if (this.dead || this.closing) return;
      try {
        await socket.send("ping");
        await socket.receive();
        lastBeat = Date.now();
      } catch {
        socket.close();
        socket = new zmq.Request({ linger: 0, receiveTimeout: 1000 });
        socket.connect(`tcp://127.0.0.1:${this.ports.hb}`);
        const silentFor = Date.now() - lastBeat;
        // A process that is still there may just be busy in a single-threaded kernel; give it longer.
        const limit = this.child.exitCode === null ? 10_000 : 1_500;
        if (silentFor > limit && !this.closing) {
          this.die(new KernelDiedError(`kernel ${this.spec.name} stopped answering its heartbeat for ${(silentFor / 1000).toFixed(1)}s`, this.tail));
          this.killNow();
        }
      }
      if (!this.dead && !this.closing) this.hbTimer = setTimeout(beat, HEARTBEAT_INTERVAL_MS);
    };
    this.hbTimer = setTimeout(beat, HEARTBEAT_INTERVAL_MS);
    this.stopHeartbeat = () => {
      if (this.hbTimer) clearTimeout(this.hbTimer);
      this.hbTimer = undefined;
      socket.close();
      this.stopHeartbeat = () => undefined;
    };
  }
  private stopHeartbeat: () => void = () => undefined;
}
