// Fragments as Ray tasks, through the cluster area's Ray helper (src/cluster/helper.ts): each task runs the
// same worker as the local mode (`node …/worker.js`, spec on stdin) on whichever node has a free CPU.
// Ray re-runs a task whose worker or node was lost, or whose command was killed; the parts land in the
// scratch folder, which must be the same path on every node (shared storage).
import { RayHelper } from "../../cluster/helper.js";
import type { FragmentRunner } from "./index.js";
import { workerPath } from "./local.js";
import type { WorkerResult } from "./protocol.js";

/** Ray runs a lost fragment again this many times before the query fails. */
const RAY_RETRIES = 3;

export async function openRayRunner(address: string): Promise<FragmentRunner> {
  const helper = await RayHelper.connect(address);
  return {
    where: `Ray ${address}`,
    async run(spec, signal) {
      const result = await helper.run(
        { cmd: [process.execPath, workerPath()], cwd: process.cwd(), stdin: JSON.stringify(spec), resources: { CPU: spec.threads }, maxRetries: RAY_RETRIES, name: "sluice-fragment" },
        signal,
      );
      const line = result.stdout.trim().split("\n").pop() ?? "";
      let parsed: WorkerResult | undefined;
      try {
        parsed = line.startsWith("{") ? (JSON.parse(line) as WorkerResult) : undefined;
      } catch {
        parsed = undefined;
      }
      if (!parsed) return { ok: false, error: `the fragment's process on ${result.node} exited ${result.exit} without a result: ${result.stderr.trim().slice(-2000)}` };
      return { ...parsed, host: result.node };
    },
    close: () => helper.close(),
  };
}
