// Scratch folders for fragments' parts: one per query, named after the driver's host and pid, removed when
// the query ends and, after a crash, by the next driver on that host (its owner pid is dead).
import { mkdir, readdir, rm } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";

const PREFIX = "fragments-";
let counter = 0;
const swept = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // exists, another user's
  }
}

/** Removes scratch folders left by drivers on this host that are no longer running; returns their paths. */
export async function gcScratch(root: string): Promise<string[]> {
  const names = await readdir(root).catch(() => [] as string[]);
  const host = hostname();
  const removed: string[] = [];
  for (const name of names) {
    const m = /^fragments-(.+)-(\d+)-\d+$/.exec(name);
    if (!m || m[1] !== host || Number(m[2]) === process.pid || alive(Number(m[2]))) continue;
    await rm(join(root, name), { recursive: true, force: true });
    removed.push(join(root, name));
  }
  return removed;
}

/** A new, empty scratch folder for one query (stale ones are swept once per process and root). */
export async function newScratchFolder(root: string): Promise<string> {
  await mkdir(root, { recursive: true });
  if (!swept.has(root)) {
    swept.add(root);
    await gcScratch(root);
  }
  counter += 1;
  const folder = join(root, `${PREFIX}${hostname()}-${process.pid}-${counter}`);
  await mkdir(folder, { recursive: true });
  return folder;
}
