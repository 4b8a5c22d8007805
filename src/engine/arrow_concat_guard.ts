// Hides Symbol.isConcatSpreadable from apache-arrow while it loads; imported only by ./apache_arrow.ts,
// which explains why. The stand-in forwards everything else to the real Symbol (it wraps a plain arrow
// function, because a proxy of Symbol itself must return Symbol's non-configurable properties as they are).
const realSymbol = globalThis.Symbol;
const hiddenConcatSpreadable = realSymbol("apache-arrow isConcatSpreadable (hidden by Sluice)");
const callRealSymbol = (description?: string | number) => realSymbol(description);

globalThis.Symbol = new Proxy(callRealSymbol, {
  get: (_target, key) => (key === "isConcatSpreadable" ? hiddenConcatSpreadable : Reflect.get(realSymbol, key)),
}) as unknown as SymbolConstructor;

export function restoreSymbol(): void {
  globalThis.Symbol = realSymbol;
}
