// Test data files for the transfers of the end-to-end tests: random content
// written a megabyte at a time, and its sha256 to compare with what arrived.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export function sha256File(file: string): string {
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/** `mb` MB of random bytes in dir/name, and their sha256. */
export function randomFile(dir: string, name: string, mb: number): { file: string; sha: string } {
  const file = path.join(dir, name);
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'w');
  try {
    for (let i = 0; i < mb; i++) {
      const chunk = crypto.randomBytes(1 << 20);
      h.update(chunk);
      fs.writeSync(fd, chunk);
    }
  } finally {
    fs.closeSync(fd);
  }
  return { file, sha: h.digest('hex') };
}
