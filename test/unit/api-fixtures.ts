// Shared by writer.test.ts and api.test.ts: a valid config and a fake appliance.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validateConfig } from '../../src/config/validate';
import type { FulcrumConfig } from '../../src/config/types';
import type { ApplyTarget } from '../../src/lb/writer';

export function rawConfig(): Record<string, unknown> {
  return {
    dataplane: { workers: [1] },
    ports: [
      { name: 'client', device: 'ring', twin: false, addresses: [{ ip: '198.18.0.1/24', role: 'dip' }, { ip: '198.18.0.100/32', role: 'vip' }] },
      { name: 'servers', device: 'ring', twin: false, addresses: [{ ip: '198.19.0.1/24', role: 'dip' }, { ip: '198.19.0.2/24', role: 'lip' }] },
    ],
    lipPools: { default: ['198.19.0.2'] },
    services: [
      { protocol: 'tcp', vip: '198.18.0.100', port: 80, scheduler: 'rr', servers: [{ address: '198.19.0.11', port: 80, method: 'fullnat' }] },
    ],
  };
}

export function validConfig(raw: unknown = rawConfig()): FulcrumConfig {
  const r = validateConfig(raw);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  return r.config;
}

/** Records applies; fails on demand; flags overlapping applies. */
export class FakeAppliance implements ApplyTarget {
  applied: FulcrumConfig[] = [];
  failNext: string | null = null;
  failAlways: string | null = null;
  /** Set from apply until the writer reports the change done (onApplied). */
  pending = false;
  overlaps = 0;
  running = true;
  apply(cfg: FulcrumConfig): void {
    const why = this.failAlways ?? this.failNext;
    this.failNext = null;
    if (why) throw new Error(why);
    if (this.pending) this.overlaps++;
    this.pending = true;
    this.applied.push(structuredClone(cfg));
  }
  done(): void {
    this.pending = false;
  }
  stats() {
    return { workers: [], ports: {}, drops: {}, persistence: { templateSlots: 65536, templatesFull: 0, templatesReclaimed: 0 } };
  }
  ports() {
    return [];
  }
}

export function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'fulcrum-writer-'));
}

