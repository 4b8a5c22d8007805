// Kernels on a running Jupyter Server, reached with @jupyterlab/services (REST + WebSocket), behind the
// same KernelConnection interface as local kernels.
import { sleepUndefined } from "../sleep.js";
import WebSocket from "ws";
import { Signal } from "@lumino/signaling";
import { KernelManager, KernelSpecAPI, ServerConnection, SessionManager, type Session } from "@jupyterlab/services";
import type { ExecuteOptions, ExecuteResult, KernelConnection } from "./connection.js";
import type { Message } from "./wire.js";
import { ignoreRejections } from "../../errors.js";
import { KernelDiedError, KernelNotFoundError, KernelStartError, UsageError, EXIT } from "../errors.js";

export interface ServerTarget {
  spec: { name: string; language: string; display_name: string };
  start(options: { path: string; startTimeoutMs?: number }): Promise<KernelConnection>;
}

export async function connectServer(url: string, token: string, kernelName: string): Promise<ServerTarget> {
  let base: URL;
  try {
    base = new URL(url.endsWith("/") ? url : url + "/");
  } catch {
    throw new UsageError(`--server ${url} is not a URL (expected e.g. http://127.0.0.1:8888/)`);
  }
  const settings = ServerConnection.makeSettings({
    baseUrl: base.href,
    wsUrl: base.href.replace(/^http/, "ws"),
    token,
    appendToken: true,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    fetch: globalThis.fetch.bind(globalThis) as ServerConnection.ISettings["fetch"],
    Request: globalThis.Request,
    Headers: globalThis.Headers,
  });
  let specs: Awaited<ReturnType<typeof KernelSpecAPI.getSpecs>>;
  try {
    specs = await KernelSpecAPI.getSpecs(settings);
  } catch (e) {
    throw new UsageError(`cannot reach Jupyter Server at ${base.href}: ${(e as Error).message} (check --server and --token)`);
  }
  const spec = specs.kernelspecs[kernelName];
  if (!spec) throw new KernelNotFoundError(kernelName, Object.keys(specs.kernelspecs));
  return {
    spec: { name: spec.name, language: spec.language, display_name: spec.display_name },
    start: (options) => ServerKernel.start(settings, kernelName, options.path, options.startTimeoutMs ?? 60_000),
  };
}

// @jupyterlab/services logs WebSocket (re)connections with console.debug, which Node writes to stdout —
// where `sluice run ... -` writes the notebook. Silence it while server kernels are open.
let quietCount = 0;
let savedDebug: typeof console.debug | undefined;
let rejectionGuard = false;
let kernelsGone = 0; // server kernels that died or were shut down in this process
function quietServices(on: boolean): void {
  // services' own reconnect attempts reject unobserved promises when the kernel goes away; a dead kernel
  // is reported through our KernelDiedError, not by crashing the process.
  if (on && !rejectionGuard) {
    rejectionGuard = true;
    ignoreRejections(
      (reason) =>
        reason instanceof Error &&
        (/Kernel connection disconnected|Canceled future|Kernel (is )?disposed/i.test(reason.message) ||
          // any other late rejection from services' own code once one of our kernels is gone
          (kernelsGone > 0 && /@jupyterlab[\\/]services/.test(reason.stack ?? ""))),
    );
  }
  if (on && quietCount++ === 0) {
    savedDebug = console.debug;
    console.debug = () => undefined;
  } else if (!on && --quietCount === 0 && savedDebug) {
    console.debug = savedDebug;
  }
}

class ServerKernel implements KernelConnection {
  language = "";
  languageInfo: Record<string, unknown> = {};
  readonly died: Promise<Error>;
  private markDead!: (e: Error) => void;
  private dead: Error | undefined;
  private closing = false;

  private constructor(
    private readonly kernelManager: KernelManager,
    private readonly sessionManager: SessionManager,
    private readonly session: Session.ISessionConnection,
    readonly kernelName: string,
  ) {
    this.died = new Promise((r) => (this.markDead = r));
  }

  static async start(settings: ServerConnection.ISettings, name: string, path: string, startTimeoutMs: number): Promise<ServerKernel> {
    quietServices(true);
    const kernelManager = new KernelManager({ serverSettings: settings });
    const sessionManager = new SessionManager({ kernelManager, serverSettings: settings });
    let session: Session.ISessionConnection;
    try {
      session = await sessionManager.startNew({ path, type: "notebook", name: path.split("/").pop() ?? path, kernel: { name } });
    } catch (e) {
      sessionManager.dispose();
      kernelManager.dispose();
      quietServices(false);
      throw new KernelStartError(`Jupyter Server could not start kernel ${name}: ${(e as Error).message}`);
    }
    const k = new ServerKernel(kernelManager, sessionManager, session, name);
    const kernel = session.kernel!;
    kernel.connectionStatusChanged.connect((_, status) => {
      if (!k.closing && status === "disconnected") k.die(new KernelDiedError(`lost the connection to kernel ${name} on the Jupyter Server`));
    });
    kernel.statusChanged.connect((_, status) => {
      if (!k.closing && (status === "dead" || status === "autorestarting" || status === "restarting")) {
        k.die(new KernelDiedError(`kernel ${name} on the Jupyter Server died (status ${status})`));
      }
    });
    const info = await Promise.race([kernel.info, sleepUndefined(startTimeoutMs)]);
    if (!info) {
      await k.shutdown();
      throw new KernelStartError(`kernel ${name} on the Jupyter Server did not answer within ${startTimeoutMs / 1000}s (--start-timeout)`, [], EXIT.timeout);
    }
    k.languageInfo = info.language_info as unknown as Record<string, unknown>;
    k.language = String(info.language_info.name ?? "");
    return k;
  }

  private die(e: Error): void {
    if (this.dead) return;
    this.dead = e;
    kernelsGone++;
    this.markDead(e);
  }

  async execute(code: string, options: ExecuteOptions): Promise<ExecuteResult> {
    if (this.dead) throw this.dead;
    const kernel = this.session.kernel!;
    const timing: ExecuteResult["timing"] = {};
    const future = kernel.requestExecute({ code, silent: options.silent ?? false, store_history: !options.silent, allow_stdin: false, stop_on_error: true });
    future.onIOPub = (msg) => {
      const m = msg as unknown as Message;
      if (m.header.msg_type === "status") {
        const state = (m.content as { execution_state?: string }).execution_state;
        if (state === "busy") timing["iopub.status.busy"] = m.header.date;
        if (state === "idle") timing["iopub.status.idle"] = m.header.date;
        return;
      }
      if (m.header.msg_type === "execute_input") timing["iopub.execute_input"] = m.header.date;
      options.onIOPub(m);
    };
    const done = future.done.then((reply) => {
      timing["shell.execute_reply"] = reply.header.date;
      return { reply: reply as unknown as Message, timing };
    });
    // When the kernel dies first, the future still rejects later ("Kernel connection disconnected") as
    // the connection is disposed: that late rejection is expected, not an unhandled error.
    done.catch(() => undefined);
    try {
      return await Promise.race([done, this.died.then((e) => Promise.reject(e))]);
    } catch (e) {
      if (e instanceof KernelDiedError || this.closing) throw e;
      // The future failed because the connection or the kernel went away: wait briefly for the
      // server's verdict, and report a lost kernel either way.
      const verdict = await Promise.race([this.died, sleepUndefined(3000)]);
      const died = verdict ?? new KernelDiedError(`lost kernel ${this.kernelName} on the Jupyter Server: ${(e as Error).message}`);
      this.die(died);
      throw died;
    }
  }

  async interrupt(): Promise<void> {
    if (this.dead) return;
    await this.session.kernel?.interrupt().catch(() => undefined);
  }

  async shutdown(): Promise<void> {
    if (!this.closing && !this.dead) kernelsGone++;
    this.closing = true;
    await this.session.shutdown().catch(() => undefined);
    // A connection that lost its dead kernel is reconnecting, and @jupyterlab/services rejects that
    // internal reconnect promise (unawaited: "Kernel connection disconnected") when disposed. Its
    // listeners go first, so disposing reports nothing the run has not already said.
    if (this.session.kernel) Signal.disconnectAll(this.session.kernel);
    this.session.dispose();
    this.sessionManager.dispose();
    this.kernelManager.dispose();
    quietServices(false);
  }

  stderrTail(): string[] {
    return [];
  }
}
