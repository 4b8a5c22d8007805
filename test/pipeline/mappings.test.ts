// Partition mappings and multi-dimensional / dynamic partition definitions: pure functions, no store.
import { describe, expect, it } from "vitest";
import {
  bindPartitions,
  dailyPartitions,
  dynamicPartitions,
  dynamicSets,
  hourlyPartitions,
  multiPartitions,
  parseBackfill,
  PipelineUsageError,
  splitPartitionKey,
  staticPartitions,
} from "../../src/pipeline/index.js";
import {
  allPartitions,
  fnMapping,
  hourlyToDaily,
  identityMapping,
  lastNMapping,
  mappingProblems,
  planPartitions,
  timeWindowMapping,
} from "../../src/pipeline/mappings.js";

const hours = hourlyPartitions({ start: "2024-03-01T00" });
const days = dailyPartitions({ start: "2024-03-01" });

describe("partition mappings", () => {
  it("hourly → daily: a day reads its 24 hours, an hour feeds its day", () => {
    const m = hourlyToDaily();
    const up = m.upstream("2024-03-02", hours, days);
    expect(up).toHaveLength(24);
    expect(up[0]).toBe("2024-03-02T00");
    expect(up[23]).toBe("2024-03-02T23");
    expect(m.downstream("2024-03-02T17", hours, days)).toEqual(["2024-03-02"]);
  });

  it("time windows outside the upstream definition are left out; daily → hourly reads the containing day", () => {
    const late = hourlyPartitions({ start: "2024-03-01T20", end: "2024-03-02T01" });
    expect(timeWindowMapping().upstream("2024-03-01", late, days)).toEqual(["2024-03-01T20", "2024-03-01T21", "2024-03-01T22", "2024-03-01T23"]);
    expect(timeWindowMapping().upstream("2024-03-02T05", days, hours)).toEqual(["2024-03-02"]);
    expect(timeWindowMapping().downstream("2024-03-02", days, hours)).toHaveLength(24);
    expect(() => timeWindowMapping().upstream("2024-03-01", staticPartitions(["eu"]), days)).toThrow(/time-window partitions/);
  });

  it("identity checks the key against the upstream definition", () => {
    expect(identityMapping().upstream("2024-03-05", days, days)).toEqual(["2024-03-05"]);
    expect(() => identityMapping().upstream("2024-02-01", days, days)).toThrow(/before the first partition/);
  });

  it("a window of the last N partitions, clipped at the first", () => {
    const m = lastNMapping(3);
    expect(m.upstream("2024-03-05", days, days)).toEqual(["2024-03-03", "2024-03-04", "2024-03-05"]);
    expect(m.upstream("2024-03-02", days, days)).toEqual(["2024-03-01", "2024-03-02"]);
    expect(m.downstream("2024-03-03", days, days)).toEqual(["2024-03-03", "2024-03-04", "2024-03-05"]);
    const regions = staticPartitions(["a", "b", "c", "d"]);
    expect(m.upstream("d", regions, regions)).toEqual(["b", "c", "d"]);
    expect(m.downstream("c", regions, regions)).toEqual(["c", "d"]);
    expect(() => lastNMapping(0)).toThrow(PipelineUsageError);
  });

  it("all partitions (up to a given time for open-ended windows), also for an unpartitioned reader", () => {
    const until = () => Date.parse("2024-03-03T12:00:00Z");
    expect(allPartitions({ until }).upstream(undefined, days, undefined)).toEqual(["2024-03-01", "2024-03-02", "2024-03-03"]);
    expect(allPartitions().downstream("2024-03-01", days, undefined)).toEqual([undefined]);
  });

  it("a custom function, with downstream derived from it", () => {
    const regions = staticPartitions(["eu", "us", "world"]);
    const m = fnMapping("world reads all", (key) => (key === "world" ? ["eu", "us"] : [key!]));
    expect(m.upstream("world", regions, regions)).toEqual(["eu", "us"]);
    expect(m.downstream("eu", regions, regions)).toEqual(["eu", "world"]);
    expect(() => fnMapping("bad", () => ["mars"]).upstream("eu", regions, regions)).toThrow(/mars/);
  });

  it("plans the partitions each op runs for, following mappings both ways", () => {
    const ops = [
      { name: "hourly", partitions: hours, inputs: [] },
      { name: "daily", partitions: days, inputs: [{ from: "hourly", mapping: hourlyToDaily() }] },
      { name: "report", partitions: undefined, inputs: [{ from: "daily", mapping: allPartitions({ until: () => Date.parse("2024-03-02T00:00:00Z") }) }] },
    ];
    // An hourly backfill runs the days it touches.
    const a = planPartitions(ops, hours, ["2024-03-01T23", "2024-03-02T00"]);
    expect(a.get("hourly")).toEqual(["2024-03-01T23", "2024-03-02T00"]);
    expect(a.get("daily")).toEqual(["2024-03-01", "2024-03-02"]);
    expect(a.has("report")).toBe(false);
    // Nothing stored yet: a day runs only when the run holds all its 24 hours.
    const none = () => false;
    expect(planPartitions(ops, hours, ["2024-03-01T23", "2024-03-02T00"], none).has("daily")).toBe(false);
    expect(planPartitions(ops, hours, hours.range("2024-03-01T00", "2024-03-02T00"), none).get("daily")).toEqual(["2024-03-01"]);
    // A daily run runs its 24 hours.
    const b = planPartitions(ops, days, ["2024-03-02"]);
    expect(b.get("daily")).toEqual(["2024-03-02"]);
    expect(b.get("hourly")).toHaveLength(24);
    expect(mappingProblems(ops)).toEqual([]);
    expect(mappingProblems([ops[0]!, { name: "daily", partitions: days, inputs: [{ from: "hourly" }] }])[0]).toMatch(/declare a partition mapping/);
    expect(mappingProblems([ops[0]!, { name: "r", partitions: undefined, inputs: [{ from: "hourly" }] }])[0]).toMatch(/allPartitions\(\)/);
  });
});

describe("multi-dimensional partitions", () => {
  const customers = staticPartitions(["acme", "globex", "initech"]);
  const def = multiPartitions({ day: days, customer: customers });

  it("keys join one key per dimension with |, checked per dimension", () => {
    expect(def.check("2024-03-01|acme")).toBe("2024-03-01|acme");
    expect(splitPartitionKey(def, "2024-03-02|globex")).toEqual({ day: "2024-03-02", customer: "globex" });
    expect(() => def.check("2024-03-01")).toThrow(/has 1 part\(s\); a key of day\|customer has 2/);
    expect(() => def.check("2024-03-01|umbrella")).toThrow(/dimension customer: partition "umbrella" is not one of acme, globex, initech/);
    expect(def.example).toBe("2024-01-31|acme");
  });

  it("a backfill is a range of one dimension × a set of another, exactly those keys", () => {
    expect(parseBackfill(def, "2024-03-01..2024-03-03|acme,initech")).toEqual([
      "2024-03-01|acme", "2024-03-01|initech", "2024-03-02|acme", "2024-03-02|initech", "2024-03-03|acme", "2024-03-03|initech",
    ]);
    expect(parseBackfill(def, "2024-03-05|*")).toEqual(["2024-03-05|acme", "2024-03-05|globex", "2024-03-05|initech"]);
    expect(() => parseBackfill(def, "2024-03-01..2024-03-03")).toThrow(/one part per dimension \(day\|customer\)/);
    expect(() => parseBackfill(def, "2024-03-03..2024-03-01|acme")).toThrow(/dimension day: backfill .* runs backwards/);
    expect(() => parseBackfill(def, "2024-03-01|acme,acme")).toThrow(/twice/);
  });

  it("more than two dimensions", () => {
    const three = multiPartitions({ day: days, customer: customers, region: staticPartitions(["eu", "us"]) });
    expect(three.check("2024-03-01|acme|eu")).toBe("2024-03-01|acme|eu");
    const keys = parseBackfill(three, "2024-03-01..2024-03-02|globex|*");
    expect(keys).toEqual(["2024-03-01|globex|eu", "2024-03-01|globex|us", "2024-03-02|globex|eu", "2024-03-02|globex|us"]);
    expect(() => multiPartitions({ day: days })).toThrow(/at least two dimensions/);
  });

  it("dynamic sets (also as a dimension) are bound to the keys the catalog holds when a run starts", () => {
    const dyn = multiPartitions({ day: days, customer: dynamicPartitions("customers") });
    expect(dynamicSets(dyn)).toEqual(["customers"]);
    expect(() => dynamicPartitions("customers").check("x")).toThrow(/bindPartitions/);
    const bound = bindPartitions(dyn, (set) => (set === "customers" ? ["acme", "umbrella"] : []));
    expect(bound.check("2024-03-01|umbrella")).toBe("2024-03-01|umbrella");
    expect(() => bound.check("2024-03-01|globex")).toThrow(/sluice partitions add customers globex/);
    expect(bound.id).toBe(dyn.id); // the identity does not change as the set grows
  });
});
