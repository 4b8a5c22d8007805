// The subprocess executor: each step runs as a child `sluice step exec -` on this machine, fed its
// step spec on stdin, answering with one JSON result line. It proves the spec round trip for real
// (what runs elsewhere is only what the spec says), and it is the command a Ray task runs on a node.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PipelineError } from "../errors.js";
import { stepResult, toJson } from "./result.js";
import type { Executor, StepHooks, StepResult, StepTask } from "./types.js";

/** The sluice CLI this library belongs to (dist/src/cli/main.js; from the sources, the built one beside them). */
export function sluiceCliPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const built = join(here, "..", "..", "cli", "main.js");
  if (existsSync(built)) return built;
  for (let dir = here; dirname(dir) !== dir; dir = dirname(dir)) {
    const candidate = join(dir, "dist", "src", "cli", "main.js");
    if (existsSync(join(dir, "package.json")) && existsSync(candidate)) return candidate;
  }
  throw new PipelineError("cannot find the built sluice CLI (dist/src/cli/main.js) to run steps in subprocesses; run `npm run build` first.");
}

/** argv of `sluice step exec -` with this Node: what a node runs for one step (spec JSON on stdin). */
export function stepExecCommand(): { command: string; args: string[] } {
  return { command: process.execPath, args: [sluiceCliPath(), "step", "exec", "-"] };
}

/** argv of `sluice step serve`, the warm step process a Ray worker keeps (results on the fd "{resultFd}" stands for). */
export function stepServeCommand(): { command: string; args: string[] } {
  return { command: process.execPath, args: [sluiceCliPath(), "step", "serve", "--result-fd", "{resultFd}"] };
}

/** A child that broke (killed, crashed, printed no result) is reported as a failed attempt of the step. */
function brokenResult(task: StepTask, why: string): StepResult {
  return stepResult(task.spec, { files: [], error: new PipelineError(`step ${task.spec.stepId}: sluice step exec ${why}`) });
}

export class SubprocessExecutor implements Executor {
  readonly name = "subprocess";
  readonly inProcess = false;
  private readonly children = new Set<ReturnType<typeof spawn>>();

  async run(task: StepTask, hooks: StepHooks): Promise<StepResult> {
    const { command, args } = stepExecCommand();
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], env: process.env });
    this.children.add(child);
    const stop = () => child.kill("SIGTERM");
    if (hooks.signal.aborted) stop();
    else hooks.signal.addEventListener("abort", stop, { once: true });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    // stderr carries the step's log lines as they happen (and the CLI's error paragraph).
    let pending = "";
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) if (line) hooks.log(line);
    });
    child.stdin!.on("error", () => {}); // a child that dies at once: its exit says why
    child.stdin!.end(toJson(task.spec));
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
      child.on("close", (c, s) => resolve([c, s]));
      child.on("error", (error) => ((stderr += String(error)), resolve([null, null])));
    });
    this.children.delete(child);
    hooks.signal.removeEventListener("abort", stop);
    const last = stdout.trim().split("\n").pop() ?? "";
    let result: StepResult | undefined;
    try {
      result = JSON.parse(last) as StepResult;
    } catch {
      result = undefined;
    }
    if (!result || typeof result.ok !== "boolean" || !Array.isArray(result.files)) {
      const tail = stderr.trim().split("\n").slice(-3).join(" | ");
      return brokenResult(task, `${signal ? `was killed by ${signal}` : `exited with code ${code}`} without a result${tail ? `: ${tail}` : ""}`);
    }
    // Log lines already came through stderr.
    return { ...result, events: [] };
  }

  async close(): Promise<void> {
    for (const child of this.children) child.kill("SIGTERM");
  }
}
