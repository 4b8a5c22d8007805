export * from "./events.js";
export * from "./bus.js";
export * from "./jobs.js";
export * from "./comm.js";
export * from "./coalesce.js";
export * from "./render.js";
export * from "./inline.js";
export * from "./publisher.js";
