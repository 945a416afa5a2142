// The API over TLS: a certificate and key made here with openssl, signed by
// a CA of the test's own. fulcrumadm verifies the director against the CA
// it is given (FULCRUM_API_CA) and refuses one it cannot verify; SIGHUP's
// reload serves a new certificate to new connections and keeps the old one
// when the new files are bad; a non-loopback bind without TLS is refused
// unless the config says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { ConfigWriter } from '../../src/lb/writer';
import { resolveApiBind, startApi } from '../../src/api/server';
import { FakeAppliance, rawConfig, tmpDir, validConfig } from './api-fixtures';

const ROOT = path.join(__dirname, '..', '..', '..');
const ADM = path.join(ROOT, 'dist', 'src', 'cli', 'fulcrumadm.js');

/** A CA, and a server certificate for 127.0.0.1 that it signs. */
function makePki(dir: string, name: string): { ca: string; cert: string; key: string } {
  const f = (x: string): string => path.join(dir, `${name}-${x}`);
  const ossl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'pipe' });
  ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name} test CA`, '-keyout', f('ca.key'), '-out', f('ca.pem'));
  ossl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=director', '-keyout', f('key.pem'), '-out', f('csr.pem'));
  fs.writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  ossl('x509', '-req', '-in', f('csr.pem'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('ext.cnf'), '-out', f('cert.pem'));
  return { ca: f('ca.pem'), cert: f('cert.pem'), key: f('key.pem') };
}

/** The certificate a TLS client verifying against `ca` sees, or the error. */
function peer(port: number, ca: string): Promise<{ fingerprint?: string; error?: string }> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca: fs.readFileSync(ca) }, () => {
      resolve({ fingerprint: s.getPeerCertificate().fingerprint256 });
      s.end();
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
  });
}

const fingerprintOf = (certFile: string): string => new crypto_.X509Certificate(fs.readFileSync(certFile)).fingerprint256;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const crypto_ = require('node:crypto') as typeof import('node:crypto');

/** fulcrumadm as a child (asynchronously: the API answers from this process). */
const adm = (env: Record<string, string | undefined>, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(process.execPath, [ADM, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }));
  });

test('HTTPS API: fulcrumadm verifies the director against FULCRUM_API_CA; SIGHUP reload serves a new certificate', { timeout: 120_000 }, async () => {
  const dir = tmpDir();
  const one = makePki(dir, 'one');
  const two = makePki(dir, 'two');
  const live = { cert: path.join(dir, 'api.crt'), key: path.join(dir, 'api.key') };
  fs.copyFileSync(one.cert, live.cert);
  fs.copyFileSync(one.key, live.key);
  const port = 20000 + (process.pid % 20000);
  const cfg = validConfig({ ...rawConfig(), api: { listen: '127.0.0.1', port, tls: live } });
  const fake = new FakeAppliance();
  const writer = new ConfigWriter({ appliance: fake, initial: cfg, stateFile: null });
  const started = await startApi({ writer, appliance: fake, config: cfg, env: {} });
  try {
    assert.equal(started.url, `https://127.0.0.1:${port}`);
    const url = started.url;
    const ok = await adm({ FULCRUM_API: url, FULCRUM_API_CA: one.ca }, ['-Ln']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^IP Virtual Server version .*\nProt LocalAddress:Port/);
    assert.match(ok.stdout, /^TCP {2}198\.18\.0\.100:80 rr/m);
    // Another CA, and none: the director's certificate cannot be verified.
    for (const env of [{ FULCRUM_API: url, FULCRUM_API_CA: two.ca }, { FULCRUM_API: url }]) {
      const bad = await adm(env, ['-Ln']);
      assert.equal(bad.status, 2, bad.stdout + bad.stderr);
      assert.match(bad.stderr, /^Can't initialize ipvs: cannot reach the Fulcrum API at https:\/\/127\.0\.0\.1:\d+ \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)/);
    }
    const missing = await adm({ FULCRUM_API: url, FULCRUM_API_CA: path.join(dir, 'nope.pem') }, ['-Ln']);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /^FULCRUM_API_CA: cannot read .*nope\.pem: ENOENT/);
    // Plain HTTP to the HTTPS port gets nothing useful.
    assert.notEqual((await adm({ FULCRUM_API: `http://127.0.0.1:${port}` }, ['-Ln'])).status, 0);

    assert.equal((await peer(port, one.ca)).fingerprint, fingerprintOf(one.cert));
    // SIGHUP's reload: the new certificate for new connections.
    fs.copyFileSync(two.cert, live.cert);
    fs.copyFileSync(two.key, live.key);
    started.reloadTls();
    assert.equal((await peer(port, two.ca)).fingerprint, fingerprintOf(two.cert));
    assert.ok((await peer(port, one.ca)).error, 'the old CA no longer verifies it');
    // Bad files: the reload fails naming the file, and the certificate in use stays.
    fs.writeFileSync(live.key, 'not a key');
    fs.rmSync(live.cert);
    assert.throws(() => started.reloadTls(), /^Error: api\.tls\.cert: cannot read .*api\.crt: ENOENT$/);
    assert.equal((await peer(port, two.ca)).fingerprint, fingerprintOf(two.cert));
  } finally {
    await started.app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a non-loopback API without TLS is refused unless api.insecure says so; unreadable files are named at start', async () => {
  const plain = structuredClone(validConfig({ ...rawConfig(), api: { listen: '0.0.0.0', token: 'abcdefgh12', insecure: true } }));
  assert.equal(resolveApiBind(plain, {}).host, '0.0.0.0');
  plain.api.insecure = false;
  assert.throws(() => resolveApiBind(plain, {}), /refusing to listen on 0\.0\.0\.0:9180 without TLS: the token would travel in clear text/);
  const cfg = validConfig({ ...rawConfig(), api: { listen: '127.0.0.1', port: 9181, tls: { cert: '/nonexistent/api.crt', key: '/nonexistent/api.key' } } });
  const fake = new FakeAppliance();
  const writer = new ConfigWriter({ appliance: fake, initial: cfg, stateFile: null });
  await assert.rejects(startApi({ writer, appliance: fake, config: cfg, env: {} }), /^Error: api\.tls\.cert: cannot read \/nonexistent\/api\.crt: ENOENT$/);
});
