// execute_request: execute_input, then the cell's output, a type-error warning (if any), the
// execute_result and the reply.
import { setTimeout as delay } from "node:timers/promises";
import type { Kernel } from "../kernel.js";
import type { Message } from "../../src/jupyter/wire.js";
import { formatError } from "../runner/errors.js";
import * as language from "../language/client.js";
import type { TypeProblem } from "../language/service.js";
import { toBundle } from "../output/display.js";
import { runCellScope } from "../output/scope.js";

export async function executeRequest(request: Message, kernel: Kernel): Promise<Record<string, unknown>> {
  const { code = "", silent = false, store_history = true, allow_stdin = true, user_expressions = {} } = request.content;
  const stored = Boolean(store_history) && !silent;
  if (stored) kernel.executionCount += 1;
  const count = kernel.executionCount;
  if (!silent) kernel.publisher.publish("execute_input", { code, execution_count: count }, request);
  if (stored) kernel.history.add(count, code);

  const scope = { parent: request, allowStdin: Boolean(allow_stdin), cellId: cellIdOf(request), silent: Boolean(silent) };
  const label = stored ? `In [${count}]` : "<silent>";
  // Type-checked on the language thread while the cell runs; never started for a cold service (a
  // batch run never loads it) and never waited for beyond a short grace after the cell.
  const typeCheck = stored && language.isWarm() ? language.check([...kernel.history.succeeded], code).catch(() => undefined) : undefined;
  try {
    const value = await runCellScope(scope, () => kernel.runner.run(code, label))
      .finally(() => runCellEndHooks(kernel))
      .finally(() => warnTypeProblems(kernel, request, label, typeCheck));
    if (!silent) kernel.history.succeeded.push(code);
    if (value !== undefined && !silent) {
      const data = toBundle(value);
      kernel.publisher.publish("execute_result", { execution_count: count, data, metadata: {} }, request);
      if (stored && typeof data["text/plain"] === "string") kernel.history.setOutput(count, data["text/plain"] as string);
    }
    return { status: "ok", execution_count: count, user_expressions: await evaluateExpressions(user_expressions, kernel), payload: [] };
  } catch (error) {
    const formatted = formatError(error, label);
    if (!silent) kernel.publisher.publish("error", { ...formatted }, request);
    return { status: "error", execution_count: count, ...formatted };
  }
}

/**
 * How long a finished cell waits for its type check before replying without it; on a machine where
 * checks take longer than this, a cell does not wait at all (its warning shows if it ran long enough).
 */
const TYPE_CHECK_GRACE_MS = 150;

async function warnTypeProblems(kernel: Kernel, request: Message, label: string, check: Promise<TypeProblem[] | undefined> | undefined): Promise<void> {
  if (!check) return;
  const usual = language.lastCheckDuration();
  const grace = usual === undefined || usual < TYPE_CHECK_GRACE_MS ? TYPE_CHECK_GRACE_MS : 0;
  const stopWaiting = new AbortController();
  const late = delay(grace, undefined, { signal: stopWaiting.signal }).catch(() => undefined);
  const problems = await Promise.race([check, late]).finally(() => stopWaiting.abort());
  if (!problems?.length) return;
  const lines = problems.map((p) => `  ${label}:${p.line}:${p.column}  ${p.message.replace(/\n/g, "\n    ")} (TS${p.code})`);
  const head = `TypeScript warning: ${problems.length === 1 ? "a type error" : `${problems.length} type errors`} in ${label} (the cell ran anyway)`;
  kernel.publisher.stream("stderr", `${head}\n${lines.join("\n")}\n`, request);
}

function runCellEndHooks(kernel: Kernel): void {
  for (const hook of kernel.cellEndHooks) {
    try {
      hook();
    } catch {
      // A library hook must never cost the cell its reply.
    }
  }
}

function cellIdOf(request: Message): string | undefined {
  const id = request.metadata?.cellId ?? request.metadata?.cell_id;
  return typeof id === "string" ? id : undefined;
}

async function evaluateExpressions(expressions: Record<string, string>, kernel: Kernel): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [name, expression] of Object.entries(expressions ?? {})) {
    try {
      const value = await kernel.runner.run(expression, `<user_expression ${name}>`);
      out[name] = { status: "ok", data: toBundle(value), metadata: {} };
    } catch (error) {
      out[name] = { status: "error", ...formatError(error, name) };
    }
  }
  return out;
}
