import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fulcrum-load-'));
function write(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

const YAML_OK = `
dataplane:
  workers: [1]
ports:
  - name: lan
    device: ring
    addresses:
      - { ip: 198.18.0.1/24, role: dip }
`;

test('YAML by extension', () => {
  const r = loadConfig(write('a.yaml', YAML_OK));
  assert.ok(r.ok);
  assert.equal(r.config.ports[0]!.twin, 'fl-lan');
});

test('YAML by content when the extension says nothing', () => {
  assert.ok(loadConfig(write('a.conf', YAML_OK)).ok);
});

test('JSON by content', () => {
  const f = write('b.conf', JSON.stringify({ dataplane: { workers: [1] }, ports: [{ name: 'lan', device: 'ring' }] }));
  assert.ok(loadConfig(f).ok);
});

test('JSON syntax error: one error with line and col', () => {
  const f = write('c.json', '{\n  "dataplane": {"workers": [1]},\n  "ports": [,]\n}\n');
  const r = loadConfig(f);
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.errors.length, 1);
  assert.equal(r.errors[0]!.path, f);
  assert.match(r.errors[0]!.message, /^line 3, col 13: /);
});

test('YAML syntax error: one error with line and col', () => {
  const f = write('d.yml', 'dataplane:\n  workers: [1\nports: []\n');
  const r = loadConfig(f);
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0]!.message, /^line \d+, col \d+: /);
});

test('YAML duplicate key is an error, not last-one-wins', () => {
  const r = loadConfig(write('e.yaml', 'dataplane: {workers: [1]}\ndataplane: {workers: [2]}\nports: []\n'));
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.errors[0]!.message, /^line 2, col 1: .*unique/);
});

test('missing file', () => {
  const r = loadConfig(path.join(dir, 'nope.json'));
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.errors[0]!.message, /ENOENT/);
});

test('validation errors pass through with field paths', () => {
  const r = loadConfig(write('f.yaml', YAML_OK.replace('device: ring', 'device: ring\n    colour: blue')));
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.errors[0]!.path, 'ports[0].colour');
});
