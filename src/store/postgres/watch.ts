// Live catalog events from PostgreSQL: one async connection LISTENs on the channel the catalog's write
// transactions NOTIFY on commit (queries.ts), so another runner, `sluice assets` or JupyterLab sees a new
// materialization at once, without polling. A lost connection is re-opened with backoff and announced
// as a "reconnected" event (what was committed in between was not pushed: re-read).
import pg from "pg";
import { NOTIFY_CHANNEL } from "../queries.js";
import { CatalogUnavailableError } from "../errors.js";
import type { CatalogEvent } from "./catalog.js";

export interface CatalogWatch {
  close(): Promise<void>;
}

export async function listen(url: string, display: string, listener: (event: CatalogEvent) => void): Promise<CatalogWatch> {
  let closed = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url, keepAlive: true, application_name: "sluice watch" });
    c.on("notification", (message) => {
      if (message.channel !== NOTIFY_CHANNEL || !message.payload) return;
      try {
        listener(JSON.parse(message.payload) as CatalogEvent);
      } catch {
        // a listener's own error is not the connection's
      }
    });
    c.on("error", () => reconnect(c, 100));
    c.on("end", () => reconnect(c, 100));
    await c.connect();
    await c.query(`LISTEN ${NOTIFY_CHANNEL}`);
    client = c;
  };

  const reconnect = (lost: pg.Client, delay: number): void => {
    if (closed || client !== lost || retry) return;
    client = undefined;
    void lost.end().catch(() => undefined);
    retry = setTimeout(() => {
      retry = undefined;
      connect().then(
        () => listener({ type: "reconnected" }),
        () => {
          client = lost; // let the next attempt run
          reconnect(lost, Math.min(delay * 2, 5_000));
        },
      );
    }, delay);
    retry.unref();
  };

  try {
    await connect();
  } catch (error) {
    throw new CatalogUnavailableError(display, `cannot listen for live updates: ${(error as Error).message}`, 0);
  }
  return {
    close: async () => {
      closed = true;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}
