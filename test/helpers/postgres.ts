// A private PostgreSQL 15 server for one test file: initdb in a temporary folder, listening on 127.0.0.1
// and a private socket folder, stopped by pid (SIGINT = fast shutdown) in afterAll. As root, the server runs
// as the `postgres` user (initdb and postgres refuse root). scripts/test-setup.mjs installs postgresql-15.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./ports.js";
import { isRunning } from "./processes.js";

export const PG_BIN = process.env.SLUICE_TEST_PG_BIN ?? "/usr/lib/postgresql/15/bin";

export interface PostgresServer {
  port: number;
  dir: string;
  /** The postmaster's pid (what stop() signals). */
  pid(): number;
  /** postgres://postgres@127.0.0.1:PORT/NAME */
  url(database?: string): string;
  /** A new, empty database; its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server (fast shutdown, by pid) and waits until it is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data folder. */
  start(): void;
  /** Stops it and removes its folder (afterAll). */
  destroy(): Promise<void>;
}

function asPostgres(command: string, args: string[]): void {
  const root = process.getuid?.() === 0;
  const r = root ? spawnSync("runuser", ["-u", "postgres", "--", join(PG_BIN, command), ...args], { encoding: "utf8" }) : spawnSync(join(PG_BIN, command), args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (exit ${r.status ?? r.signal}): ${r.stderr}${r.stdout}`);
}

let databases = 0;

export async function startPostgres(): Promise<PostgresServer> {
  if (!existsSync(join(PG_BIN, "initdb"))) throw new Error(`PostgreSQL 15 is not installed (${PG_BIN}): apt-get install -y postgresql-15 (scripts/test-setup.mjs does)`);
  const dir = mkdtempSync(join(tmpdir(), "sluice-pg-"));
  chmodSync(dir, 0o700);
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, "data");
  asPostgres("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"]);
  const port = await freePort();
  const start = () => asPostgres("pg_ctl", ["-D", data, "-w", "-l", join(dir, "log"), "-o", `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir}`, "start"]);
  const pid = () => Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]);
  start();
  const url = (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const stop = async () => {
    if (!existsSync(join(data, "postmaster.pid"))) return;
    const p = pid();
    try {
      process.kill(p, "SIGINT"); // fast shutdown: ends sessions, checkpoints, exits
    } catch {
      return;
    }
    for (let i = 0; i < 600 && isRunning(p); i++) await new Promise((r) => setTimeout(r, 50));
    if (isRunning(p)) process.kill(p, "SIGKILL");
  };
  return {
    port,
    dir,
    pid,
    url,
    start,
    stop,
    async createDatabase(name = `t${process.pid}_${++databases}`) {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
