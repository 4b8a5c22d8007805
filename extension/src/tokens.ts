import { Kernel } from '@jupyterlab/services';
import { Token } from '@lumino/coreutils';
import { ProgressConnection } from './connection';

/** Finds the progress stream of a kernel (one per kernel, shared by every view of it). */
export interface ISluiceJobs {
  connect(kernel: Kernel.IKernelConnection): ProgressConnection;
}

export const ISluiceJobs = new Token<ISluiceJobs>('sluice-jupyterlab:ISluiceJobs', 'The Sluice jobs of each kernel.');
