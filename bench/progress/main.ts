// What live progress costs a job that reports a lot: 10,000 partitions × (stage.progress + job.progress),
// emitted as fast as possible in slices of 500 (like an async engine between awaits).
// Compared in the same process against (a) no listener at all and (b) naive forwarding, where every
// event is its own comm message (what floods sparkmonitor-style frontends).
import type { Comm, DisplayOptions, Host, MimeBundle } from "../../src/host/index.js";
import { emitProgress, onProgress, ProgressPublisher, PROGRESS_COMM_TARGET } from "../../src/progress/index.js";

const PARTITIONS = 10_000;
const ROUNDS = 5;

/** Counts what a kernel would serialize onto IOPub. */
class CountingHost implements Host {
  messages = 0;
  bytes = 0;
  displays = 0;
  private onOpen: ((comm: Comm, data: unknown) => void) | undefined;
  display(bundle: MimeBundle, _options?: DisplayOptions): void {
    this.displays += 1;
    this.bytes += JSON.stringify(bundle).length;
  }
  registerCommTarget(_target: string, onOpen: (comm: Comm, data: unknown) => void): void {
    this.onOpen = onOpen;
  }
  openComm(): Comm {
    throw new Error("not used");
  }
  currentCellId(): string | undefined {
    return "cell";
  }
  frontend(): void {
    const host = this;
    const comm: Comm = {
      commId: "c",
      targetName: PROGRESS_COMM_TARGET,
      send(data) {
        host.messages += 1;
        host.bytes += JSON.stringify(data).length;
      },
      close() {},
      onMessage() {},
      onClose() {},
    };
    this.onOpen?.(comm, {});
  }
}

async function job(jobId: string): Promise<number> {
  const t0 = performance.now();
  emitProgress({ type: "job.start", jobId, description: "bench", startedAt: Date.now() });
  emitProgress({ type: "stage.start", jobId, stageId: "s", name: "scan", tasksTotal: PARTITIONS, tasksDone: 0, rows: 0, bytes: 0 });
  for (let t = 1; t <= PARTITIONS; t++) {
    emitProgress({ type: "stage.progress", jobId, stageId: "s", name: "scan", tasksTotal: PARTITIONS, tasksDone: t, rows: t * 100, bytes: t * 800 });
    emitProgress({ type: "job.progress", jobId, percent: (100 * t) / PARTITIONS, rowsProcessed: t * 100, rowsTotal: PARTITIONS * 100, elapsedMs: performance.now() - t0 });
    if (t % 500 === 0) await new Promise((r) => setImmediate(r));
  }
  emitProgress({ type: "stage.end", jobId, stageId: "s", name: "scan", tasksTotal: PARTITIONS, tasksDone: PARTITIONS, rows: PARTITIONS * 100, bytes: PARTITIONS * 800 });
  emitProgress({ type: "job.end", jobId, status: "succeeded", endedAt: Date.now(), operators: [] });
  return performance.now() - t0;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

let seq = 0;
async function measure(setup: () => { host?: CountingHost; stop(): void }) {
  const times: number[] = [];
  let messages = 0;
  let bytes = 0;
  let displays = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const s = setup();
    times.push(await job(`bench-${++seq}`));
    await new Promise((resolve) => setTimeout(resolve, 300)); // let the last batch go out
    s.stop();
    messages += s.host?.messages ?? 0;
    bytes += s.host?.bytes ?? 0;
    displays += s.host?.displays ?? 0;
  }
  return { ms: median(times), messages: messages / ROUNDS, bytes: bytes / ROUNDS, displays: displays / ROUNDS };
}

const none = await measure(() => ({ stop() {} }));
const naive = await measure(() => {
  const host = new CountingHost();
  const off = onProgress((e) => {
    host.messages += 1;
    host.bytes += JSON.stringify({ type: "events", events: [e] }).length;
  });
  return { host, stop: off };
});
const sluice = await measure(() => {
  const host = new CountingHost();
  const publisher = new ProgressPublisher(host).start();
  host.frontend();
  return { host, stop: () => publisher.stop() };
});

const events = PARTITIONS * 2 + 4;
console.log(`one job, ${PARTITIONS.toLocaleString("en-US")} partitions, ${events.toLocaleString("en-US")} events; median of ${ROUNDS} rounds`);
console.log("| listener | job time | × no listener | comm messages | bytes sent | inline displays |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const [name, m] of [
  ["none (baseline)", none],
  ["naive: one message per event", naive],
  ["Sluice publisher (throttled, coalesced)", sluice],
] as const) {
  console.log(
    `| ${name} | ${m.ms.toFixed(1)} ms | ${(m.ms / none.ms).toFixed(2)} | ${Math.round(m.messages).toLocaleString("en-US")} | ${Math.round(m.bytes).toLocaleString("en-US")} | ${Math.round(m.displays)} |`,
  );
}
console.log(`messages vs naive: ${(sluice.messages / naive.messages).toExponential(2)}; bytes vs naive: ${(sluice.bytes / naive.bytes).toFixed(4)}`);
