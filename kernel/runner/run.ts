// Runs compiled cells on this (the main) thread and races them against interrupts.
import vm from "node:vm";
import { setImmediate } from "node:timers";
import { compileCell } from "./transform.js";
import { registerCell, KeyboardInterrupt } from "./errors.js";

export interface InterruptSink {
  /** Tells the wire thread whether user code may be running (it only terminates user code). */
  userCode(running: boolean): void;
}

export class CellRunner {
  private runs = 0;
  private rejectRunning: ((error: Error) => void) | undefined;
  /** Only when the wire thread cannot watch SIGINT: let vm stop a cell's synchronous start on SIGINT. */
  breakOnSigint = false;

  constructor(private readonly sink: InterruptSink) {}

  get busy(): boolean {
    return this.rejectRunning !== undefined;
  }

  /** Compiles and runs a cell; resolves with its last expression's value. */
  async run(source: string, label: string): Promise<unknown> {
    this.runs += 1;
    const filename = `cell-${this.runs}.ts`;
    const compiled = compileCell(source);
    registerCell(filename, compiled.prefixLength, source.split("\n").length, label);
    const interrupted = new Promise<never>((_, reject) => (this.rejectRunning = reject));
    this.sink.userCode(true);
    try {
      // Started from a microtask so that Runtime.terminateExecution unwinds only user frames, and
      // that microtask from a fresh macrotask: V8 drops every microtask queued behind a terminated
      // one, and none of the kernel's may be among them. A terminated cell's promise never
      // settles, hence the race with the interrupt.
      const result = new Promise<unknown>((resolve, reject) =>
        setImmediate(() => {
          Promise.resolve()
            .then(() => vm.runInThisContext(compiled.code, { filename, breakOnSigint: this.breakOnSigint }) as Promise<unknown>)
            .then(resolve, reject);
        }),
      );
      return await Promise.race([result, interrupted]);
    } catch (error) {
      if (error instanceof Error && /Script execution was interrupted/.test(error.message)) throw new KeyboardInterrupt();
      throw error;
    } finally {
      this.rejectRunning = undefined;
      this.sink.userCode(false);
    }
  }

  /** Stops waiting for the running cell (if any). Returns whether a cell was running. */
  interrupt(): boolean {
    const reject = this.rejectRunning;
    this.rejectRunning = undefined;
    reject?.(new KeyboardInterrupt());
    return reject !== undefined;
  }
}
