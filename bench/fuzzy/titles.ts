// Deterministic movie-like titles for the fuzzy join benchmark and tests: a left catalog, and a right
// catalog where most titles are variants of left ones (years added or dropped, punctuation, articles
// moved, letter case, one-letter typos, subtitles) and the rest are new titles.

/** mulberry32: a small seeded PRNG, so every run sees the same titles. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = ["ka", "lo", "mi", "ra", "the", "on", "star", "night", "dark", "sun", "ver", "tor", "el", "an", "is", "mor", "gal", "wind", "fire", "sto", "ne", "ri", "ver", "blue", "red", "sha", "dow", "king", "dom", "war", "love", "lost", "cit", "y", "ho", "me", "ga", "te", "stri", "ke"];
const ARTICLES = ["The", "A", "An"];
const SUBTITLES = ["Part II", "Part III", "Returns", "Reloaded", "The Beginning", "Origins", "Revenge", "Director's Cut"];

function makeWords(n: number, next: () => number): string[] {
  const words = new Set<string>();
  while (words.size < n) {
    const k = 2 + Math.floor(next() * 3);
    let w = "";
    for (let i = 0; i < k; i++) w += SYLLABLES[Math.floor(next() * SYLLABLES.length)];
    words.add(w[0].toUpperCase() + w.slice(1));
  }
  return [...words];
}

/** Zipf-like pick: low indexes far more often, as with real title words. */
function zipf(n: number, next: () => number): number {
  return Math.min(n - 1, Math.floor(Math.pow(next(), 1.6) * n));
}

function typo(word: string, next: () => number): string {
  if (word.length < 4) return word;
  const i = 1 + Math.floor(next() * (word.length - 2));
  const kind = Math.floor(next() * 3);
  if (kind === 0) return word.slice(0, i) + word.slice(i + 1); // drop a letter
  if (kind === 1) return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2); // swap two
  return word.slice(0, i) + "aeiou"[Math.floor(next() * 5)] + word.slice(i + 1); // replace one
}

export function generateTitles(n: number, seed = 7): { left: string[]; right: string[] } {
  const next = rng(seed);
  const vocab = makeWords(Math.max(2000, Math.floor(n / 2)), next);
  const title = () => {
    const k = 2 + Math.floor(next() * 4);
    const words = Array.from({ length: k }, () => vocab[zipf(vocab.length, next)]);
    if (next() < 0.3) words.unshift(ARTICLES[Math.floor(next() * ARTICLES.length)]);
    let t = words.join(" ");
    if (next() < 0.15) t += `: ${SUBTITLES[Math.floor(next() * SUBTITLES.length)]}`;
    if (next() < 0.5) t += ` (${1950 + Math.floor(next() * 75)})`;
    return t;
  };
  const left = Array.from({ length: n }, title);
  const right = left.map((t) => {
    if (next() < 0.3) return title(); // a title only in the right catalog
    let v = t;
    const r = next();
    if (r < 0.2) v = v.replace(/ \(\d{4}\)$/, ""); // year dropped
    else if (r < 0.35) v = `${v} [${1950 + Math.floor(next() * 75)}]`; // year added
    if (next() < 0.3) v = v.replace(/^(The|A|An) (.*)$/, "$2, $1"); // "Matrix, The"
    if (next() < 0.3) v = v.replace(/:/g, " -");
    if (next() < 0.2) v = v.toLowerCase();
    if (next() < 0.35) {
      const words = v.split(" ");
      const i = Math.floor(next() * words.length);
      words[i] = typo(words[i], next);
      v = words.join(" ");
    }
    return v;
  });
  return { left, right };
}
