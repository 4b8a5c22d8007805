// The lazy dataframe API: `import { scan, col, lit, when, ... } from "sluice"`.
export { LazyFrame, GroupBy, type JoinOptions, type SortOptions, type FrameWriter } from "./lazy.js";
export { DataFrame } from "./dataframe.js";
export { Expression, col, lit, when, count, coalesce, concatStr, struct, type ExprInput } from "./expr.js";
export { scan, fromArrow, fromRecords, fromColumns, fromDanfo } from "./sources.js";
export { Explain, Profile } from "./explain.js";
export * from "./analytics.js";
export { Chart, type PlotOptions, type HistogramOptions } from "./plot.js";
export { FRAME_MIME, PLAN_MIME, VEGALITE_MIME } from "./display.js";
export { configureEngine, engineConfig, type EngineConfig, CancelledError, EngineError, SourceError } from "../engine/index.js";
export { SluiceError, ColumnNotFoundError, TypeMismatchError, InvalidArgumentError } from "../plan/errors.js";
export { PASSES, PASS_NAMES, optimize, type Pass, type PassName, type OptimizerFlags } from "../plan/optimizer.js";
