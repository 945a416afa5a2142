#!/usr/bin/env node
// `fulcrumadm`: ipvsadm's command line and output formats over the Fulcrum
// HTTP API. Everything but process wiring lives in src/ipvsadm/.
import { readFileSync } from 'node:fs';
import { servicesResolver, type PortResolver } from '../ipvsadm/format';
import { runFulcrumadm } from '../ipvsadm/run';

function etcServices(): PortResolver | undefined {
  try {
    return servicesResolver(readFileSync('/etc/services', 'utf8'));
  } catch {
    return undefined;
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

runFulcrumadm(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  readStdin,
  env: process.env,
  resolvePort: etcServices(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`fulcrumadm: ${(e as Error)?.message?.split('\n')[0] ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
