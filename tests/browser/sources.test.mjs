// Every example the tester offers and every vector file names a primary source (a provider
// document's URL or an SDK repository and path) or says it is computed and with what; none
// cites a file outside this repository. No build needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXAMPLES } from '../../www/examples.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A citation of something that is not part of the project (or not public). */
const OUTSIDE = /protocols\.md|shared\/|\/work\/|file:\/\/|(^|[\s(])\/(home|tmp|root|Users)\//;
/** A URL, or `owner/repo path/to/file`, the forms a primary source takes. */
const PRIMARY = /https:\/\/\S+|\b[\w.-]+\/[\w.-]+ [\w./-]+\.\w+/;

test('every example names a primary source, or says computed and with what', () => {
  for (const [name, ex] of Object.entries(EXAMPLES)) {
    assert.doesNotMatch(ex.source, OUTSIDE, `${name}: ${ex.source}`);
    assert.ok(['published', 'computed'].includes(ex.origin), `${name}: origin ${ex.origin}`);
    if (ex.origin === 'computed') assert.match(ex.source, /^Computed \(\w[^)]*\)/, `${name}: computed with what`);
    else assert.match(ex.source, PRIMARY, `${name}: ${ex.source}`);
  }
});

test('every vector file cites its sources, none outside the project', () => {
  const dir = path.join(root, 'tests/vectors');
  const files = fs.readdirSync(dir).filter((d) => fs.existsSync(path.join(dir, d, 'vectors.json')));
  assert.ok(files.length >= 9, `${files.length} vector folders`);
  for (const d of files) {
    const text = fs.readFileSync(path.join(dir, d, 'vectors.json'), 'utf8');
    assert.doesNotMatch(text, OUTSIDE, `${d}/vectors.json cites a file outside the project`);
    const v = JSON.parse(text);
    assert.ok(Array.isArray(v.sources) && v.sources.length > 0, `${d}: sources`);
    assert.ok(v.sources.some((s) => PRIMARY.test(s)), `${d}: no source is a URL or an SDK path`);
  }
});
