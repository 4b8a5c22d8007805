// The public API of the `sluice` package. Each area exports from its own folder's index.
export * from "./progress/index.js";
export * from "./host/index.js";
export * from "./run/index.js";
export * from "./frame/index.js";
export * from "./store/index.js";
export * from "./pipeline/index.js";
export * from "./daemon/index.js";
export * from "./context/index.js";
export * from "./widgets/index.js";
