// Every way bad input is refused, tried as an operator (or an attacker)
// would: HTTP bodies of each content type and shape, keys JSON.parse lets
// through silently, query parameters given twice, oversized and deeply
// nested documents, binary junk in config files and keepalived imports,
// options before and after a command. Each is refused with a message that
// names the field, key, content type or option, with the right status; no
// parser crashes or hangs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ConfigWriter } from '../../src/lb/writer';
import { buildApi } from '../../src/api/server';
import { loadConfig, MAX_CONFIG_BYTES, parseConfigText } from '../../src/config/load';
import { convertKeepalived } from '../../src/keepalived/convert';
import { FakeAppliance, rawConfig, validConfig } from './api-fixtures';

const ROOT = path.join(__dirname, '..', '..', '..');
const FULCRUM = path.join(ROOT, 'dist', 'src', 'cli', 'fulcrum.js');
const SVC = { protocol: 'tcp', vip: '198.18.0.100', port: 81 };

function api() {
  const fake = new FakeAppliance();
  const writer = new ConfigWriter({ appliance: fake, initial: validConfig(), stateFile: null, onApplied: () => fake.done() });
  return { app: buildApi({ writer, appliance: fake }), fake, writer };
}

async function send(ct: string | undefined, payload: string, url = '/api/v1/services', method = 'POST') {
  const { app, fake, writer } = api();
  const before = JSON.stringify(writer.current());
  const r = await app.inject({ method: method as 'POST', url, headers: ct ? { 'content-type': ct } : {}, payload });
  assert.equal(fake.applied.length, 0, 'nothing reached the dataplane');
  assert.equal(JSON.stringify(writer.current()), before, 'the config is untouched');
  return { status: r.statusCode, body: JSON.parse(r.body) as { error: string; errors: { path: string; message: string }[] } };
}

describe('API bodies', () => {
  it('a content type that is not JSON is 415 and named; so is none', async () => {
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x']) {
      const r = await send(ct, JSON.stringify(SVC));
      assert.equal(r.status, 415, ct);
      assert.equal(r.body.error, `unsupported media type: headers.content-type: ${ct} is not accepted: send the body as application/json`);
    }
    const none = await send(undefined, JSON.stringify(SVC));
    assert.equal(none.status, 415);
    assert.equal(none.body.errors[0]!.message, 'missing: send the body as application/json');
  });

  it('keys JSON.parse lets through: "__proto__" anywhere, a key given twice', async () => {
    const p = await send('application/json', '{"protocol":"tcp","vip":"198.18.0.100","port":81,"servers":[{"__proto__":{"admin":true}}]}');
    assert.equal(p.status, 400);
    assert.equal(p.body.errors[0]!.path, 'servers[0].__proto__');
    assert.match(p.body.error, /the key "__proto__" is not allowed/);
    const d = await send('application/json', '{"protocol":"tcp","vip":"198.18.0.100","port":81,"port":82}');
    assert.equal(d.status, 400);
    assert.equal(d.body.error, 'invalid request: port: line 1, col 50: key "port" given twice in the same object');
    const c = await send('application/json', '{"protocol":"tcp","vip":"198.18.0.100","port":81,"constructor":{"prototype":{}}}');
    assert.equal(c.status, 400);
    assert.equal(c.body.errors[0]!.path, 'constructor');
  });

  it('broken, empty, deep, non-object and oversized bodies', async () => {
    const bad = await send('application/json', '{"protocol": "tcp",\n "port": 81,}');
    assert.equal(bad.body.error, 'invalid request: (body): invalid JSON: line 2, col 13: unexpected "}", expected a quoted key');
    assert.equal((await send('application/json', '  ')).body.error, 'invalid request: (body): is empty: send a JSON document');
    const deep = await send('application/json', '['.repeat(100000) + ']'.repeat(100000));
    assert.equal(deep.status, 400);
    assert.match(deep.body.error, /nested deeper than 64 levels/);
    for (const junk of ['null', '[]', '"x"', '42']) {
      const r = await send('application/json', junk);
      assert.equal(r.body.error, 'invalid request: (body): must be object', junk);
    }
    const bin = await send('application/json', crypto.randomBytes(2000).toString('latin1'));
    assert.equal(bin.status, 400);
    const big = await send('application/json', `{"x":"${'a'.repeat(5 << 20)}"}`, '/api/v1/config', 'PUT');
    assert.equal(big.status, 413);
    assert.equal(big.body.error, "request body too large: (body): larger than the API's limit of 4 MB");
  });

  it('a query parameter given twice is named', async () => {
    const { app } = api();
    const r = await app.inject({ method: 'GET', url: '/api/v1/sessions?limit=5&limit=6' });
    assert.equal(r.statusCode, 400);
    assert.equal(JSON.parse(r.body).error, 'invalid request: query.limit: given 2 times: give it once');
  });
});

describe('config files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fulcrum-rej-'));
  const file = (name: string, text: string | Buffer): string => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };
  const errorOf = (f: string): string => {
    const r = loadConfig(f);
    assert.equal(r.ok, false);
    return r.ok ? '' : `${r.errors[0]!.path}: ${r.errors[0]!.message}`;
  };

  it('JSON: a duplicate key and "__proto__" are named with their path and place', () => {
    const base = JSON.stringify(rawConfig());
    const dup = file('dup.json', base.replace('"workers":[1]', '"workers":[1],"workers":[2]'));
    assert.match(errorOf(dup), /dup\.json: dataplane\.workers: line 1, col \d+: key "workers" given twice in the same object$/);
    const proto = file('proto.json', base.replace('{"dataplane"', '{"__proto__":{},"dataplane"'));
    assert.match(errorOf(proto), /proto\.json: __proto__: line 1, col 2: the key "__proto__" is not allowed$/);
  });

  it('deep nesting, alias bombs, binary junk and huge files are refused, not crashed on', () => {
    assert.match(errorOf(file('deep.json', '{"a":'.repeat(100000) + '1' + '}'.repeat(100000))), /nested deeper than 64 levels/);
    assert.match(errorOf(file('deep.yaml', 'a: ' + '['.repeat(100000))), /nested too deeply/);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefg'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefg'[i]}`).join(', ')}]`), 'h: [*g, *g]'].join('\n');
    assert.match(errorOf(file('bomb.yaml', bomb)), /resource exhaustion/);
    assert.match(errorOf(file('junk.json', crypto.randomBytes(4096))), /junk\.json: line \d+, col \d+: /);
    const big = path.join(dir, 'big.json');
    fs.writeFileSync(big, '');
    fs.truncateSync(big, MAX_CONFIG_BYTES + 1);
    assert.equal(errorOf(big), `${big}: ${MAX_CONFIG_BYTES + 1} bytes: larger than 16 MB, not a config`);
    assert.equal(parseConfigText('a: 1\na: 2\n', 'c.yaml').ok, false, 'YAML duplicate keys too');
  });
});

describe('keepalived import', () => {
  it('deep blocks, unclosed blocks and random bytes give warnings, never a crash or a hang', () => {
    const deep = convertKeepalived('virtual_server 198.18.0.100 80 ' + '{ a '.repeat(100000));
    assert.ok(deep.warnings.some((w) => /blocks nested deeper than 32 levels - the rest of the file is not read/.test(w.message)));
    for (let i = 0; i < 50; i++) {
      // Any byte, NBSP, vertical tab and form feed included (once a hang in the reader).
      const r = convertKeepalived(crypto.randomBytes(2000).toString('latin1') + '\u00a0\v\f');
      assert.equal(r.config.services.length, 0);
    }
  });

  it('fulcrum import-keepalived refuses binary files by name', async () => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fulcrum-rej-')), 'k.conf');
    fs.writeFileSync(f, Buffer.from([0x76, 0, 0x73]));
    const r = await promisify(execFile)(process.execPath, [FULCRUM, 'import-keepalived', f]).then(() => null, (e: { code: number; stderr: string }) => e);
    assert.equal(r?.code, 1);
    assert.equal(r?.stderr, `fulcrum: import-keepalived: ${f}: binary data (NUL bytes), not a keepalived.conf\n`);
  });
});

describe('fulcrum command line', () => {
  const run = (args: string[]) => promisify(execFile)(process.execPath, [FULCRUM, ...args]).then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
  it('an option before the command, a mistyped option, a missing value, a missing option: each named, exit 2', async () => {
    const cases: [string[], string][] = [
      [['--config', 'x', 'daemon'], 'fulcrum: --config: options go after the command (fulcrum <command> --config ...) (see fulcrum --help)\n'],
      [['daemon', '--confg', 'x'], 'fulcrum: Unknown argument: confg (see fulcrum --help)\n'],
      [['daemon', '--config'], 'fulcrum: Not enough arguments following: config (see fulcrum --help)\n'],
      [['daemon'], 'fulcrum: Missing required argument: --config (see fulcrum --help)\n'],
      [['replay', '--config', 'c.json'], 'fulcrum: Missing required argument: --in (see fulcrum --help)\n'],
      [['explain', 'tcp', '1.2.3.4', '1.2.3.5:80'], 'fulcrum: src: "1.2.3.4" is not address:port (e.g. 198.18.0.10:40000) (see fulcrum --help)\n'],
    ];
    for (const [args, want] of cases) {
      const r = await run(args);
      assert.equal(r.stderr, want, args.join(' '));
      assert.equal(r.code, 2, args.join(' '));
    }
  });
});
