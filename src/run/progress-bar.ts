// The stderr progress line of `sluice run`: cell i/n, a bar, elapsed time, the current cell's first line.
import { sourceText } from "./notebook.js";
import type { CellEvent } from "./executor.js";

export class ProgressBar {
  private readonly started = Date.now();
  private current: CellEvent | undefined;
  private timer: NodeJS.Timeout | undefined;
  private shown = false;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  onCell(e: CellEvent): void {
    this.current = e.phase === "start" ? e : { ...e, index: e.index + 1 };
    this.render();
    if (!this.timer) {
      this.timer = setInterval(() => this.render(), 250);
      this.timer.unref();
    }
  }

  /** Clears the line so other stderr text can be written; the next render draws it again. */
  clear(): void {
    if (this.shown) this.stream.write("\r\x1b[2K");
    this.shown = false;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
  }

  private render(): void {
    const e = this.current;
    if (!e) return;
    const width = Math.max(40, (this.stream.columns || 80) - 1);
    const done = e.phase === "start" ? e.index : e.index;
    const barWidth = 20;
    const filled = e.total ? Math.round((done / e.total) * barWidth) : barWidth;
    const elapsed = (Date.now() - this.started) / 1000;
    const mins = Math.floor(elapsed / 60);
    const secs = (elapsed % 60).toFixed(1).padStart(4, "0");
    const label = `cell ${Math.min(e.index + (e.phase === "start" ? 1 : 0), e.total)}/${e.total}`;
    const head = `${label} ${"█".repeat(filled)}${"░".repeat(barWidth - filled)} ${mins}:${secs} `;
    const first = e.phase === "start" ? sourceText(e.cell.source).split("\n")[0].trim() : "";
    const line = (head + first).slice(0, width);
    this.stream.write(`\r\x1b[2K${line}`);
    this.shown = true;
  }
}
