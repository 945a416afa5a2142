// The dataplane's names and limits (exported by the addon from its C tables)
// agree with the ones the config schema is built on, and a disagreement is
// caught, naming what differs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNative } from '../../src/native/addon';
import { statedVocabulary, vocabularyMismatches } from '../../src/native/vocabulary';

test('the built addon exports the vocabulary the control plane states', () => {
  const addon = loadNative(); // throws on any mismatch
  assert.deepEqual(vocabularyMismatches(addon.vocabulary), []);
  assert.deepEqual(addon.vocabulary.methods, ['fullnat', 'dr', 'nat', 'tun']);
  assert.equal(addon.vocabulary.schedulers.length, 14);
  assert.ok(addon.vocabulary.schedulers.includes('twos'));
  assert.deepEqual(addon.vocabulary.dropReasons, addon.dropReasons());
});

test('a method, scheduler, flag or limit on one side only is named', () => {
  const v = statedVocabulary();
  assert.deepEqual(vocabularyMismatches(v), []);
  const extra = { ...v, methods: [...v.methods, 'gre'] };
  assert.match(vocabularyMismatches(extra).join(), /^methods: control plane \[fullnat, dr, nat, tun\], dataplane \[fullnat, dr, nat, tun, gre\]$/);
  assert.match(vocabularyMismatches({ ...v, schedulers: v.schedulers.slice(1) }).join(), /^schedulers:/);
  assert.match(vocabularyMismatches({ ...v, schedFlags: [] }).join(), /^scheduler flags:/);
  assert.match(vocabularyMismatches({ ...v, defaultScheduler: 'rr' }).join(), /^default scheduler:/);
  assert.match(vocabularyMismatches({ ...v, limits: { ...v.limits, workers: 32 } }).join(), /^limit workers: control plane 16, dataplane 32$/);
  assert.match(vocabularyMismatches(undefined).join(), /no vocabulary/);
});
