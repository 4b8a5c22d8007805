import { Kernel, KernelMessage as KM } from '@jupyterlab/services';
import type { StoreReply, StoreRequest } from '../../src/browse/comm';
import { STORE_COMM_TARGET } from '../../src/browse/comm';

// Talks to one Sluice kernel over comm `sluice.store` (src/browse/comm.ts): request/reply by id.
// A kernel without the target closes the comm at once; pending requests then fail with its words.

export type { StoreReply, StoreRequest } from '../../src/browse/comm';

type Body<T extends StoreRequest['type']> = Omit<Extract<StoreRequest, { type: T }>, 'id'>;
type Answer<T extends StoreRequest['type']> = Extract<StoreReply, { type: T }>;

export class StoreRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreRequestError';
  }
}

export class StoreClient {
  private comm: Kernel.IComm | undefined;
  private opened: Promise<void> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: StoreReply) => void; reject: (e: Error) => void }>();
  private closedWith: string | undefined;

  constructor(readonly kernel: Kernel.IKernelConnection) {
    // A restart takes the comm with it, without a comm_close.
    kernel.statusChanged.connect((_, status) => {
      if (status === 'restarting' || status === 'autorestarting' || status === 'dead') this.fail(`the kernel ${status === 'dead' ? 'died' : 'restarted'}`);
    });
    kernel.disposed.connect(() => this.fail('the kernel was shut down'));
  }

  get isClosed(): boolean {
    return this.closedWith !== undefined || this.kernel.isDisposed;
  }

  async request<T extends StoreRequest['type']>(type: T, body: Omit<Body<T>, 'type'> = {} as Omit<Body<T>, 'type'>, timeoutMs = 60_000): Promise<Answer<T>> {
    await this.open();
    const comm = this.comm;
    if (!comm || comm.isDisposed) throw new StoreRequestError(this.closedWith ?? 'the store channel is closed');
    const id = this.nextId++;
    const reply = new Promise<StoreReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      window.setTimeout(() => {
        if (this.pending.delete(id)) reject(new StoreRequestError(`the kernel did not answer ${type} within ${timeoutMs / 1000} s (is it busy?)`));
      }, timeoutMs);
    });
    comm.send({ ...body, type, id } as unknown as Record<string, never>);
    const answer = await reply;
    if (answer.type === 'error') throw new StoreRequestError(answer.message);
    if (answer.type !== type) throw new StoreRequestError(`expected a ${type} reply, got ${answer.type}`);
    return answer as Answer<T>;
  }

  dispose(): void {
    try {
      if (this.comm && !this.comm.isDisposed && !this.kernel.isDisposed) this.comm.close();
    } catch {
      // The kernel is gone already.
    }
    this.fail('closed');
  }

  private open(): Promise<void> {
    if (this.closedWith !== undefined) return Promise.reject(new StoreRequestError(this.closedWith));
    this.opened ??= (async () => {
      const comm = this.kernel.createComm(STORE_COMM_TARGET);
      this.comm = comm;
      comm.onMsg = (msg: KM.ICommMsgMsg) => {
        const reply = msg.content.data as unknown as StoreReply;
        const waiting = this.pending.get(reply.id);
        if (!waiting) return;
        this.pending.delete(reply.id);
        waiting.resolve(reply);
      };
      comm.onClose = (msg: KM.ICommCloseMsg) => {
        const error = (msg.content.data as { error?: string } | undefined)?.error;
        this.fail(error ?? 'the kernel closed the store channel');
      };
      await comm.open({}).done;
    })();
    return this.opened;
  }

  private fail(message: string): void {
    this.closedWith ??= message;
    for (const { reject } of this.pending.values()) reject(new StoreRequestError(message));
    this.pending.clear();
  }
}
