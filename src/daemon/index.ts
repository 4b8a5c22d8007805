export { schedule, ticksBetween, nextTick } from "./schedules.js";
export type { ScheduleDef, ScheduleOptions } from "./schedules.js";
export { fileSensor, assetSensor } from "./sensors.js";
export type { SensorDef, FileSensorOptions, AssetSensorOptions, SensedFile } from "./sensors.js";
export { Daemon } from "./daemon.js";
export type { DaemonOptions, TickOutcome } from "./daemon.js";
