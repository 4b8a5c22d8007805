// Every relative link and anchor in README.md and docs/*.md resolves: the file (or folder) exists and
// a #fragment names a heading of the target page, slugged as GitHub does. Guards the docs' structure.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const pages = ["README.md", ...readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** The markdown outside fenced code blocks, with inline code spans blanked (links there are not links). */
function prose(text: string): string[] {
  let fenced = false;
  return text.split("\n").map((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return "";
    }
    return fenced ? "" : line.replace(/(`+)[^`]*?\1/g, "");
  });
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens, repeats numbered -1, -2… */
export function headingSlugs(text: string): Set<string> {
  const slugs = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of text.split("\n")) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const heading = !fenced && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = heading[1]!
      .replace(/<[^>]+>/g, "")
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M} _-]/gu, "")
      .replace(/ /g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    slugs.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const m of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) slugs.add(m[1]!);
  return slugs;
}

interface Link {
  page: string;
  line: number;
  target: string;
}

function linksOf(page: string): Link[] {
  const links: Link[] = [];
  prose(readFileSync(join(root, page), "utf8")).forEach((line, i) => {
    for (const m of line.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ page, line: i + 1, target: m[1]! });
  });
  return links;
}

/** What is wrong with one link, or undefined when it resolves. */
function problem(link: Link): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(link.target)) return undefined; // https:, mailto:…: not checked here
  const [pathPart, fragment] = link.target.split("#", 2) as [string, string | undefined];
  const file = pathPart === "" ? join(root, link.page) : resolve(dirname(join(root, link.page)), decodeURIComponent(pathPart));
  if (!existsSync(file)) return `${relative(root, file)} does not exist`;
  if (fragment === undefined) return undefined;
  if (!file.endsWith(".md")) return `#${fragment} points into ${relative(root, file)}, which is not a markdown page`;
  const slugs = headingSlugs(readFileSync(file, "utf8"));
  return slugs.has(fragment) ? undefined : `${relative(root, file)} has no heading #${fragment}`;
}

describe("documentation links", () => {
  it("slugs headings as GitHub does", () => {
    const slugs = headingSlugs("# Pipelines and the asset store\n## Defining a pipeline (a `.ts` file)\n## Progress events and comm `sluice.progress`\n## Errors\n## Errors\n```\n# not a heading\n```\n");
    expect([...slugs]).toEqual(["pipelines-and-the-asset-store", "defining-a-pipeline-a-ts-file", "progress-events-and-comm-sluiceprogress", "errors", "errors-1"]);
  });

  it("finds the pages and their links", () => {
    expect(pages).toContain("docs/contracts.md");
    expect(pages.flatMap(linksOf).length).toBeGreaterThan(20);
  });

  it("README.md links every page in docs/", () => {
    const linked = new Set(linksOf("README.md").map((l) => l.target.split("#")[0]));
    expect(pages.filter((p) => p.startsWith("docs/") && !linked.has(p))).toEqual([]);
  });

  it.each(pages)("every relative link and anchor in %s resolves", (page) => {
    const broken = linksOf(page).flatMap((link) => {
      const why = problem(link);
      return why ? [`${page}:${link.line}: (${link.target}) — ${why}`] : [];
    });
    expect(broken).toEqual([]);
  });

  it("reports a broken file and a broken anchor", () => {
    expect(problem({ page: "README.md", line: 1, target: "docs/no-such-page.md" })).toBe("docs/no-such-page.md does not exist");
    expect(problem({ page: "README.md", line: 1, target: "#no-such-heading" })).toBe("README.md has no heading #no-such-heading");
    expect(problem({ page: "docs/api.md", line: 1, target: "../README.md" })).toBeUndefined();
  });
});
