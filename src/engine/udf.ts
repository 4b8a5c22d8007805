// JS functions registered with DuckDB as scalar functions (@duckdb/node-api's DuckDBScalarFunction), so a
// udf is an ordinary expression: it composes with every verb, runs inside the same query (no round trip
// of the rows through a separate JS stage), and DuckDB hands it one chunk (up to 2048 rows) per call.
// DuckDB runs the callbacks on the JS thread, one chunk at a time; a throw is caught here and reported
// with setError, which fails that query with the JS stack and leaves the engine and process healthy.
import {
  ANY,
  BIGINT,
  BOOLEAN,
  DOUBLE,
  DuckDBScalarFunction,
  JSDuckDBValueConverter,
  FLOAT,
  INTEGER,
  VARCHAR,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from "@duckdb/node-api";
import { InvalidArgumentError } from "../plan/errors.js";
import { connect } from "./instance.js";

const PREFIX = "sluice_udf_";

interface Udf {
  fn: (...args: never[]) => unknown;
  returns: string;
  label: string;
  volatile: boolean;
}

const OUTPUT: Record<string, { type: DuckDBType; out: (v: unknown) => unknown }> = {
  DOUBLE: { type: DOUBLE, out: (v) => (typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : bad(v, "a number")) },
  FLOAT: { type: FLOAT, out: (v) => (typeof v === "number" ? v : bad(v, "a number")) },
  BIGINT: { type: BIGINT, out: (v) => (typeof v === "bigint" ? v : Number.isInteger(v) ? BigInt(v as number) : bad(v, "an integer")) },
  INTEGER: { type: INTEGER, out: (v) => (Number.isInteger(v) ? v : bad(v, "an integer")) },
  VARCHAR: { type: VARCHAR, out: (v) => (typeof v === "string" ? v : bad(v, "a string")) },
  BOOLEAN: { type: BOOLEAN, out: (v) => (typeof v === "boolean" ? v : bad(v, "a boolean")) },
};

function bad(v: unknown, what: string): never {
  throw new TypeError(`returned ${typeof v === "string" ? JSON.stringify(v) : String(v)} (${typeof v}) where ${what} was declared`);
}

export const UDF_RETURN_TYPES = Object.keys(OUTPUT);

const udfs = new Map<string, Udf>();
const registered = new Map<string, Promise<void>>();
let holder: Promise<DuckDBConnection> | undefined;
let counter = 0;

/** Defines a JS function; returns the SQL name it is called by. */
export function defineUdf(fn: (...args: never[]) => unknown, returns: string, label: string, volatile = false): string {
  if (!OUTPUT[returns]) throw new InvalidArgumentError(`udf: returns must be one of ${UDF_RETURN_TYPES.join(", ")} (or double, int64, string, bool), got ${JSON.stringify(returns)}`);
  counter += 1;
  const id = `${PREFIX}${process.pid}_${counter}`;
  udfs.set(id, { fn, returns, label, volatile });
  return id;
}

export function isUdfId(id: string): boolean {
  return id.startsWith(PREFIX);
}

/** Registers the function once per engine; functions live in the catalog, seen by every connection. */
export function ensureUdfRegistered(id: string): Promise<void> {
  let p = registered.get(id);
  if (!p) {
    p = register(id);
    registered.set(id, p);
    p.catch(() => registered.delete(id));
  }
  return p;
}

/**
 * DuckDB values → what a JS function expects: numbers (bigint when too large), strings, booleans, Dates
 * (TIMESTAMP WITH TIME ZONE too), DECIMAL as a number, lists as arrays and structs as objects, at any depth
 * (node-api's JS converter, then exact integers narrowed to numbers).
 */
function jsArg(v: DuckDBValue, type: DuckDBType): unknown {
  return narrow(JSDuckDBValueConverter(v, type, JSDuckDBValueConverter));
}

function narrow(v: unknown): unknown {
  if (typeof v === "bigint") return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (Array.isArray(v)) return v.map(narrow);
  if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype)
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, narrow(x)]));
  return v;
}

async function register(id: string): Promise<void> {
  const udf = udfs.get(id);
  if (!udf) throw new InvalidArgumentError(`JS function ${id} is not defined in this process`);
  // A connection kept open for the life of the process: the registration belongs to the catalog,
  // but keeping its connection alive avoids depending on that detail.
  holder ??= connect();
  const conn = await holder;
  const { type, out } = OUTPUT[udf.returns];
  const fn = udf.fn as (...args: unknown[]) => unknown;
  conn.registerScalarFunction(
    DuckDBScalarFunction.create({
      name: id,
      returnType: type,
      varArgsType: ANY,
      volatile: udf.volatile,
      mainFunction: (info, input, output) => {
        let row = 0;
        try {
          const columns = Array.from({ length: input.columnCount }, (_, c) => input.getColumnVector(c));
          const args = new Array<unknown>(columns.length);
          for (; row < input.rowCount; row++) {
            let anyNull = false;
            for (let c = 0; c < columns.length; c++) {
              args[c] = jsArg(columns[c].getItem(row), columns[c].type);
              anyNull ||= args[c] === null;
            }
            // SQL's rule for functions: a null input gives null, and the JS function never sees it.
            const v = anyNull ? null : fn(...args);
            output.setItem(row, v === null || v === undefined ? null : (out(v) as never));
          }
          output.flush();
        } catch (err) {
          const e = err as Error;
          info.setError(`udf ${udf.label} failed on row ${row} of a chunk: ${e?.stack ?? String(err)}`);
        }
      },
    }),
  );
}
