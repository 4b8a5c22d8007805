// How a date or timestamp cell reads in a table: shared by the library's HTML and text tables and the
// JupyterLab extension's frame renderer (which compiles this file: no Node-only imports here).
// A DATE shows its day; a TIMESTAMP reads as DuckDB prints it ("2024-03-01 09:30:00", milliseconds only
// when there are some), with "+00" when the column carries a time zone (values are in UTC).

const ISO = /^([+-]?\d{4,6}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d+)?Z$/;

/** True for the column types whose cells are dates or timestamps (they should not wrap). */
export function isTemporalType(type: string | undefined): boolean {
  return type === "DATE" || (type?.startsWith("TIMESTAMP") ?? false);
}

/** A DATE or TIMESTAMP cell (a Date, or the ISO text frame+json carries) as a table shows it; undefined for other cells. */
export function temporalText(value: unknown, type: string | undefined): string | undefined {
  if (!isTemporalType(type)) return undefined;
  const date = value instanceof Date ? value : typeof value === "string" && ISO.test(value) ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) return undefined;
  const m = ISO.exec(date.toISOString());
  if (!m) return undefined;
  const [, day, time, fraction] = m;
  if (type === "DATE") return day;
  const zone = type === "TIMESTAMP WITH TIME ZONE" || type === "TIMESTAMPTZ" ? "+00" : "";
  return `${day} ${time}${fraction && !/^\.0+$/.test(fraction) ? fraction : ""}${zone}`;
}
