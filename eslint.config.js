'use strict';
// `npm run lint`: ESLint for what the compiler does not catch, Prettier (`npm run format`) for the layout.
// Nothing here is about layout: the formatter owns that, so the two never disagree.
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const globals = require('globals');

// `catch (e)` may ignore what it caught; otherwise an underscore says a name is unused on purpose.
const unused = { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' };
// What the code already keeps to by discipline, now checked.
const common = {
  eqeqeq: ['error', 'smart'],
  'no-var': 'error',
  'object-shorthand': 'error',
  'no-throw-literal': 'error',
  // A `let` declared before the closures that read it and assigned once after them (a handler registered before
  // the endpoint it reports on exists) cannot be a `const` without moving it where the closures would throw; nor
  // can one name of a destructuring whose other names are reassigned.
  'prefer-const': ['error', { ignoreReadBeforeAssign: true, destructuring: 'all' }],
};

module.exports = tseslint.config(
  {
    // resources/osc-pattern.js and osc-monitor-format.js are built from src/ (scripts/build.js) and checked there.
    ignores: [
      'dist/',
      'node_modules/',
      '.node-red/',
      'bench/results/',
      'test-artifacts/',
      'resources/osc-pattern.js',
      'resources/osc-monitor-format.js',
    ],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },

  // The runtime: TypeScript, with the rules that need its types (a promise nobody awaits, `any` leaking out).
  {
    files: ['src/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: __dirname },
    },
    rules: {
      ...common,
      // An underscore says a parameter or variable is unused on purpose.
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': ['error', unused],
      // Node-RED's own idiom: a node's constructor keeps `const node = this` for the handlers it registers.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['node'] }],
      // Error messages quote whatever value a flow supplied, objects included: "[object Object]" is then
      // the honest answer, and every such value is already narrowed or JSON-stringified where it matters.
      '@typescript-eslint/no-base-to-string': 'off',
      // Its fixes are not safe here: removing one assertion can make the next one needed (eslint --fix removed
      // both `as OscPacketInput` and `as Buffer` in codec.ts, and the build failed). The assertions it flags
      // cost nothing at run time.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // The codec's type tags are const enums of byte values, compared with the bytes read from a packet on
      // purpose: the comparison is the decoding.
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
    },
  },

  // Tests, benchmarks, the fuzzer and the scripts: CommonJS run by Node.js.
  {
    files: ['**/*.js'],
    ignores: ['resources/**'],
    extends: [js.configs.recommended],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'commonjs',
      globals: { ...globals.node },
    },
    rules: { ...common, 'no-unused-vars': ['error', unused] },
  },
  {
    files: ['test/**/*.js'],
    languageOptions: { globals: { ...globals.mocha } },
  },
  {
    // Functions that Playwright runs inside the editor page use the page's globals.
    files: ['test/e2e/**/*.js', 'test/helpers/*.js'],
    languageOptions: { globals: { ...globals.browser, RED: 'readonly', $: 'readonly' } },
  },

  // The editor's shared checks, loaded by the browser as a plain script (Node-RED's editor style, ES5).
  {
    files: ['resources/**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: {
      ecmaVersion: 5,
      sourceType: 'script',
      globals: { ...globals.browser },
    },
  },
);
