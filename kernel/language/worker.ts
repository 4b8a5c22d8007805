// The language service on its own thread: loading TypeScript and the notebook's types takes
// seconds, and cells keep running on the main thread meanwhile.
import { parentPort, workerData } from "node:worker_threads";
import { LanguageService } from "./service.js";
import type { LanguageRequest, LanguageResponse } from "./client.js";

const service = new LanguageService((workerData as { cwd: string }).cwd);

parentPort!.on("message", (request: LanguageRequest) => {
  let response: LanguageResponse;
  try {
    const result =
      request.kind === "complete"
        ? service.complete(request.previousCells, request.code, request.cursor)
        : request.kind === "inspect"
          ? service.inspect(request.previousCells, request.code, request.cursor)
          : request.kind === "check"
            ? service.check(request.previousCells, request.code)
            : service.warm();
    response = { id: request.id, result };
  } catch (error) {
    response = { id: request.id, error: (error as Error).stack ?? String(error) };
  }
  parentPort!.postMessage(response);
});
