// keepalived's `include` directive, followed as keepalived follows it: a
// line whose first word is `include` is replaced by the files its glob
// pattern matches (relative to the including file's directory, in sorted
// order, nested includes too), at any depth of the configuration. The
// result is one text for the reader and a map from its lines back to each
// file and line, so warnings name where a statement really is.
import fs from 'node:fs';
import path from 'node:path';

export interface Origin {
  file: string;
  line: number;
}

export interface Expanded {
  text: string;
  /** Where line n (1-based) of `text` comes from. */
  origin(line: number): Origin;
  problems: (Origin & { message: string })[];
}

const MAX_DEPTH = 8;          // include nesting; a cycle stops here too
const MAX_FILES = 1000;
const MAX_BYTES = 16 << 20;

/** fnmatch(3) of one path segment: * ? and [...] (with ! or ^ negation). */
function segmentRegex(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let set = glob.slice(i + 1, end);
        if (set[0] === '!' || set[0] === '^') set = `^${set.slice(1)}`;
        re += `[${set.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The files a glob pattern names, as glob(3) would list them (sorted). */
export function globFiles(pattern: string): string[] {
  const abs = path.resolve(pattern);
  const parts = abs.split('/').filter(Boolean);
  let bases = ['/'];
  for (const [i, part] of parts.entries()) {
    const last = i === parts.length - 1;
    const next: string[] = [];
    for (const b of bases) {
      if (!/[*?[]/.test(part)) {
        const p = path.join(b, part);
        if (fs.existsSync(p)) next.push(p);
        continue;
      }
      let names: string[] = [];
      try {
        names = fs.readdirSync(b);
      } catch {
        continue;
      }
      const re = segmentRegex(part);
      for (const n of names.sort()) if (re.test(n) && (!n.startsWith('.') || part.startsWith('.'))) next.push(path.join(b, n));
    }
    bases = last ? next.filter((p) => fs.statSync(p).isFile()) : next.filter((p) => fs.statSync(p).isDirectory());
  }
  return bases.sort();
}

export function expandIncludes(file: string, read: (f: string) => string = (f) => fs.readFileSync(f, 'utf8')): Expanded {
  const out: string[] = [];
  const from: Origin[] = [];
  const problems: Expanded['problems'] = [];
  let files = 0;
  let bytes = 0;
  const walk = (f: string, depth: number, stack: string[]): void => {
    let text: string;
    try {
      text = read(f);
    } catch (e) {
      problems.push({ ...(from.at(-1) ?? { file: f, line: 0 }), message: `cannot read ${f}: ${(e as NodeJS.ErrnoException).code ?? String(e)}` });
      return;
    }
    files++;
    bytes += text.length;
    text.split('\n').forEach((line, i) => {
      const here = { file: f, line: i + 1 };
      const m = /^\s*include\s+(.+?)\s*$/.exec(line);
      if (!m) {
        out.push(line);
        from.push(here);
        return;
      }
      out.push(`# ${line.trim()}`);   // keeps the line count; the reader skips it
      from.push(here);
      const pattern = m[1]!.replace(/^"(.*)"$/, '$1');
      const matches = globFiles(path.isAbsolute(pattern) ? pattern : path.join(path.dirname(f), pattern));
      if (matches.length === 0) {
        problems.push({ ...here, message: `include ${pattern}: no file matches` });
        return;
      }
      for (const inc of matches) {
        const real = fs.existsSync(inc) ? fs.realpathSync(inc) : inc;
        if (stack.includes(real) || depth + 1 > MAX_DEPTH) {
          problems.push({ ...here, message: `include ${inc}: ${stack.includes(real) ? 'includes itself' : `nested more than ${MAX_DEPTH} deep`} - not read` });
          continue;
        }
        if (files >= MAX_FILES || bytes > MAX_BYTES) {
          problems.push({ ...here, message: `include ${inc}: more than ${MAX_FILES} files or ${MAX_BYTES >> 20} MB in all - not read` });
          return;
        }
        walk(inc, depth + 1, [...stack, real]);
      }
    });
  };
  walk(file, 0, [fs.existsSync(file) ? fs.realpathSync(file) : file]);
  return {
    text: out.join('\n'),
    origin: (line) => from[line - 1] ?? { file, line },
    problems,
  };
}
