// A named check of one SDK call: prints "ok <suite>: <name>" or "FAIL <suite>: <name>: <why>" (run.sh counts them).
import assert from 'node:assert/strict';

export { assert };

export function suite(name) {
  let failed = 0;
  return {
    async check(what, fn) {
      try {
        await fn();
        console.log(`ok   ${name}: ${what}`);
      } catch (e) {
        failed++;
        console.log(`FAIL ${name}: ${what}: ${(e && e.message ? e.message : String(e)).split('\n').slice(0, 6).join(' | ')}`);
      }
    },
    /** Ends the script: its exit code says whether every check passed. */
    done() {
      process.exitCode = failed ? 1 : 0;
    },
  };
}

/** The call must fail with an error of this class name whose text contains each of the words. */
export async function rejects(promise, errorName, ...words) {
  let error;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  assert.ok(error, `expected ${errorName}, but the call succeeded`);
  const text = `${error.message} ${JSON.stringify(error.error ?? '')}`;
  assert.equal(error.constructor.name, errorName, `expected ${errorName}, got ${error.constructor.name}: ${text}`);
  for (const w of words) {
    assert.ok(text.includes(w), `expected '${w}' in the error: ${text}`);
  }
  return error;
}

/** A deterministic unit vector of the given size, a different one for each seed. */
export function vector(seed, dimension) {
  const v = Array.from({ length: dimension }, (_, j) => Math.sin(seed * 31.7 + j * 0.37) + (j === seed % dimension ? 2 : 0));
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

/** What run.sh hands every script: the service's address, the key the SDKs send, and whether the service wants one. */
export function target() {
  const base = process.env.BATCH_IMAGE_URL;
  if (!base) {
    throw new Error('BATCH_IMAGE_URL is not set: run clients/run.sh, or set it to a running service (http://127.0.0.1:8080)');
  }
  return {
    base,
    // the SDKs insist on some key even when the service wants none
    key: process.env.BATCH_IMAGE_API_KEY || 'no-key-needed',
    keyed: Boolean(process.env.BATCH_IMAGE_API_KEY),
  };
}
