// fulcrum replay's inputs: pcap files in both byte orders and timestamp
// resolutions round-trip; truncated, corrupt, pcapng and non-pcap files are
// refused with a message naming the file and the byte; the frame parser
// never throws on junk; the L4 checksum after a port rewrite is right.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PcapError, readPcap, writePcap } from '../../src/replay/pcap';
import { parseFrame, rewritePort } from '../../src/replay/frame';
import { ethernet, ipv4, l4Checksum } from '../lib/packet';
import { rawConfig } from './api-fixtures';

const ROOT = path.join(__dirname, '..', '..', '..');

function udpFrame(sport: number, dport: number, payload: Buffer): Buffer {
  const udp = Buffer.alloc(8 + payload.length);
  udp.writeUInt16BE(sport, 0);
  udp.writeUInt16BE(dport, 2);
  udp.writeUInt16BE(udp.length, 4);
  payload.copy(udp, 8);
  udp.writeUInt16BE(l4Checksum('198.19.0.11', '198.19.0.2', 17, udp), 6);
  return ethernet({ dst: '02:00:00:00:00:01', src: '02:00:00:00:00:02', type: 0x0800, payload: ipv4({ src: '198.19.0.11', dst: '198.19.0.2', proto: 17, payload: udp }) });
}

describe('replay: pcap files', () => {
  it('what writePcap writes, readPcap reads back; big-endian and nanosecond files too', () => {
    const frames = [{ tsNs: 1_700_000_000_123_456_000n, data: udpFrame(53, 1234, Buffer.from('hi')) }, { tsNs: 1_700_000_001_000_000_000n, data: Buffer.alloc(60, 7) }];
    const p = readPcap(writePcap(frames));
    assert.equal(p.linkType, 1);
    assert.deepEqual(p.records.map((r) => [r.tsNs, r.data.toString('hex')]), frames.map((f) => [f.tsNs, f.data.toString('hex')]));
    // The same file big-endian with nanoseconds.
    const be = Buffer.alloc(24 + 16 + 4);
    be.writeUInt32BE(0xa1b23c4d, 0);
    be.writeUInt32BE(1, 20);
    be.writeUInt32BE(5, 24);
    be.writeUInt32BE(42, 28);
    be.writeUInt32BE(4, 32);
    be.writeUInt32BE(4, 36);
    be.write('abcd', 40);
    const q = readPcap(be);
    assert.equal(q.records[0]!.tsNs, 5_000_000_042n);
    assert.equal(q.records[0]!.data.toString(), 'abcd');
  });

  it('bad files are refused with the file and the place', () => {
    const good = writePcap([{ tsNs: 0n, data: Buffer.alloc(60) }]);
    const err = (b: Buffer) => {
      try {
        readPcap(b, 'x.pcap');
      } catch (e) {
        assert.ok(e instanceof PcapError);
        return (e as Error).message;
      }
      return 'accepted';
    };
    assert.equal(err(Buffer.alloc(10)), 'x.pcap: 10 bytes: too short for a pcap file header (24 bytes)');
    const ng = Buffer.alloc(32);
    ng.writeUInt32LE(0x0a0d0d0a, 0);
    assert.match(err(ng), /^x\.pcap: a pcapng file; write classic pcap/);
    assert.match(err(Buffer.alloc(40, 0x41)), /^x\.pcap: not a pcap file \(magic 0x41414141\)$/);
    assert.equal(err(good.subarray(0, good.length - 5)), 'x.pcap: record 1 at byte 24 is cut short (55 of 60 bytes)');
    assert.equal(err(good.subarray(0, 30)), 'x.pcap: truncated record header at byte 24 (record 1)');
    const huge = Buffer.from(good);
    huge.writeUInt32LE(0x7fffffff, 32);
    assert.equal(err(huge), 'x.pcap: record 1 at byte 24 claims 2147483647 bytes (corrupt)');
  });

  it('the frame parser takes any bytes without throwing', () => {
    for (let i = 0; i < 3000; i++) {
      const b = crypto.randomBytes(i % 120);
      if (i % 3 === 0 && b.length > 14) b.writeUInt16BE(0x0800, 12);
      if (i % 3 === 0 && b.length > 15) b[14] = 0x45;
      parseFrame(b);
    }
  });

  it('a rewritten port gets a correct UDP checksum', () => {
    const f = udpFrame(5353, 40000, Buffer.from('odd'));
    const v = parseFrame(f)!.ipv4!;
    rewritePort(f, v, 'dst', 41234);
    const udp = f.subarray(v.l4);
    assert.equal(udp.readUInt16BE(2), 41234);
    const copy = Buffer.from(udp);
    copy.writeUInt16BE(0, 6);
    assert.equal(udp.readUInt16BE(6), l4Checksum('198.19.0.11', '198.19.0.2', 17, copy));
  });

  it('fulcrum replay: a bad --in, a missing file and a bad config are one line each, exit non-zero', async () => {
    const bin = path.join(ROOT, 'dist', 'src', 'cli', 'fulcrum.js');
    const run = (args: string[]) => promisify(execFile)(process.execPath, [bin, 'replay', ...args]).then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fulcrum-replay-'));
    const cfg = path.join(dir, 'c.json');
    fs.writeFileSync(cfg, '{"dataplane": {}}');
    const bad = await run(['--config', cfg, '--in', 'nonsense']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--in nonsense: expected PORT=FILE\.pcap/);
    const conf = await run(['--config', cfg, '--in', 'client=/nonexistent.pcap']);
    assert.equal(conf.code, 1);
    assert.match(conf.stderr, /^fulcrum: config: /);
    const okCfg = path.join(dir, 'ok.json');
    fs.writeFileSync(okCfg, JSON.stringify(rawConfig()));
    const missing = await run(['--config', okCfg, '--in', 'client=/nonexistent.pcap']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^fulcrum: --in client=\/nonexistent\.pcap: cannot read \/nonexistent\.pcap: ENOENT/);
    const junk = path.join(dir, 'junk.pcap');
    fs.writeFileSync(junk, 'not a capture at all, just text');
    const j = await run(['--config', okCfg, '--in', `client=${junk}`]);
    assert.equal(j.code, 1);
    assert.equal(j.stderr, `fulcrum: ${junk}: not a pcap file (magic 0x20746f6e)\n`);
    const noPort = await run(['--config', okCfg, '--in', `uplink=${junk}`]);
    assert.equal(noPort.stderr, `fulcrum: --in uplink=${junk}: no port "uplink" in the config (ports: client, servers)\n`);
  });
});
