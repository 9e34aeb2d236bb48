// The official OpenAI SDK, unchanged, against batch-image's /v1 (its embeddings and models). Run by run.sh.
import OpenAI from 'openai';
import { assert, rejects, suite, target } from './check.mjs';

const { base, key, keyed } = target();
const MODEL = 'all-minilm-l6-v2-q';
const s = suite('openai');
const client = new OpenAI({ apiKey: key, baseURL: `${base}/v1`, maxRetries: 0 });
let dimension;

await s.check('embeddings.create with the SDK\'s default encoding (base64) answers unit vectors', async () => {
  const r = await client.embeddings.create({ model: MODEL, input: 'a red car by the sea' });
  const v = r.data[0].embedding;
  assert.ok(Array.isArray(v) && v.length > 0, `embedding: ${typeof v}`);
  assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-3, `norm ${Math.hypot(...v)}`);
  assert.equal(r.model, MODEL);
  assert.ok(r.usage.prompt_tokens > 0);
  dimension = v.length;
});

await s.check('encoding_format float answers the same vectors, one per input, in order', async () => {
  const inputs = ['a cat', 'a dog on grass', 'a bowl of soup'];
  const floats = await client.embeddings.create({ model: MODEL, input: inputs, encoding_format: 'float' });
  const packed = await client.embeddings.create({ model: MODEL, input: inputs });
  assert.deepEqual(floats.data.map((d) => d.index), [0, 1, 2]);
  for (let i = 0; i < inputs.length; i++) {
    assert.equal(floats.data[i].embedding.length, dimension);
    floats.data[i].embedding.forEach((x, j) => assert.ok(Math.abs(x - packed.data[i].embedding[j]) < 1e-6));
  }
});

await s.check('models.list answers the local models', async () => {
  const ids = [];
  for await (const m of client.models.list()) {
    ids.push(m.id);
  }
  assert.ok(ids.includes(MODEL), ids.join(', '));
});

await s.check('models.retrieve answers the model', async () => {
  const m = await client.models.retrieve(MODEL);
  assert.equal(m.id, MODEL);
  assert.equal(m.object, 'model');
});

await s.check('models.retrieve of an unknown model is NotFoundError, code model_not_found', async () => {
  const e = await rejects(client.models.retrieve('no-such-model'), 'NotFoundError', 'no-such-model');
  assert.equal(e.code, 'model_not_found');
});

await s.check('an unknown embedding model is NotFoundError, code model_not_found', async () => {
  const e = await rejects(client.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }), 'NotFoundError');
  assert.equal(e.code, 'model_not_found');
});

await s.check('a path batch-image lacks fails with OpenAI\'s JSON error, not an HTML page', async () => {
  const e = await rejects(client.get('/no-such-path'), 'NotFoundError', 'Invalid URL (GET /v1/no-such-path)');
  assert.equal(e.type, 'invalid_request_error');
});

if (keyed) {
  await s.check('a wrong Bearer key is refused (401)', async () => {
    const wrong = new OpenAI({ apiKey: `wrong-${key}`, baseURL: `${base}/v1`, maxRetries: 0 });
    await rejects(wrong.embeddings.create({ model: MODEL, input: 'x' }), 'AuthenticationError');
    await rejects(wrong.models.list(), 'AuthenticationError');
  });
}

s.done();
