// OSC address patterns and routing by them: the face the rest of src imports them from. Matching lives in
// address-pattern.ts and the router, which is built on it, in router.ts; keeping this face apart from both is
// what lets the router import the matcher without an import cycle.

export {
  clearPatternCache,
  compilePattern,
  isPattern,
  matchAddress,
  patternCacheLimit,
  patternCacheSize,
  validateAddress,
} from './address-pattern';
export type { CompiledPattern } from './address-pattern';
export { Router } from './router';
export type { RouteMatch } from './router';
