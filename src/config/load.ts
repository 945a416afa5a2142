// Read a config file (JSON or YAML) and validate it. A syntax error becomes a
// single ConfigError whose path is the file and whose message has line/col, so
// the CLI prints it with the same one-line format as schema errors.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { ConfigError, ConfigResult } from './types';
import { validateConfig, type ValidateOptions } from './validate';

export type ParseResult = { ok: true; data: unknown } | { ok: false; errors: ConfigError[] };

function lineCol(text: string, pos: number): { line: number; col: number } {
  const before = text.slice(0, Math.max(0, Math.min(pos, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, col: lines[lines.length - 1]!.length + 1 };
}

/**
 * Find where JSON text first goes wrong. JSON.parse in Node 20 often omits the
 * position ("Unexpected token ',', ... is not valid JSON"), so we scan the text
 * ourselves once it has failed: cheap, and only on the error path.
 */
export function locateJsonError(text: string): { pos: number; reason: string } {
  let i = 0;
  class Fail {
    constructor(readonly pos: number, readonly reason: string) {}
  }
  const fail = (reason: string): never => {
    throw new Fail(i, reason);
  };
  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  };
  const unexpected = (what: string): never =>
    fail(i >= text.length ? `unexpected end of input, expected ${what}` : `unexpected ${JSON.stringify(text[i])}, expected ${what}`);
  const str = (): void => {
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      const c = text.charCodeAt(i);
      if (c < 0x20) fail('control character in string');
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail('bad \\u escape');
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? '')) fail('bad escape');
      }
      i++;
    }
    if (i >= text.length) fail('unterminated string');
    i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') { i++; return; }
      for (;;) {
        ws();
        if (text[i] !== '"') unexpected('a "key"');
        str();
        ws();
        if (text[i] !== ':') unexpected('":"');
        i++;
        value();
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return; }
        unexpected('"," or "}"');
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') { i++; return; }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return; }
        unexpected('"," or "]"');
      }
    } else if (c === '"') {
      str();
    } else {
      const m = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i));
      if (!m) unexpected('a value');
      i += m![0].length;
    }
  };
  try {
    value();
    ws();
    if (i < text.length) unexpected('end of input');
  } catch (e) {
    if (e instanceof Fail) return { pos: e.pos, reason: e.reason };
    throw e;
  }
  return { pos: text.length, reason: 'invalid JSON' };
}

function parseJson(text: string, file: string): ParseResult {
  try {
    return { ok: true, data: JSON.parse(text) as unknown };
  } catch {
    const { pos, reason } = locateJsonError(text);
    const { line, col } = lineCol(text, pos);
    return { ok: false, errors: [{ path: file, message: `line ${line}, col ${col}: ${reason}` }] };
  }
}

function parseYaml(text: string, file: string): ParseResult {
  const doc = YAML.parseDocument(text, { prettyErrors: false });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0] ?? lineCol(text, first.pos[0]);
    const reason = first.message.split('\n')[0]!.replace(/ at line \d+, column \d+.*$/, '');
    return { ok: false, errors: [{ path: file, message: `line ${pos.line}, col ${pos.col}: ${reason}` }] };
  }
  return { ok: true, data: doc.toJS() as unknown };
}

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
