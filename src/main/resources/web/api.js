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
  get(path, { signal } = {}) {
    return this.request('GET', path, undefined, { signal });
  }

  /** POST path with a JSON body (undefined: none); as get. */
  post(path, body, { signal } = {}) {
    return this.request('POST', path, body, { signal });
  }

  async request(method, path, body, { signal } = {}) {
    for (;;) {
      const sent = this.key();
      const headers = { Accept: 'application/json' };
      if (sent) {
        headers.Authorization = `Bearer ${sent}`;
      }
      if (body !== undefined) {
        headers['Content-Type'] = 'application/json';
      }
      let res;
      try {
        res = await fetch(path, {
          method, headers, signal, credentials: 'same-origin', cache: 'no-store',
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (e) {
        if (e.name === 'AbortError') {
          throw e;
        }
        throw new ApiError(0, `Cannot reach the batch-image service (${e.message}). Is it running?`);
      }
      const answer = await readBody(res);
      if (res.status === 401) {
        if (this.key() !== sent) {
          continue; // another request got a new key meanwhile: try it
        }
        await this.obtainKey(Boolean(sent));
        continue;
      }
      if (!res.ok) {
        throw failure(res, answer);
      }
      if (answer === undefined) {
        throw new ApiError(res.status, `The service answered ${path} with something that is not JSON.`);
      }
      return answer;
    }
  }

  /**
   * Sends a file as the body of POST path (XMLHttpRequest, for its upload progress): onProgress(sent, total) as it
   * goes; resolves to the JSON answer, rejects with ApiError. A 401 asks for the key once, then sends it again.
   */
  async upload(path, file, onProgress) {
    for (;;) {
      const sent = this.key();
      const { status, body } = await new Promise((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        xhr.open('POST', path);
        xhr.setRequestHeader('Accept', 'application/json');
        xhr.setRequestHeader('Content-Type', 'application/json');
        if (sent) xhr.setRequestHeader('Authorization', `Bearer ${sent}`);
        xhr.upload.addEventListener('progress', (e) => onProgress && onProgress(e.loaded, e.lengthComputable ? e.total : file.size));
        xhr.addEventListener('load', () => {
          let parsed;
          try {
            parsed = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
          } catch {
            parsed = undefined;
          }
          resolve({ status: xhr.status, body: parsed });
        });
        xhr.addEventListener('error', () => reject(new ApiError(0, 'The upload broke off: the service could not be reached, or it closed the connection.')));
        xhr.addEventListener('abort', () => reject(new ApiError(0, 'The upload was cancelled.')));
        xhr.send(file);
      });
      if (status === 401) {
        if (this.key() !== sent) continue;
        await this.obtainKey(Boolean(sent));
        continue;
      }
      if (status < 200 || status >= 300) {
        throw failure({ status, statusText: '' }, body);
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
