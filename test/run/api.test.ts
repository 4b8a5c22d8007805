// The programmatic API a pipeline runner builds on: executeNotebook(input, options) with context, env,
// events from the notebook (application/vnd.sluice.event+json), abort, and the returned summary.
import { describe, it, expect } from "vitest";
import { join } from "node:path";
import { executeNotebook, SLUICE_EVENT_MIME, ParameterError, KernelNotFoundError, readNotebook } from "../../src/run/index.js";
import { notebook, outputsText, tempDir } from "./helpers.js";

describe("executeNotebook", () => {
  it("passes context and env to the kernel, routes Sluice events to onEvent and keeps them out of the outputs", async () => {
    const nb = notebook([
      { source: "day = '2024-01-01'", tags: ["parameters"] },
      [
        "import os, json",
        "from IPython.display import display",
        "ctx = json.loads(os.environ['SLUICE_CONTEXT'])",
        "display({'" + SLUICE_EVENT_MIME + "': {'type': 'asset', 'key': ctx['op'] + '/' + ctx['partitionKey']}}, raw=True)",
        "print(ctx['params']['day'], ctx['runId'], os.environ['EXTRA'])",
        "display({'text/plain': 'visible'}, raw=True)",
      ].join("\n"),
    ]);
    const events: Array<{ event: unknown; cellIndex: number }> = [];
    const cells: string[] = [];
    const output = join(tempDir(), "out.ipynb");
    const { notebook: out, summary } = await executeNotebook(nb as any, {
      parameters: { day: "2024-02-02" },
      runId: "run-42",
      partitionKey: "2024-02-02",
      context: { op: "clicks" },
      env: { EXTRA: "yes" },
      outputPath: output,
      onEvent: (event, info) => events.push({ event, cellIndex: info.cellIndex }),
      onCell: (e) => cells.push(`${e.phase}:${e.index + 1}/${e.total}${e.status ? ":" + e.status : ""}`),
    });
    expect(summary).toMatchObject({ status: "succeeded", exitCode: 0, runId: "run-42", parameters: { day: "2024-02-02" }, cellsTotal: 3, cellsExecuted: 3 });
    expect(events).toEqual([{ event: { type: "asset", key: "clicks/2024-02-02" }, cellIndex: 2 }]);
    expect(cells).toEqual(["start:1/3", "end:1/3:completed", "start:2/3", "end:2/3:completed", "start:3/3", "end:3/3:completed"]);
    const outputs = out.cells[2].outputs!;
    expect(outputs.map((o) => o.output_type)).toEqual(["stream", "display_data"]);
    expect(outputsText(out.cells[2])).toBe("2024-02-02 run-42 yes\nvisible");
    // the saved file is the returned notebook
    expect(readNotebook(output).metadata.sluice).toEqual(out.metadata.sluice);
    // the input object is left as it was
    expect(nb.cells).toHaveLength(2);
  });

  it("an abort signal interrupts the running cell and returns status interrupted (130)", async () => {
    const nb = notebook(["import time\nprint('looping', flush=True)\nfor i in range(600): time.sleep(0.1)"]);
    const abort = new AbortController();
    // Abort once the cell's own code runs: ipykernel drops a request interrupted while it sets it up.
    const run = executeNotebook(nb as any, { signal: abort.signal, onOutput: () => abort.abort() });
    const { summary, notebook: out } = await run;
    expect(summary).toMatchObject({ status: "interrupted", exitCode: 130, error: { kind: "interrupted" } });
    expect(out.cells.some((c) => c.outputs?.some((o) => o.ename === "KeyboardInterrupt"))).toBe(true);
  });

  it("throws typed errors for bad parameters and unknown kernels before running", async () => {
    const nb = notebook([{ source: "n: int = 1", tags: ["parameters"] }, "n"]);
    await expect(executeNotebook(nb as any, { parameters: { n: "x" } })).rejects.toBeInstanceOf(ParameterError);
    await expect(executeNotebook(nb as any, { kernelName: "no-such" })).rejects.toBeInstanceOf(KernelNotFoundError);
    await expect(executeNotebook(nb as any, { parametres: { n: 2 } } as never)).rejects.toThrow('executeNotebook: unknown option "parametres"; did you mean "parameters"?');
  });

  it("update_display_data and clear_output shape the saved outputs like nbclient", async () => {
    const nb = notebook([
      "from IPython.display import display, update_display, clear_output\nh = display('first', display_id='d1')\nprint('a'); print('b')",
      "update_display('updated', display_id='d1')\nprint('x')\nclear_output(wait=True)\nprint('y')",
    ]);
    const { notebook: out } = await executeNotebook(nb as any, {});
    expect(out.cells[0].outputs).toEqual([
      { output_type: "display_data", data: { "text/plain": "'updated'" }, metadata: {} },
      { output_type: "stream", name: "stdout", text: "a\nb\n" },
    ]);
    expect(out.cells[1].outputs).toEqual([{ output_type: "stream", name: "stdout", text: "y\n" }]);
  });

  it("runs several notebooks at once in one process, each with its own kernel and parameters", async () => {
    const nb = notebook([{ source: "i: int = 0", tags: ["parameters"] }, "import os, json\nprint(i * 10, json.loads(os.environ['SLUICE_CONTEXT'])['runId'])"]);
    const runs = await Promise.all([1, 2, 3].map((i) => executeNotebook(nb as any, { parameters: { i }, runId: `r${i}` })));
    expect(runs.map((r) => outputsText(r.notebook.cells[2]))).toEqual(["10 r1\n", "20 r2\n", "30 r3\n"]);
  });
});
