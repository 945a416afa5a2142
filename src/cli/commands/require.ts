// Required options, checked after yargs' own validation (strict mode names
// an unknown option first, which is most often the real mistake: a typo of
// the required one).
export function requireOptions(...names: string[]) {
  return (argv: Record<string, unknown>): true => {
    const missing = names.filter((n) => argv[n] === undefined);
    if (missing.length) throw new Error(`Missing required argument${missing.length > 1 ? 's' : ''}: ${missing.map((n) => `--${n}`).join(', ')}`);
    return true;
  };
}
