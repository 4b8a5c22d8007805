// The `sluice.progress` comm protocol and the fold of events into job snapshots come from the
// kernel's own sources (src/progress/{events,jobs,comm}.ts, compiled into this package by
// tsconfig.json), so the panel folds exactly as the kernel does for `sync`: a panel that reloads
// sees what a panel that stayed open saw.

export type { OperatorMetric, ProgressEvent } from '../../src/progress/events';
export { applyEvent, type JobSnapshot, type StageSnapshot } from '../../src/progress/jobs';
export {
  PROGRESS_COMM_TARGET as COMM_TARGET,
  type ProgressCommReply as KernelMessage,
  type ProgressCommRequest as PanelMessage,
  type TimedEvent
} from '../../src/progress/comm';
