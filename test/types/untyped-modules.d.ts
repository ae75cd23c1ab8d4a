// Packages the benchmarks compare against that ship no types.
declare module 'osc-min';
