// Builds hnswlib and USearch indexes on the vectors written by `Sift.Benchmarks vectors-synthetic DIR`, with the same
// M, efConstruction and efSearch values and one thread each, and prints build time and a recall/QPS curve measured
// against Sift's exact ground truth (truth.i32).
import { createRequire } from 'node:module';
import { readFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const require = createRequire(import.meta.url);
const { HierarchicalNSW } = require('hnswlib-node');
const usearch = require('usearch');

const dir = process.argv[2];
const shape = JSON.parse(readFileSync(join(dir, 'shape.json'), 'utf8'));
const { count, queries: queryCount, dimensions, m, efConstruction } = shape;
const floats = (file) => { const b = readFileSync(join(dir, file)); return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); };
const data = floats('data.f32');
const queries = floats('queries.f32');
const truthBytes = readFileSync(join(dir, 'truth.i32'));
const truth = new Int32Array(truthBytes.buffer, truthBytes.byteOffset, truthBytes.byteLength / 4);
const efValues = [10, 16, 24, 32, 64, 128, 256];
const row = (array, i) => array.subarray(i * dimensions, (i + 1) * dimensions);
const dot = (a, b) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };
// The same rule as Sift's benchmark: a result is a hit when it is as close as the true 10th neighbour (ties count).
const recallOf = (q, ids) => {
  const query = row(queries, q);
  const threshold = dot(query, row(data, truth[q * 10 + 9])) - 1e-6;
  const unique = [...new Set(Array.from(ids, Number))];
  return unique.filter((id) => dot(query, row(data, id)) >= threshold).length / 10;
};
const seconds = (start) => Number(process.hrtime.bigint() - start) / 1e9;

function report(name, buildSeconds, searchAt) {
  console.log(`${name} on ${dir}: build ${buildSeconds.toFixed(1)} s (${Math.round(count / buildSeconds)} vectors/s, 1 thread)`);
  console.log('  | efSearch | recall@10 | queries/s (1 thread; median of 5 passes, min-max) |');
  console.log('  |---|---|---|');
  for (const ef of efValues) {
    const search = searchAt(ef);
    for (let q = 0; q < queryCount; q++) search(q); // warm-up pass
    let recall = 0;
    const results = [];
    const rates = [];
    for (let pass = 0; pass < 5; pass++) {
      const start = process.hrtime.bigint();
      results.length = 0;
      for (let q = 0; q < queryCount; q++) results.push(search(q));
      rates.push(queryCount / seconds(start));
    }
    rates.sort((a, b) => a - b);
    for (let q = 0; q < queryCount; q++) recall += recallOf(q, results[q]);
    console.log(`  | ${ef} | ${(recall / queryCount).toFixed(4)} | ${Math.round(rates[2])} (${Math.round(rates[0])}-${Math.round(rates[4])}) |`);
  }
}

// PEERS=hnswlib (or usearch) runs just that one, for repeated runs.
const peers = (process.env.PEERS || 'hnswlib,usearch').split(',');

if (peers.includes('hnswlib')) {
  const index = new HierarchicalNSW('ip', dimensions);
  index.initIndex(count, m, efConstruction, 42);
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) index.addPoint(Array.from(row(data, i)), i);
  const build = seconds(start);
  const plainQueries = Array.from({ length: queryCount }, (_, q) => Array.from(row(queries, q)));
  report('hnswlib-node 3.0.0', build, (ef) => { index.setEf(ef); return (q) => index.searchKnn(plainQueries[q], 10).neighbors; });
}

if (peers.includes('usearch')) {
  const config = { dimensions, metric: 'ip', connectivity: m, expansion_add: efConstruction, expansion_search: 64 };
  const index = new usearch.Index(config);
  const keys = new BigUint64Array(count);
  for (let i = 0; i < count; i++) keys[i] = BigInt(i);
  const start = process.hrtime.bigint();
  index.add(keys, data, 1);
  const build = seconds(start);
  const file = join(mkdtempSync(join(tmpdir(), 'usearch-')), 'index.usearch');
  index.save(file);
  report('usearch 2.25.3', build, (ef) => {
    const loaded = new usearch.Index({ ...config, expansion_search: ef });
    loaded.load(file);
    return (q) => loaded.search(row(queries, q), 10, 1).keys;
  });
}
