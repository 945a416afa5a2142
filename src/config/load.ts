// Read a config file (JSON or YAML) and validate it. A syntax error becomes a
// single ConfigError whose path is the file and whose message has line/col, so
// the CLI prints it with the same one-line format as schema errors.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { ConfigError, ConfigResult } from './types';
import { validateConfig, type ValidateOptions } from './validate';
import { lineCol, parseJsonStrict } from './json';

export type ParseResult = { ok: true; data: unknown } | { ok: false; errors: ConfigError[] };

export { locateJsonError } from './json';

function parseJson(text: string, file: string): ParseResult {
  const r = parseJsonStrict(text);
  if (r.ok) return r;
  return { ok: false, errors: [{ path: r.path ? `${file}: ${r.path}` : file, message: `line ${r.line}, col ${r.col}: ${r.reason}` }] };
}

function parseYaml(text: string, file: string): ParseResult {
  try {
    const doc = YAML.parseDocument(text, { prettyErrors: false });
    const first = doc.errors[0];
    if (first) {
      const pos = first.linePos?.[0] ?? lineCol(text, first.pos[0]);
      const reason = first.message.split('\n')[0]!.replace(/ at line \d+, column \d+.*$/, '');
      return { ok: false, errors: [{ path: file, message: `line ${pos.line}, col ${pos.col}: ${deepWords(reason)}` }] };
    }
    return { ok: true, data: doc.toJS() as unknown };
  } catch (e) {
    // toJS refuses alias bombs; deep nesting can exhaust the stack.
    return { ok: false, errors: [{ path: file, message: deepWords(e instanceof Error ? e.message : String(e)) }] };
  }
}

/** The stack running out is the document being nested too deeply. */
const deepWords = (m: string): string => (/call stack/i.test(m) ? 'nested too deeply' : m);

/** Larger than any real config; refused before it is read. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/** Parse by extension (.json/.yaml/.yml), else by content ("{" means JSON). */
export function parseConfigText(text: string, file: string): ParseResult {
  const ext = path.extname(file).toLowerCase();
  const isJson = ext === '.json' || (ext !== '.yaml' && ext !== '.yml' && text.trimStart().startsWith('{'));
  if (text.trim() === '') return { ok: false, errors: [{ path: file, message: 'file is empty' }] };
  return isJson ? parseJson(text, file) : parseYaml(text, file);
}

export function loadConfig(file: string, opts: ValidateOptions = {}): ConfigResult {
  let text: string;
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_CONFIG_BYTES) return { ok: false, errors: [{ path: file, message: `${size} bytes: larger than ${MAX_CONFIG_BYTES / 1024 / 1024} MB, not a config` }] };
    // Editors on Windows add a BOM; JSON.parse would reject it.
    text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { ok: false, errors: [{ path: file, message: `cannot read: ${err.code ?? err.message}` }] };
  }
  const parsed = parseConfigText(text, file);
  if (!parsed.ok) return parsed;
  return validateConfig(parsed.data, opts);
}
