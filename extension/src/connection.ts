import { Kernel, KernelMessage as KM } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';
import { COMM_TARGET, KernelMessage, PanelMessage } from './protocol';
import { JobStore } from './store';

// One kernel's progress stream: opens comm `sluice.progress`, asks for the last jobs (`sync`),
// folds the event batches into a JobStore, and opens a new comm after a kernel restart. The store
// keeps the jobs of the kernel's earlier lives (a restart marks the running ones lost).

export type ConnectionState = 'connecting' | 'connected' | 'restarting' | 'unavailable' | 'disposed';

export class ProgressConnection {
  readonly store: JobStore;
  private comm: Kernel.IComm | undefined;
  private _state: ConnectionState = 'connecting';
  private _notice = '';
  private readonly _stateChanged = new Signal<this, void>(this);

  constructor(readonly kernel: Kernel.IKernelConnection) {
    // By kernel id, which a restart keeps: the history survives restarts and page reloads.
    this.store = new JobStore(`sluice-jobs:${kernel.id}`);
    kernel.statusChanged.connect(this.onStatus, this);
    kernel.disposed.connect(() => this.dispose());
    void this.open();
  }

  get state(): ConnectionState {
    return this._state;
  }

  /** The last thing the kernel said about a request (e.g. the answer to cancel). */
  get notice(): string {
    return this._notice;
  }

  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /** Asks the kernel to cancel a running job; the job's end arrives as events. */
  cancel(jobId: string): void {
    this._notice = `cancelling ${jobId}…`;
    this._stateChanged.emit();
    this.send({ type: 'cancel', jobId });
  }

  /** Asks the kernel again for its last jobs. */
  sync(): void {
    this.send({ type: 'sync' });
  }

  dispose(): void {
    if (this._state === 'disposed') return;
    this.setState('disposed');
    this.kernel.statusChanged.disconnect(this.onStatus, this);
    try {
      if (this.comm && !this.comm.isDisposed && !this.kernel.isDisposed) this.comm.close();
    } catch {
      // The kernel is gone already.
    }
    this.comm = undefined;
    this.store.dispose();
    Signal.clearData(this);
  }

  private async open(): Promise<void> {
    if (this._state === 'disposed' || this.kernel.isDisposed) return;
    this.setState('connecting');
    const comm = this.kernel.createComm(COMM_TARGET);
    this.comm = comm;
    comm.onMsg = (msg: KM.ICommMsgMsg) => this.receive(msg.content.data as unknown as KernelMessage);
    comm.onClose = (msg: KM.ICommCloseMsg) => {
      if (this.comm !== comm) return;
      this.comm = undefined;
      const error = (msg.content.data as { error?: string } | undefined)?.error;
      this._notice = error ?? 'the kernel closed the progress channel';
      // A kernel without the target (not a Sluice kernel) closes the comm at once.
      if (this._state !== 'disposed' && this._state !== 'restarting') this.setState('unavailable');
    };
    try {
      await comm.open({}).done;
      if (this.comm !== comm) return;
      comm.send({ type: 'sync' } satisfies PanelMessage);
      if (this._state === 'connecting') this.setState('connected');
    } catch (error) {
      if (this.comm === comm) {
        this._notice = `could not open ${COMM_TARGET}: ${(error as Error).message}`;
        this.setState('unavailable');
      }
    }
  }

  private send(message: PanelMessage): void {
    if (!this.comm || this.comm.isDisposed) {
      this._notice = 'not connected to the kernel';
      this._stateChanged.emit();
      return;
    }
    this.comm.send(message as unknown as Record<string, never>);
  }

  private receive(message: KernelMessage): void {
    if (this._state === 'connecting') this.setState('connected');
    switch (message.type) {
      case 'events':
        this.store.applyEvents(message.events);
        // The answer to a cancel is not news once the job has ended.
        for (const e of message.events) {
          if (e.type === 'job.end' && this._notice.includes(e.jobId)) {
            this._notice = `job ${e.jobId} ${e.status}`;
            this._stateChanged.emit();
          }
        }
        break;
      case 'sync':
        this.store.applySync(message.jobs, message.session);
        break;
      case 'cancel':
      case 'error':
        this._notice = message.message;
        this._stateChanged.emit();
        break;
    }
  }

  private onStatus(_: Kernel.IKernelConnection, status: Kernel.Status): void {
    if (status === 'restarting' || status === 'autorestarting' || status === 'dead') {
      // A new kernel process knows nothing of the old jobs, and the old comm died with it: the jobs
      // it was running are lost, the finished ones stay in the history.
      this.comm = undefined;
      this.store.markLost();
      this.setState('restarting');
    } else if (status === 'idle' && this._state === 'restarting') {
      void this.open();
    }
  }

  private setState(state: ConnectionState): void {
    this._state = state;
    this._stateChanged.emit();
  }
}
