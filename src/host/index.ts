// The seam between the library and whatever process hosts it. Inside the Sluice kernel the kernel
// installs a host at start-up, so library code can publish rich output and talk over comms without
// importing kernel code; in a plain Node process there is no host and these calls are no-ops.

export type MimeBundle = Record<string, unknown>;

export interface DisplayOptions {
  displayId?: string;
  update?: boolean;
  metadata?: Record<string, unknown>;
  transient?: Record<string, unknown>;
}

export interface Comm {
  readonly commId: string;
  readonly targetName: string;
  send(data: unknown, buffers?: ArrayBufferView[]): void;
  close(data?: unknown): void;
  onMessage(handler: (data: unknown, buffers: Buffer[]) => void): void;
  onClose(handler: (data: unknown) => void): void;
}

export interface OpenCommOptions {
  /** The comm_open message's metadata (the widget protocol puts its version there). */
  metadata?: Record<string, unknown>;
  /** Binary buffers sent with the comm_open. */
  buffers?: ArrayBufferView[];
}

export interface Host {
  /** Publishes display_data (or update_display_data when options.update is set). */
  display(bundle: MimeBundle, options?: DisplayOptions): void;
  /** Registers a comm target that frontends may open. */
  registerCommTarget(targetName: string, onOpen: (comm: Comm, data: unknown) => void): void;
  /** Opens a comm from the kernel side. */
  openComm(targetName: string, data?: unknown, options?: OpenCommOptions): Comm;
  /** The msg_id of the request whose output is being published now (an Output widget captures it). */
  currentParentMsgId?(): string | undefined;
  /** The id of the cell now executing (from the execute_request metadata), if known. */
  currentCellId(): string | undefined;
  /** Calls `callback` each time a cell's code has finished, before its result and reply are sent. */
  onCellEnd?(callback: () => void): void;
}

let host: Host | undefined;

export function setHost(next: Host | undefined): void {
  host = next;
}

export function getHost(): Host | undefined {
  return host;
}
