import { Kernel } from '@jupyterlab/services';
import { ProgressConnection } from './connection';
import { ISluiceJobs } from './tokens';

export class SluiceJobs implements ISluiceJobs {
  private readonly connections = new Map<string, ProgressConnection>();

  connect(kernel: Kernel.IKernelConnection): ProgressConnection {
    // Keyed by the connection's client id: each kernel connection has its own comms.
    const key = `${kernel.id}/${kernel.clientId}`;
    let connection = this.connections.get(key);
    if (!connection || connection.state === 'disposed') {
      connection = new ProgressConnection(kernel);
      this.connections.set(key, connection);
      kernel.disposed.connect(() => this.connections.delete(key));
    }
    return connection;
  }
}
