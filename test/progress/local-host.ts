import type { Comm, DisplayOptions, Host, MimeBundle } from "../../src/host/index.js";

// An in-process Host: what the kernel would put on IOPub (display_data, update_display_data,
// comm_msg) is kept as the list of messages a frontend would receive, and a "frontend" can open
// comms and send to the kernel side like a real one. Used until (and beside) the real kernel tests.

export interface PublishedDisplay {
  msgType: "display_data" | "update_display_data";
  data: MimeBundle;
  displayId?: string;
  cellId?: string;
  at: number;
}

export class LocalComm implements Comm {
  readonly received: unknown[] = [];
  closed = false;
  private messageHandlers: Array<(data: unknown, buffers: Buffer[]) => void> = [];
  private closeHandlers: Array<(data: unknown) => void> = [];

  constructor(
    readonly commId: string,
    readonly targetName: string,
  ) {}

  /** kernel → frontend */
  send(data: unknown): void {
    if (this.closed) throw new Error(`comm ${this.commId} is closed`);
    // What crosses the wire is JSON: a frontend never shares objects with the kernel.
    this.received.push(JSON.parse(JSON.stringify(data)));
  }

  close(data?: unknown): void {
    this.closed = true;
    for (const handler of this.closeHandlers) handler(data);
  }

  onMessage(handler: (data: unknown, buffers: Buffer[]) => void): void {
    this.messageHandlers.push(handler);
  }

  onClose(handler: (data: unknown) => void): void {
    this.closeHandlers.push(handler);
  }

  /** frontend → kernel */
  deliver(data: unknown): void {
    for (const handler of this.messageHandlers) handler(JSON.parse(JSON.stringify(data)), []);
  }
}

export class LocalHost implements Host {
  readonly displays: PublishedDisplay[] = [];
  cellId: string | undefined = "cell-1";
  private readonly targets = new Map<string, (comm: Comm, data: unknown) => void>();
  private commCounter = 0;

  display(bundle: MimeBundle, options: DisplayOptions = {}): void {
    this.displays.push({
      msgType: options.update ? "update_display_data" : "display_data",
      data: JSON.parse(JSON.stringify(bundle)) as MimeBundle,
      displayId: options.displayId,
      cellId: this.cellId,
      at: Date.now(),
    });
  }

  registerCommTarget(targetName: string, onOpen: (comm: Comm, data: unknown) => void): void {
    this.targets.set(targetName, onOpen);
  }

  openComm(targetName: string): Comm {
    return new LocalComm(`kernel-${++this.commCounter}`, targetName);
  }

  currentCellId(): string | undefined {
    return this.cellId;
  }

  private readonly cellEndHooks: Array<() => void> = [];

  onCellEnd(callback: () => void): void {
    this.cellEndHooks.push(callback);
  }

  /** What the kernel does when a cell's execution finishes (before its reply). */
  endCell(): void {
    for (const hook of this.cellEndHooks) hook();
  }

  /** What a frontend's comm_open does; fails like the kernel would when the target is unknown. */
  frontendOpen(targetName: string, data: unknown = {}): LocalComm {
    const onOpen = this.targets.get(targetName);
    if (!onOpen) throw new Error(`no comm target ${targetName}`);
    const comm = new LocalComm(`frontend-${++this.commCounter}`, targetName);
    onOpen(comm, data);
    return comm;
  }
}
