// Calls to /api: the API key (asked for once on a 401, kept in localStorage and in the cookie that <img> requests
// carry), the error shape {"error", "status", "field"} of docs/API.md, and answers that are not JSON at all.

export const KEY_NAME = 'batch_image_key';

/** An /api failure as the page shows it: what went wrong (the API's own `error` text when it gave one). */
export class ApiError extends Error {
  constructor(status, message, field) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.field = field || null;
  }
}

/** The key is no longer needed once the user declined to give it: requests fail with this. */
export class KeyDeclined extends ApiError {
  constructor() {
    super(401, 'This library needs an API key: without one nothing can be searched.');
    this.name = 'KeyDeclined';
  }
}

export class Api {
  /**
   * @param askKey async ({rejected: boolean}) => key string; rejects (KeyDeclined) when the user cancels
   */
  constructor(askKey) {
    this.askKey = askKey;
    this.asking = null;
    this.declined = false;
    this.syncCookie();
  }

  key() {
    try {
      return localStorage.getItem(KEY_NAME) || null;
    } catch {
      return null;
    }
  }

  /** Keeps the key for fetches (header) and for images (cookie, which <img> requests send by themselves). */
  setKey(key) {
    try {
      localStorage.setItem(KEY_NAME, key);
    } catch {
      // storage disabled: the cookie alone still carries it for this session
    }
    writeCookie(key);
    this.declined = false;
  }

  forgetKey() {
    try {
      localStorage.removeItem(KEY_NAME);
    } catch {
      // nothing stored
    }
    document.cookie = `${KEY_NAME}=; path=/; SameSite=Strict; max-age=0`;
  }

  /** A key kept from an earlier visit also goes back into the cookie (it may have been cleared apart from storage). */
  syncCookie() {
    const key = this.key();
    if (key) {
      writeCookie(key);
    }
  }

  /** GET path; resolves to the parsed JSON body, rejects with ApiError (or the AbortError of `signal`). */
  async get(path, { signal } = {}) {
    for (;;) {
      const sent = this.key();
      const headers = { Accept: 'application/json' };
      if (sent) {
        headers.Authorization = `Bearer ${sent}`;
      }
      let res;
      try {
        res = await fetch(path, { headers, signal, credentials: 'same-origin', cache: 'no-store' });
      } catch (e) {
        if (e.name === 'AbortError') {
          throw e;
        }
        throw new ApiError(0, `Cannot reach the batch-image service (${e.message}). Is it running?`);
      }
      const body = await readBody(res);
      if (res.status === 401) {
        if (this.key() !== sent) {
          continue; // another request got a new key meanwhile: try it
        }
        await this.obtainKey(Boolean(sent));
        continue;
      }
      if (!res.ok) {
        throw failure(res, body);
      }
      if (body === undefined) {
        throw new ApiError(res.status, `The service answered ${path} with something that is not JSON.`);
      }
      return body;
    }
  }

  /** One question for every request that got a 401 at the same time. */
  obtainKey(rejected) {
    if (this.declined) {
      return Promise.reject(new KeyDeclined());
    }
    if (!this.asking) {
      this.asking = this.askKey({ rejected })
        .then((key) => this.setKey(key))
        .catch((e) => {
          this.declined = true;
          throw e instanceof ApiError ? e : new KeyDeclined();
        })
        .finally(() => {
          this.asking = null;
        });
    }
    return this.asking;
  }

  /** After a decline, the next search asks again (the user may have found the key). */
  allowAskingAgain() {
    this.declined = false;
  }
}

function writeCookie(key) {
  const secure = location.protocol === 'https:' ? '; Secure' : '';
  document.cookie = `${KEY_NAME}=${encodeURIComponent(key)}; path=/; SameSite=Strict; max-age=31536000${secure}`;
}

async function readBody(res) {
  const text = await res.text().catch(() => '');
  if (!text) {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function failure(res, body) {
  if (body && typeof body.error === 'string') {
    return new ApiError(body.status || res.status, body.error, body.field);
  }
  if (body && body.error && typeof body.error.message === 'string') {
    return new ApiError(res.status, body.error.message);
  }
  const what = res.status === 404 ? 'this part of the API is not there (404)' : `HTTP ${res.status} ${res.statusText}`.trim();
  return new ApiError(res.status, `The service answered: ${what}.`);
}
