// Engine I/O when things go wrong: a query that fails part-way must fail the stream or the write (never a
// silently short result), and a failed write must leave what was at the target as it was.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scan, sql } from "../../src/index.js";

const dir = () => mkdtempSync(join(tmpdir(), "sluice-io-fail-"));

/** A CSV whose last line does not parse as the integer type sniffed from the lines before it. */
function lateBadCsv(d: string): string {
  const path = join(d, "late.csv");
  writeFileSync(path, "a\n" + "1\n".repeat(200_000) + "x\n");
  return path;
}

async function drain(stream: AsyncIterable<{ numRows: number }>): Promise<number> {
  let rows = 0;
  for await (const b of stream) rows += b.numRows;
  return rows;
}

describe("a query that fails part-way", () => {
  it("stream() raises the CSV conversion error instead of ending early", async () => {
    const frame = await scan.csv(lateBadCsv(dir()));
    await expect(drain(frame.stream())).rejects.toMatchObject({ name: "SourceError", message: expect.stringMatching(/CSV Error on Line: 200002/) });
  });

  it("stream() raises error() hit late in a large sql query", async () => {
    const q = await sql`SELECT CASE WHEN range > 3000000 THEN error('boom') ELSE range END AS x FROM range(5000000)`;
    await expect(drain(q.stream())).rejects.toMatchObject({ name: "EngineError", message: expect.stringMatching(/boom/) });
  });

  it("stream() of a query that succeeds still yields every row", async () => {
    const q = await sql`SELECT range AS x FROM range(300000)`;
    expect(await drain(q.stream())).toBe(300000);
  });

  it("write.arrow raises and keeps the existing file", async () => {
    const d = dir();
    const target = join(d, "out.arrow");
    await (await sql`SELECT 1 AS a`).write.arrow(target);
    const before = readFileSync(target);
    const frame = await scan.csv(lateBadCsv(d));
    await expect(frame.write.arrow(target)).rejects.toMatchObject({ name: "SourceError", message: expect.stringMatching(/CSV Error/) });
    expect(readFileSync(target).equals(before)).toBe(true);
    expect(await (await scan.arrow(target)).count()).toBe(1);
  });
});
