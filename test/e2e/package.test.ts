// End-to-end: the Debian package (scripts/build-deb.sh) installed, upgraded
// and purged on a clean Debian 12 root: debootstrap (minbase, from the same
// mirror as this host) into a temp dir, then apt inside a chroot, which
// pulls the package's dependencies from Debian. Node.js 20 is not in
// Debian 12 (its nodejs is 18), so the chroot gets this host's nodejs
// package, repacked with dpkg-repack, first.
//   - lintian reports nothing
//   - install: fulcrum and fulcrumadm on PATH, the addon loads (its
//     libraries and the PMD plugins came with the Depends), the daemon
//     plans the default config, the fulcrum user owns /var/lib/fulcrum,
//     the units and the manual pages are there
//   - upgrade to a higher version: an edited /etc/fulcrum/fulcrum.json and
//     the state file are kept
//   - purge: the files, /etc/fulcrum, /var/lib/fulcrum and the user go;
//     nodejs stays
// Needs root (debootstrap, chroot) and the Debian mirror. Without root it
// skips loudly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, run, skipUnlessRoot } from '../lib/netns';

const SKIP = skipUnlessRoot();
if (SKIP) process.stderr.write(`\n!!!!!!!! e2e/package SKIPPED: ${SKIP} !!!!!!!!\n\n`);

describe('e2e Debian package: install, upgrade, purge on a clean Debian 12 root', { skip: SKIP || false }, () => {
  const work = SKIP ? '' : fs.mkdtempSync(path.join(os.tmpdir(), 'fl-package-'));
  const root = path.join(work, 'root');
  const debs: Record<string, string> = {};
  const V1 = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')).version as string;
  const V2 = `${V1}+upgrade1`;
  const sh = (cmd: string): Promise<{ stdout: string; stderr: string; code: number | null }> =>
    run('chroot', [root, 'sh', '-c', cmd], { allowFail: true, timeoutMs: 300_000 });
  const ok = async (cmd: string): Promise<string> => {
    const r = await sh(cmd);
    assert.equal(r.code, 0, `${cmd}\n${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const mounted = (): string[] => fs.readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(root));

  before(async () => {
    for (const [v, dir] of [[V1, 'v1'], [V2, 'v2']] as const) {
      const r = await run('bash', [path.join(repoRoot(), 'scripts', 'build-deb.sh'), '--version', v, '--out', path.join(work, dir)], { timeoutMs: 300_000 });
      debs[v] = r.stdout.trim().split('\n').pop()!;
    }
    const mirror = (await run('bash', [path.join(repoRoot(), 'scripts', 'debian-mirror.sh')])).stdout.trim();
    await run('debootstrap', ['--variant=minbase', 'bookworm', root, mirror], { timeoutMs: 900_000 });
    const repack = await run('dpkg-repack', ['nodejs'], { cwd: work, timeoutMs: 600_000 });
    const nodeDeb = fs.readdirSync(work).find((f) => /^nodejs_.*\.deb$/.test(f));
    assert.ok(nodeDeb, `dpkg-repack made no nodejs package: ${repack.stdout}${repack.stderr}`);
    fs.copyFileSync(path.join(work, nodeDeb), path.join(root, 'tmp', 'nodejs.deb'));
    for (const v of [V1, V2]) fs.copyFileSync(debs[v]!, path.join(root, 'tmp', path.basename(debs[v]!)));
    await run('mount', ['-t', 'proc', 'proc', path.join(root, 'proc')]);
  }, { timeout: 1_500_000 });

  after(async () => {
    if (!work) return;
    if (fs.existsSync(path.join(root, 'proc'))) await run('umount', [path.join(root, 'proc')], { allowFail: true });
    // Never remove a tree with anything of the host still mounted in it.
    const left = mounted();
    if (left.length) throw new Error(`still mounted, not removed: ${left.join(', ')}`);
    fs.rmSync(work, { recursive: true, force: true });
  }, { timeout: 120_000 });

  test('lintian reports nothing on the package', { timeout: 300_000 }, async () => {
    const r = await run('lintian', ['--tag-display-limit', '0', debs[V1]!], { allowFail: true, timeoutMs: 300_000 });
    const tags = (r.stdout + r.stderr).split('\n').filter((l) => /^[EWIX]: /.test(l));
    assert.deepEqual(tags, [], tags.join('\n'));
  });

  test('install: commands on PATH, the addon loads, the default config plans, user, units, manual pages', { timeout: 600_000 }, async () => {
    await ok(`DEBIAN_FRONTEND=noninteractive apt-get install -y -q /tmp/nodejs.deb /tmp/${path.basename(debs[V1]!)} > /tmp/apt.log 2>&1 || { tail -30 /tmp/apt.log; exit 1; }`);
    assert.equal((await ok('fulcrum --version')).trim(), V1);
    assert.match(await ok('fulcrumadm --version'), new RegExp(`fulcrumadm v${V1.replace(/\./g, '\\.')}`));
    // The addon's own libraries come from the Depends dpkg-shlibdeps worked out.
    await ok("node -e \"require('/usr/lib/fulcrum/build/native/Release/fulcrum_native.node')\"");
    const plan = JSON.parse(await ok('fulcrum daemon --dry-run --config /etc/fulcrum/fulcrum.json')) as { eal: string[] };
    assert.ok(plan.eal.includes('--no-telemetry'), JSON.stringify(plan.eal));
    // The EAL plugins the port types need.
    for (const pmd of ['net_tap', 'net_af_packet', 'net_af_xdp', 'net_virtio', 'mempool_ring']) {
      await ok(`ls /usr/lib/x86_64-linux-gnu/dpdk/pmds-23*/ | grep -q 'librte_${pmd}.so'`);
    }
    assert.match(await ok('getent passwd fulcrum'), /^fulcrum:x:\d+:\d+::\/var\/lib\/fulcrum:\/usr\/sbin\/nologin/);
    assert.equal((await ok('stat -c "%U %a" /var/lib/fulcrum')).trim(), 'fulcrum 750');
    await ok('test -f /lib/systemd/system/fulcrum.service && test -f /lib/systemd/system/fulcrum-setup.service');
    assert.match(await ok('zcat /usr/share/man/man8/fulcrumadm.8.gz'), /ipvsadm/);
  });

  test('upgrade to a higher version keeps an edited /etc/fulcrum/fulcrum.json and the state file', { timeout: 600_000 }, async () => {
    await ok("sed -i 's/\"port\": 9180/\"port\": 9181/' /etc/fulcrum/fulcrum.json && grep -q 9181 /etc/fulcrum/fulcrum.json");
    await ok('echo "{}" > /var/lib/fulcrum/state.json');
    await ok(`DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Options::=--force-confold /tmp/${path.basename(debs[V2]!)} > /tmp/apt.log 2>&1 || { tail -30 /tmp/apt.log; exit 1; }`);
    assert.equal((await ok("dpkg-query -W -f '${Version}' fulcrum")).trim(), V2);
    assert.equal((await ok('fulcrum --version')).trim(), V2);
    await ok('grep -q 9181 /etc/fulcrum/fulcrum.json');
    assert.equal((await ok('cat /var/lib/fulcrum/state.json')).trim(), '{}');
    assert.equal((await ok('stat -c "%U" /var/lib/fulcrum')).trim(), 'fulcrum');
  });

  test('purge removes the files, /etc/fulcrum, /var/lib/fulcrum and the user; nodejs stays', { timeout: 300_000 }, async () => {
    await ok('DEBIAN_FRONTEND=noninteractive apt-get purge -y -q fulcrum > /tmp/apt.log 2>&1 || { tail -30 /tmp/apt.log; exit 1; }');
    for (const p of ['/usr/lib/fulcrum', '/usr/bin/fulcrum', '/etc/fulcrum', '/var/lib/fulcrum', '/lib/systemd/system/fulcrum.service']) {
      assert.notEqual((await sh(`test -e ${p}`)).code, 0, `${p} is still there`);
    }
    assert.notEqual((await sh('getent passwd fulcrum')).code, 0, 'the fulcrum user is still there');
    assert.match(await ok('node --version'), /^v20\./);
  });
});
