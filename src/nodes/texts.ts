// The runtime half of a node's texts (status, warnings, errors), from the same message catalogue as its editor
// half: nodes/locales/<lang>/<type>.json, under "<type>.runtime". Node-RED's registry gives every node file its
// own namespace ("<package>/<type>", the catalogue beside the .js) and RED._ prefixes our keys with it, so a
// translation of that file covers both halves, as it does for the core nodes.
import * as fs from 'node:fs';
import * as path from 'node:path';

export type TextParams = Record<string, string | number>;
/** RED._ as the runtime hands it to a node file: a key (without namespace) and its __params__. */
export type Translate = (key: string, params?: TextParams) => string;

type Catalogue = { [key: string]: string | Catalogue };

const english = new Map<string, Catalogue | null>();

/** The English catalogue shipped beside the node, read once per process. */
function englishCatalogue(dir: string, type: string): Catalogue | null {
  const file = path.join(dir, 'locales', 'en-US', `${type}.json`);
  let c = english.get(file);
  if (c === undefined) {
    try {
      c = JSON.parse(fs.readFileSync(file, 'utf8')) as Catalogue;
    } catch {
      c = null;
    }
    english.set(file, c);
  }
  return c;
}

function lookup(c: Catalogue | null, key: string): string | undefined {
  let v: string | Catalogue | undefined = c ?? undefined;
  for (const part of key.split('.')) {
    if (v === undefined || typeof v === 'string') return undefined;
    v = v[part];
  }
  return typeof v === 'string' ? v : undefined;
}

/** __name__ replaced by params.name, as i18next does with Node-RED's settings. */
function interpolate(text: string, params: TextParams | undefined): string {
  if (params === undefined) return text;
  return text.replace(/__([A-Za-z0-9_]+?)__/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

export class Texts {
  private readonly prefix: string;

  /**
   * `translate` is the RED._ of the node's file; without it, or when it answers a key with the key itself (the
   * runtime does not know it: node-red-node-test-helper's RED._ always does), the English catalogue is used.
   * `dir` holds locales/ (the compiled node's directory).
   */
  constructor(
    private readonly type: string,
    private readonly translate?: Translate,
    private readonly dir: string = __dirname,
  ) {
    this.prefix = `${type}.runtime.`;
  }

  /**
   * The text for `key` (below "<type>.runtime"). A numeric params.count picks "<key>_one" or "<key>_other"
   * where the catalogue has them, by the rules of the runtime's language (English here).
   */
  t(key: string, params?: TextParams): string {
    // A key missing from the catalogue shows as itself: visible, and caught by the tests that read English.
    return this.find(key, params) ?? this.prefix + key;
  }

  /** The text for `key`, or undefined when no catalogue has it (the caller then uses words of its own). */
  find(key: string, params?: TextParams): string | undefined {
    const full = this.prefix + key;
    if (this.translate !== undefined) {
      const s = this.translate(full, params);
      if (typeof s === 'string' && s !== full) return s;
    }
    const c = englishCatalogue(this.dir, this.type);
    const count = params?.count;
    let text: string | undefined;
    if (typeof count === 'number') text = lookup(c, `${full}_${count === 1 ? 'one' : 'other'}`);
    text ??= lookup(c, full);
    return text === undefined ? undefined : interpolate(text, params);
  }
}
