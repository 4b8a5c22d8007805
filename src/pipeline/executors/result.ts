// Helpers every executor uses to build a StepResult.
import { hostname } from "node:os";
import { CodeVersionMismatchError, PipelineLoadError, StepSpecError } from "../errors.js";
import { STEP_SPEC_VERSION, type ReportedCheck, type StepErrorInfo, type StepEvent, type StepFile, type StepResult, type StepSpec } from "./types.js";

/** A typed error as the result carries it; a refused step (bad spec, other code) is not worth a retry. */
export function errorInfo(error: unknown): StepErrorInfo {
  const e = error instanceof Error ? error : new Error(String(error));
  const refused = error instanceof StepSpecError || error instanceof CodeVersionMismatchError || error instanceof PipelineLoadError;
  return { type: e.name || "Error", message: e.message, retryable: !refused };
}

export function stepResult(spec: Pick<StepSpec, "stepId" | "attempt">, parts: { files: StepFile[]; events?: StepEvent[]; items?: unknown[]; checks?: ReportedCheck[]; partitionsAdded?: StepResult["partitionsAdded"]; error?: unknown }): StepResult {
  return {
    specVersion: STEP_SPEC_VERSION,
    stepId: spec.stepId,
    attempt: spec.attempt,
    ok: parts.error === undefined,
    files: parts.files,
    ...(parts.items !== undefined ? { items: parts.items } : {}),
    ...(parts.checks?.length ? { checks: parts.checks } : {}),
    ...(parts.partitionsAdded?.length ? { partitionsAdded: parts.partitionsAdded } : {}),
    events: parts.events ?? [],
    ...(parts.error !== undefined ? { error: errorInfo(parts.error) } : {}),
    host: hostname(),
    pid: process.pid,
  };
}

/** JSON of a result: big integers (metadata, items) as numbers when exact, else as strings. */
export function resultJson(result: StepResult): string {
  return toJson(result);
}

/** One line of JSON; big integers as numbers when exact, else as strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v));
}
