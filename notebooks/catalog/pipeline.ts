// Catalog matching: two movie catalogs list the same films under different spellings (years,
// punctuation, articles, typos). A notebook matches the titles by Jaccard similarity of character
// trigrams above a `threshold` parameter; a second notebook compares the two sources' ratings.
//
//   sluice pipeline run notebooks/catalog/pipeline.ts
//   SLUICE_EXAMPLE_SIZE=full sluice pipeline run notebooks/catalog/pipeline.ts
//
// decades.ts beside it scores the films per decade and per source, a multi-dimensional partition set
// (keys such as "1990s|filmfan"): sluice pipeline run notebooks/catalog/decades.ts --backfill '1980s..2000s|cinedb,filmfan'
import { fnOp, fromColumns, notebookOp, pipeline } from "sluice";
import { random } from "../random.js";

const FULL = process.env.SLUICE_EXAMPLE_SIZE === "full";

const ADJECTIVES = ["Silent", "Crimson", "Hidden", "Broken", "Golden", "Endless", "Frozen", "Savage", "Burning", "Distant", "Hollow", "Electric", "Midnight", "Wandering", "Secret", "Iron", "Velvet", "Restless", "Forgotten", "Brave"];
const NOUNS = ["River", "Empire", "Garden", "Horizon", "Kingdom", "Harbor", "Mirror", "Station", "Frontier", "Orchard", "Lantern", "Canyon", "Symphony", "Voyage", "Citadel", "Meadow", "Tempest", "Island", "Machine", "Summer"];
const PLACES = ["Paris", "Havana", "Tokyo", "Cairo", "Lisbon", "Oslo", "Nairobi", "Quito"];

/** A made-up film title from a few patterns. */
function title(next: () => number): string {
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  switch (Math.floor(next() * 5)) {
    case 0: return `The ${pick(ADJECTIVES)} ${pick(NOUNS)}`;
    case 1: return `${pick(NOUNS)} of the ${pick(ADJECTIVES)} ${pick(NOUNS)}`;
    case 2: return `A ${pick(NOUNS)} in ${pick(PLACES)}`;
    case 3: return `${pick(ADJECTIVES)} ${pick(NOUNS)}: ${pick(["Part II", "The Return", "Reckoning", "Origins"])}`;
    default: return `${pick(ADJECTIVES)} ${pick(NOUNS)} and the ${pick(NOUNS)}`;
  }
}

/** How the second source spells a title: article moved, punctuation changed, a typo, lower case. */
function respell(original: string, next: () => number): string {
  let t = original;
  const article = /^(The|A|An) (.*)$/.exec(t);
  if (article && next() < 0.6) t = `${article[2]}, ${article[1]}`;
  if (next() < 0.4) t = t.replace(":", " -").replace(" and ", " & ");
  if (next() < 0.35) t = `${t}!`;
  if (next() < 0.5) {
    // One typo: two neighbouring letters swapped in a longer word.
    const words = t.split(" ");
    const long = words.map((w, i) => [w, i] as const).filter(([w]) => w.length >= 6);
    if (long.length) {
      const [w, i] = long[Math.floor(next() * long.length)]!;
      const at = 1 + Math.floor(next() * (w.length - 3));
      words[i] = w.slice(0, at) + w[at + 1] + w[at] + w.slice(at + 2);
      t = words.join(" ");
    }
  }
  if (next() < 0.3) t = t.toLowerCase();
  return t;
}

export default pipeline(
  "catalog",
  [
    fnOp({
      name: "catalogs",
      // full stays modest: fuzzyJoin on trigrams grows faster than linearly (10k × 10k titles took minutes here).
      params: { movies: FULL ? 2_000 : 400, seed: 1999 },
      outputs: ["catalog/cinedb", "catalog/filmfan", "catalog/true_pairs"],
      // Two sources of the same films: cinedb (titles with the year, ratings out of 10) and filmfan
      // (respelled titles, no year, ratings out of 5 stars); each also has films the other lacks.
      // true_pairs records which rows are the same film, to score the matching with.
      run: async (ctx) => {
        const next = random(ctx.params.seed as number);
        const n = ctx.params.movies as number;
        const seen = new Set<string>();
        const cinedb = { cinedb_id: [] as number[], title: [] as string[], year: [] as number[], rating: [] as number[] };
        const filmfan = { filmfan_id: [] as number[], title: [] as string[], stars: [] as number[] };
        const truth = { cinedb_id: [] as number[], filmfan_id: [] as number[] };
        for (let i = 0; cinedb.title.length < n && i < n * 50; i++) {
          const name = title(next);
          const year = 1950 + Math.floor(next() * 74);
          if (seen.has(name)) continue; // one film per title, so a match is never a coin toss
          seen.add(name);
          const quality = 3 + next() * 6; // the film's "true" quality, seen by both sources with noise
          const inCinedb = next() < 0.92;
          const inFilmfan = !inCinedb || next() < 0.9;
          const cId = 1000 + cinedb.cinedb_id.length;
          const fId = 5000 + filmfan.filmfan_id.length * 3;
          if (inCinedb) {
            cinedb.cinedb_id.push(cId);
            cinedb.title.push(`${name} (${year})`);
            cinedb.year.push(year);
            cinedb.rating.push(Math.round(Math.min(10, Math.max(1, quality + (next() - 0.5) * 1.5)) * 10) / 10);
          }
          if (inFilmfan) {
            filmfan.filmfan_id.push(fId);
            filmfan.title.push(respell(name, next));
            filmfan.stars.push(Math.round(Math.min(5, Math.max(0.5, (quality + (next() - 0.5) * 2) / 2)) * 2) / 2);
          }
          if (inCinedb && inFilmfan) (truth.cinedb_id.push(cId), truth.filmfan_id.push(fId));
        }
        ctx.log(`cinedb ${cinedb.title.length} films, filmfan ${filmfan.title.length}, ${truth.cinedb_id.length} in both`);
        await ctx.yieldAsset("catalog/cinedb", fromColumns(cinedb, "cinedb"));
        await ctx.yieldAsset("catalog/filmfan", fromColumns(filmfan, "filmfan"));
        await ctx.yieldAsset("catalog/true_pairs", fromColumns(truth, "true pairs"));
      },
    }),
    notebookOp({
      name: "match_titles",
      notebook: "match-titles.ipynb",
      params: { threshold: 0.6 },
      inputs: { cinedb: "catalog/cinedb", filmfan: "catalog/filmfan", truth: "catalog/true_pairs" },
      outputs: ["catalog/matches"],
    }),
    notebookOp({
      name: "compare_ratings",
      notebook: "compare-ratings.ipynb",
      params: { bins: 20 },
      inputs: { matches: "catalog/matches" },
      outputs: ["catalog/rating_gaps"],
    }),
  ],
  { maxConcurrency: 2 },
);
