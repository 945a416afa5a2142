// JSON as Fulcrum reads it, from a config file or an API body: what
// JSON.parse accepts, minus what it lets through silently. A key given twice
// in one object (JSON.parse keeps the last) and the key "__proto__" (which
// other code could merge into a prototype) are refused with the path of the
// key; a syntax error names the line, column and what was expected.

export type JsonResult =
  | { ok: true; data: unknown }
  | { ok: false; path: string; line: number; col: number; reason: string };

export function lineCol(text: string, pos: number): { line: number; col: number } {
  const before = text.slice(0, Math.max(0, Math.min(pos, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, col: lines[lines.length - 1]!.length + 1 };
}

/**
 * Find where JSON text first goes wrong. JSON.parse in Node 20 often omits the
 * position ("Unexpected token ',', ... is not valid JSON"), so we scan the text
 * ourselves once it has failed: cheap, and only on the error path. Iterative,
 * so no nesting depth can overflow the stack.
 */
export function locateJsonError(text: string): { pos: number; reason: string } {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  };
  const at = (what: string) => ({
    pos: i,
    reason: i >= text.length ? `unexpected end of input, expected ${what}` : `unexpected ${JSON.stringify(text[i])}, expected ${what}`,
  });
  /** Scan a string at i; null when it is whole, else the problem. */
  const str = (): { pos: number; reason: string } | null => {
    i++;
    while (i < text.length && text[i] !== '"') {
      const c = text.charCodeAt(i);
      if (c < 0x20) return { pos: i, reason: 'control character in string' };
      if (text[i] === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return { pos: i, reason: 'bad \\u escape' };
          i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) return { pos: i, reason: 'bad escape in string' };
        i += 2;
        continue;
      }
      i++;
    }
    if (i >= text.length) return { pos: i, reason: 'unterminated string' };
    i++;
    return null;
  };
  const scalar = (): { pos: number; reason: string } | null => {
    const rest = text.slice(i);
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(rest);
    if (m && m[0] !== '' && m[0] !== '-') {
      i += m[0].length;
      return null;
    }
    for (const w of ['true', 'false', 'null']) {
      if (rest.startsWith(w)) {
        i += w.length;
        return null;
      }
    }
    return at('a value');
  };
  // Stack of containers: '{' expecting key/value, '[' expecting value.
  const stack: { kind: '{' | '['; state: 'first' | 'value' | 'after' | 'key' | 'colon' }[] = [];
  /** Close the innermost container: its parent has a value now. */
  const close = (): void => {
    i++;
    stack.pop();
    if (stack.length) stack[stack.length - 1]!.state = 'after';
  };
  ws();
  let expectValue = true;
  while (true) {
    ws();
    const top = stack[stack.length - 1];
    if (expectValue) {
      if (top?.kind === '[' && top.state === 'first' && text[i] === ']') {
        close();
        expectValue = false;
        continue;
      }
      if (text[i] === '{') {
        i++;
        stack.push({ kind: '{', state: 'first' });
        expectValue = false;
        continue;
      }
      if (text[i] === '[') {
        i++;
        stack.push({ kind: '[', state: 'first' });
        continue;
      }
      const p = text[i] === '"' ? str() : scalar();
      if (p) return p;
      expectValue = false;
      if (top) top.state = 'after';
      continue;
    }
    if (!top) {
      if (i < text.length) return at('end of input');
      break;
    }
    if (top.kind === '{') {
      if (top.state === 'first' || top.state === 'key') {
        if (top.state === 'first' && text[i] === '}') {
          close();
          continue;
        }
        if (text[i] !== '"') return at('a quoted key');
        const p = str();
        if (p) return p;
        top.state = 'colon';
        continue;
      }
      if (top.state === 'colon') {
        if (text[i] !== ':') return at('":"');
        i++;
        top.state = 'value';
        expectValue = true;
        continue;
      }
      if (text[i] === ',') {
        i++;
        top.state = 'key';
        continue;
      }
      if (text[i] === '}') {
        close();
        continue;
      }
      return at('"," or "}"');
    }
    // Array, after a value.
    if (text[i] === ',') {
      i++;
      top.state = 'value';
      expectValue = true;
      continue;
    }
    if (text[i] === ']') {
      close();
      continue;
    }
    return at('"," or "]"');
  }
  return { pos: text.length, reason: 'invalid JSON' };
}

const seg = (path: string, key: string): string => (/^[A-Za-z_$][\w$]*$/.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`);

/** In valid JSON text: the first key given twice in an object, or "__proto__". Iterative. */
export function findBadKey(text: string): { pos: number; path: string; reason: string } | null {
  type Frame = { kind: '{'; path: string; keys: Set<string>; expectKey: boolean; key?: string } | { kind: '['; path: string; index: number };
  const stack: Frame[] = [];
  const childPath = (): string => {
    const top = stack[stack.length - 1];
    if (!top) return '';
    return top.kind === '[' ? `${top.path}[${top.index}]` : seg(top.path, top.key ?? '');
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '{') stack.push({ kind: '{', path: childPath(), keys: new Set(), expectKey: true });
    else if (c === '[') stack.push({ kind: '[', path: childPath(), index: 0 });
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top?.kind === '{') top.expectKey = true;
      else if (top) top.index++;
    } else if (c === '"') {
      const start = i;
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
      const top = stack[stack.length - 1];
      if (top?.kind === '{' && top.expectKey) {
        const key = JSON.parse(text.slice(start, i + 1)) as string;
        if (key === '__proto__') return { pos: start, path: seg(top.path, key), reason: 'the key "__proto__" is not allowed' };
        if (top.keys.has(key)) return { pos: start, path: seg(top.path, key), reason: `key "${key}" given twice in the same object` };
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
    }
  }
  return null;
}

/** Deeper than any Fulcrum document goes; refused before parsing, so nothing recurses on it. */
export const MAX_JSON_DEPTH = 64;

/** Where nesting first goes deeper than `max` (strings skipped), or -1. */
function tooDeep(text: string, max: number): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '{' || c === '[') {
      if (++depth > max) return i;
    } else if (c === '}' || c === ']') depth--;
  }
  return -1;
}

export function parseJsonStrict(text: string): JsonResult {
  const deep = tooDeep(text, MAX_JSON_DEPTH);
  if (deep >= 0) return { ok: false, path: '', ...lineCol(text, deep), reason: `nested deeper than ${MAX_JSON_DEPTH} levels` };
  let data: unknown;
  try {
    data = JSON.parse(text) as unknown;
  } catch {
    const { pos, reason } = locateJsonError(text);
    return { ok: false, path: '', ...lineCol(text, pos), reason };
  }
  const bad = findBadKey(text);
  if (bad) return { ok: false, path: bad.path, ...lineCol(text, bad.pos), reason: bad.reason };
  return { ok: true, data };
}
