// Asset keys (docs/contracts.md "Asset keys"): path segments written with "/", each segment
// [A-Za-z0-9_.-]+ and never "." or "..", so a key always maps to a folder inside data/.
import { InvalidAssetKeyError } from "./errors.js";

export type AssetKeyLike = string | readonly string[];

const SEGMENT = /^[A-Za-z0-9_.-]+$/;

/** Validates a key and returns its segments. */
export function assetKeySegments(key: AssetKeyLike): string[] {
  const segments = typeof key === "string" ? key.split("/") : [...key];
  const shown = typeof key === "string" ? JSON.stringify(key) : JSON.stringify(key);
  if (segments.length === 0 || (segments.length === 1 && segments[0] === "")) {
    throw new InvalidAssetKeyError(`asset key ${shown} is empty; write it as path segments such as "clickstream/hourly".`);
  }
  for (const segment of segments) {
    if (typeof segment !== "string" || !SEGMENT.test(segment)) {
      throw new InvalidAssetKeyError(
        `asset key ${shown}: segment ${JSON.stringify(segment)} is not allowed; ` +
          `each segment must match [A-Za-z0-9_.-]+ (no empty segments, spaces, slashes or backslashes).`,
      );
    }
    if (segment === "." || segment === "..") {
      throw new InvalidAssetKeyError(`asset key ${shown}: segment "${segment}" would escape the store; use a plain name.`);
    }
  }
  return segments;
}

/** The canonical "a/b/c" form of a valid key. */
export function normalizeAssetKey(key: AssetKeyLike): string {
  return assetKeySegments(key).join("/");
}

