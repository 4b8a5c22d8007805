/**
 * Resolves with undefined after ms. The timer does not keep the process alive by itself: these are
 * deadlines raced against kernel replies, and a finished run must not wait for them.
 */
export function sleepUndefined(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms).unref());
}
