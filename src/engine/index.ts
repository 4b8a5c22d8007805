export { configureEngine, engineConfig, type EngineConfig } from "./instance.js";
export { CancelledError, EngineError, SourceError } from "./errors.js";
