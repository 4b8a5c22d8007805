// Ratings per decade and per source: a multi-dimensional partition set (decade × source), keys such as
// "1990s|filmfan". Each partition scores the decade's films by one source: cinedb's rating out of 10, or
// filmfan's stars (out of 5, ×2) of the same films as the title matching found them. It reads the catalog
// pipeline's assets, so run that first:
//
//   sluice pipeline run notebooks/catalog/pipeline.ts
//   sluice pipeline run notebooks/catalog/decades.ts --backfill '1980s..2000s|cinedb,filmfan'   # 6 partitions
//   sluice pipeline run notebooks/catalog/decades.ts --partition '1990s|filmfan'
import { col, count, fnOp, lit, multiPartitions, pipeline, staticPartitions, type LazyFrame } from "sluice";

const decades = staticPartitions(["1950s", "1960s", "1970s", "1980s", "1990s", "2000s", "2010s", "2020s"]);
const sources = staticPartitions(["cinedb", "filmfan"]);

export default pipeline("catalog_decades", [
  fnOp({
    name: "decade_ratings",
    partitions: multiPartitions({ decade: decades, source: sources }),
    inputs: { cinedb: "catalog/cinedb", matches: "catalog/matches" },
    outputs: ["catalog/decade_ratings"],
    run: (ctx, inputs) => {
      const [decade, source] = ctx.partitionKey!.split("|") as [string, string];
      const from = Number(decade.slice(0, 4));
      const films = (inputs.cinedb as LazyFrame).filter(col("year").ge(from).and(col("year").lt(from + 10)));
      const scored =
        source === "cinedb"
          ? films.select(col("cinedb_id"), col("rating").as("score"))
          : films.select("cinedb_id").join((inputs.matches as LazyFrame).select("cinedb_id", "stars"), { on: "cinedb_id" }).select(col("cinedb_id"), col("stars").mul(2).as("score"));
      return scored
        .withColumns(lit(decade).as("decade"), lit(source).as("source"))
        .groupBy("decade", "source")
        .agg(count().as("films"), col("score").mean().as("mean_score_of_10"));
    },
  }),
]);
