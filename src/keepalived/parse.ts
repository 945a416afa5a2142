// keepalived.conf reader: tokens, then a tree of statements with line
// numbers. Follows keepalived's own lexer (parser.c alloc_strvec): blanks
// separate words, `{` and `}` are words of their own, double quotes group a
// word, and `!` or `#` at the start of a word comments out the rest of the
// line. `include` is followed before this reader runs (include.ts).

export interface Token {
  text: string;
  line: number;
  quoted: boolean;
}

export interface Statement {
  keyword: string;
  args: string[];
  line: number;
  /** Present when the statement opens a `{ ... }` block. */
  block?: Statement[];
}

export interface ParseProblem {
  line: number;
  message: string;
}

export interface ParsedConf {
  statements: Statement[];
  problems: ParseProblem[];
}

/** keepalived's blanks (isspace in the C locale, less the newline that ends a line). */
const BLANK = /[ \t\r\v\f]/;
const WORD_END = /[ \t\r\v\f{}"]/;
/** Deeper than any keepalived config goes; past it the reader stops, with a problem. */
export const MAX_BLOCK_DEPTH = 32;

export function tokenize(text: string): { tokens: Token[]; problems: ParseProblem[] } {
  const tokens: Token[] = [];
  const problems: ParseProblem[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, idx) => {
    const line = idx + 1;
    let i = 0;
    while (i < raw.length) {
      const ch = raw[i]!;
      if (BLANK.test(ch)) {
        i++;
        continue;
      }
      if (ch === '!' || ch === '#') break; // comment to end of line
      if (ch === '{' || ch === '}') {
        tokens.push({ text: ch, line, quoted: false });
        i++;
        continue;
      }
      if (ch === '"') {
        const end = raw.indexOf('"', i + 1);
        if (end < 0) {
          problems.push({ line, message: 'unterminated quoted string' });
          tokens.push({ text: raw.slice(i + 1), line, quoted: true });
          break;
        }
        tokens.push({ text: raw.slice(i + 1, end), line, quoted: true });
        i = end + 1;
        continue;
      }
      let j = i;
      while (j < raw.length && !WORD_END.test(raw[j]!)) j++;
      tokens.push({ text: raw.slice(i, j), line, quoted: false });
      i = j;
    }
  });
  return { tokens, problems };
}

/**
 * Statements: a keyword and its arguments up to the end of the line; a `{`
 * (on the same line, or first on the next line) opens its block.
 */
export function parseKeepalived(text: string): ParsedConf {
  const { tokens, problems } = tokenize(text);
  let pos = 0;

  const parseBlock = (depth: number, openLine: number): Statement[] => {
    const out: Statement[] = [];
    while (pos < tokens.length) {
      const t = tokens[pos]!;
      if (t.text === '}' && !t.quoted) {
        if (depth === 0) {
          problems.push({ line: t.line, message: "unmatched '}'" });
          pos++;
          continue;
        }
        pos++;
        return out;
      }
      if (t.text === '{' && !t.quoted) {
        // A block with no keyword: keep its content reachable for reporting.
        problems.push({ line: t.line, message: "'{' without a keyword" });
        pos++;
        if (depth + 1 > MAX_BLOCK_DEPTH) {
          problems.push({ line: t.line, message: `blocks nested deeper than ${MAX_BLOCK_DEPTH} levels - the rest of the file is not read` });
          pos = tokens.length;
          return out;
        }
        out.push({ keyword: '{', args: [], line: t.line, block: parseBlock(depth + 1, t.line) });
        continue;
      }
      const st: Statement = { keyword: t.text, args: [], line: t.line };
      pos++;
      while (pos < tokens.length && tokens[pos]!.line === st.line) {
        const a = tokens[pos]!;
        if (!a.quoted && (a.text === '{' || a.text === '}')) break;
        st.args.push(a.text);
        pos++;
      }
      const nxt = tokens[pos];
      if (nxt && !nxt.quoted && nxt.text === '{') {
        pos++;
        if (depth + 1 > MAX_BLOCK_DEPTH) {
          problems.push({ line: nxt.line, message: `blocks nested deeper than ${MAX_BLOCK_DEPTH} levels - the rest of the file is not read` });
          pos = tokens.length;
          out.push(st);
          return out;
        }
        st.block = parseBlock(depth + 1, nxt.line);
      }
      out.push(st);
    }
    if (depth > 0) problems.push({ line: openLine, message: "block opened here is not closed with '}'" });
    return out;
  };

  const statements = parseBlock(0, 0);
  return { statements, problems };
}
