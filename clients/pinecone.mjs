// The official Pinecone SDK, unchanged, against batch-image's /pinecone: as most users write it (the control
// plane finds the index by name), and given the host. Run by run.sh; BATCH_IMAGE_URL names the service.
import { Pinecone } from '@pinecone-database/pinecone';
import { assert, rejects, suite, target, vector } from './check.mjs';

const { base, key, keyed } = target();
const INDEX = process.env.PINECONE_INDEX || 'image-library';
const host = `${base}/pinecone`;
const s = suite('pinecone');
const pc = new Pinecone({ apiKey: key, controllerHostUrl: host, maxRetries: 0 });
let dimension = 384;

await s.check('listIndexes answers the local index, ready, with a host the SDK can reach', async () => {
  const { indexes } = await pc.listIndexes();
  assert.equal(indexes.length, 1, JSON.stringify(indexes));
  assert.equal(indexes[0].name, INDEX);
  assert.equal(indexes[0].host, host);
  assert.equal(indexes[0].status.ready, true);
});

await s.check('describeIndex answers name, dimension, metric, host and status', async () => {
  const d = await pc.describeIndex(INDEX);
  assert.equal(d.name, INDEX);
  assert.equal(d.metric, 'cosine');
  assert.equal(d.vectorType, 'dense');
  assert.equal(d.host, host);
  assert.deepEqual(d.status, { ready: true, state: 'Ready' });
  assert.ok(d.dimension > 0, `dimension ${d.dimension}`);
  dimension = d.dimension;
});

// the SDK's 404 error keeps no body: the JSON reasons are checked by LocalPineconeControlTest
await s.check('describeIndex of another name is PineconeNotFoundError', async () => {
  await rejects(pc.describeIndex('no-such-index'), 'PineconeNotFoundError', '/pinecone/indexes/no-such-index');
});

await s.check('createIndex of the served index: a conflict, which suppressConflicts accepts', async () => {
  const spec = { serverless: { cloud: 'aws', region: 'us-east-1' } };
  await rejects(pc.createIndex({ name: INDEX, dimension, metric: 'cosine', spec }), 'PineconeConflictError', 'ALREADY_EXISTS');
  await pc.createIndex({ name: INDEX, dimension, metric: 'cosine', spec, suppressConflicts: true, waitUntilReady: true });
});

await s.check('createIndex of another index is refused: one local index', async () => {
  const spec = { serverless: { cloud: 'aws', region: 'us-east-1' } };
  await rejects(pc.createIndex({ name: 'another', dimension, spec }), 'PineconeBadRequestError', 'FORBIDDEN', 'one local index');
});

await s.check('deleteIndex is refused: deletion protection', async () => {
  await rejects(pc.deleteIndex(INDEX), 'PineconeBadRequestError', 'Deletion protection');
});

const index = pc.index(INDEX); // the host comes from describeIndex
const sdk = index.namespace('sdk');
const records = (prefix, n, genre) =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, values: vector(i + prefix.length * 100, dimension), metadata: { genre: genre(i), n: i } }));

await s.check('upsert into the default namespace and into "sdk"', async () => {
  await index.upsert({ records: records('rec', 10, (i) => (i % 2 ? 'odd' : 'even')) });
  await sdk.upsert({ records: records('sdk', 5, () => 'sdk') });
});

await s.check('fetch answers the records, in namespace "__default__"', async () => {
  const f = await index.fetch({ ids: ['rec-1', 'rec-2', 'missing'] });
  assert.deepEqual(Object.keys(f.records).sort(), ['rec-1', 'rec-2']);
  assert.equal(f.records['rec-1'].values.length, dimension);
  assert.deepEqual(f.records['rec-1'].metadata, { genre: 'odd', n: 1 });
  assert.equal(f.namespace, '__default__');
});

await s.check('query with a filter answers only matching records, best first', async () => {
  const q = await index.query({ vector: vector(3 + 300, dimension), topK: 3, filter: { genre: { $eq: 'odd' } }, includeMetadata: true });
  assert.equal(q.matches.length, 3);
  assert.equal(q.matches[0].id, 'rec-3');
  assert.ok(q.matches.every((m) => m.metadata.genre === 'odd'), JSON.stringify(q.matches));
  assert.ok(q.matches[0].score >= q.matches[1].score);
});

await s.check('update merges metadata', async () => {
  await index.update({ id: 'rec-1', metadata: { genre: 'changed' } });
  const f = await index.fetch({ ids: ['rec-1'] });
  assert.deepEqual(f.records['rec-1'].metadata, { genre: 'changed', n: 1 });
});

await s.check('describeIndexStats keys the default namespace "__default__", as queries name it', async () => {
  const st = await index.describeIndexStats();
  assert.deepEqual(st.namespaces, { __default__: { recordCount: 10 }, sdk: { recordCount: 5 } });
  assert.equal(st.totalRecordCount, 15);
  assert.equal(st.dimension, dimension);
});

await s.check('listPaginated pages through the ids of a prefix', async () => {
  const ids = [];
  let token;
  do {
    const page = await index.listPaginated({ prefix: 'rec-', limit: 4, paginationToken: token });
    ids.push(...page.vectors.map((v) => v.id));
    token = page.pagination?.next;
  } while (token);
  assert.deepEqual(ids, Array.from({ length: 10 }, (_, i) => `rec-${i}`).sort());
});

await s.check('listNamespaces and describeNamespace answer names and record counts', async () => {
  const l = await index.listNamespaces();
  assert.deepEqual(l.namespaces.map((n) => [n.name, n.recordCount]), [['__default__', 10], ['sdk', 5]]);
  const d = await index.describeNamespace('sdk');
  assert.equal(d.name, 'sdk');
  assert.equal(d.recordCount, 5);
});

await s.check('deleteOne, deleteMany and deleteAll remove what they name', async () => {
  await index.deleteOne({ id: 'rec-0' });
  await index.deleteMany({ ids: ['rec-1', 'rec-2'] });
  await index.deleteMany({ filter: { genre: { $eq: 'even' } } });
  await sdk.deleteAll();
  const st = await index.describeIndexStats();
  assert.deepEqual(st.namespaces, { __default__: { recordCount: 4 } });
});

await s.check('deleteNamespace removes a namespace; describing it then is PineconeNotFoundError', async () => {
  await index.deleteNamespace('__default__');
  assert.deepEqual((await index.listNamespaces()).namespaces, []);
  await rejects(index.describeNamespace('__default__'), 'PineconeNotFoundError');
});

await s.check('an operation batch-image lacks (collections) is PineconeNotFoundError', async () => {
  await rejects(pc.listCollections(), 'PineconeNotFoundError', '/pinecone/collections');
});

await s.check('given the host (no control plane), upsert and query work the same', async () => {
  const direct = new Pinecone({ apiKey: key, maxRetries: 0 }).index({ host, namespace: 'direct' });
  await direct.upsert({ records: records('d', 3, () => 'd') });
  const q = await direct.query({ id: 'd-2', topK: 1 });
  assert.equal(q.matches[0].id, 'd-2');
  await direct.deleteAll();
});

if (keyed) {
  await s.check('a wrong Api-Key is refused (401) by the control plane and the data plane', async () => {
    const wrong = new Pinecone({ apiKey: `wrong-${key}`, controllerHostUrl: host, maxRetries: 0 });
    await rejects(wrong.listIndexes(), 'PineconeAuthorizationError');
    await rejects(wrong.index({ host }).describeIndexStats(), 'PineconeAuthorizationError');
  });
}

s.done();
