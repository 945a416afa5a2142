// Errors a route throws; the app's error handler (server.ts) turns each into
// its status code and a body naming what is wrong.
import type { ConfigError } from '../config/types';

export class HttpError extends Error {
  constructor(readonly statusCode: number, message: string, readonly errors?: ConfigError[]) {
    super(message);
  }
}

export const notFound = (what: string): HttpError => new HttpError(404, `${what} not found`);
export const conflict = (what: string): HttpError => new HttpError(409, `${what} already exists`);
/** "invalid request: query.src: must be ..." (and how many more): the first offender named in the message itself. */
export function summary(what: string, errors: ConfigError[]): string {
  const [first, ...more] = errors;
  if (!first) return what;
  const at = first.path ? `${first.path}: ` : '';
  return `${what}: ${at}${first.message}${more.length ? ` (and ${more.length} more)` : ''}`;
}

export const badParam = (path: string, message: string): HttpError =>
  new HttpError(400, summary('invalid request', [{ path, message }]), [{ path, message }]);
