// The package's `./pattern` entry: what `require('@oscflow/node-red-osc/pattern')` gives, OSC address patterns
// and the router built on them. Only this file decides what of them is public.
//
// Functions and constants are constants here rather than `export { ... } from`, which TypeScript compiles to a
// getter that every call through the package would run first. Their types and documentation are the originals'.
// Router is re-exported, so that it stays a type as well as a value.

import * as pattern from './osc/pattern';

export { Router } from './osc/pattern';
export type { CompiledPattern, RouteMatch } from './osc/pattern';

export const compilePattern = pattern.compilePattern;
export const matchAddress = pattern.matchAddress;
export const isPattern = pattern.isPattern;
export const validateAddress = pattern.validateAddress;
export const patternCacheSize = pattern.patternCacheSize;
export const clearPatternCache = pattern.clearPatternCache;
export const patternCacheLimit = pattern.patternCacheLimit;
