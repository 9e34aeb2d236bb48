// What the page shows, as the query string keeps it: ?q=&namespace=&theme=&sub_theme=&tag=&top_k=&open=
// so that a search can be shared, reloading restores it, and back/forward walk through searches.

export const NAMESPACES = ['both', 'prompt', 'description'];
export const DEFAULT_TOP_K = 24;
export const MAX_TOP_K = 1000;

/** The search (and the open record, if any) named by a query string. */
export function readState(search) {
  const p = new URLSearchParams(search);
  const namespace = p.get('namespace');
  const k = Number.parseInt(p.get('top_k') || '', 10);
  return {
    q: (p.get('q') || '').trim(),
    namespace: NAMESPACES.includes(namespace) ? namespace : 'both',
    theme: p.get('theme') || '',
    sub_theme: p.get('sub_theme') || '',
    tag: p.get('tag') || '',
    top_k: Number.isInteger(k) && k >= 1 && k <= MAX_TOP_K ? k : DEFAULT_TOP_K,
    open: p.get('open') || '',
  };
}

/** The query string of a state; defaults are left out so that shared links stay short. */
export function writeState(state) {
  const p = new URLSearchParams();
  if (state.q) p.set('q', state.q);
  if (state.namespace && state.namespace !== 'both') p.set('namespace', state.namespace);
  if (state.theme) p.set('theme', state.theme);
  if (state.sub_theme) p.set('sub_theme', state.sub_theme);
  if (state.tag) p.set('tag', state.tag);
  if (state.top_k && state.top_k !== DEFAULT_TOP_K) p.set('top_k', String(state.top_k));
  if (state.open) p.set('open', state.open);
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** The part of a state that decides the results (not which record is open). */
export function searchKey(state) {
  return writeState({ ...state, open: '' });
}

/** Whether the state asks for results: a query, or at least one filter (then the API lists). */
export function isSearch(state) {
  return Boolean(state.q || hasFilter(state));
}

export function hasFilter(state) {
  return Boolean(state.theme || state.sub_theme || state.tag);
}

/** The Pinecone filter of the chosen theme, sub-theme and tag (keys side by side are ANDed), or null. */
export function filterOf(state) {
  const f = {};
  if (state.theme) f.theme = { $eq: state.theme };
  if (state.sub_theme) f.sub_theme = { $eq: state.sub_theme };
  if (state.tag) f.tags = { $in: [state.tag] };
  return Object.keys(f).length ? f : null;
}

/** GET /api/search for a state (docs/API.md: q, namespace, top_k, filter as URL-encoded JSON). */
export function searchPath(state) {
  const p = new URLSearchParams();
  p.set('q', state.q);
  p.set('namespace', state.namespace);
  p.set('top_k', String(state.top_k));
  const filter = filterOf(state);
  if (filter) p.set('filter', JSON.stringify(filter));
  return `/api/search?${p}`;
}

/**
 * The readable text of a prompt, as the prompt namespace reads it: JSON with a `prompt` string, or a `prompt`
 * object's `description`, else objects as "key: value"; text that is not JSON (or was cut at 500 characters) as is.
 */
export function promptText(raw) {
  if (raw == null) return '';
  const text = String(raw);
  let v;
  try {
    v = JSON.parse(text);
  } catch {
    return cutJson(text) || text.trim();
  }
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    if ('prompt' in v) {
      const p = v.prompt;
      if (typeof p === 'string') return p;
      if (p && typeof p === 'object' && !Array.isArray(p)) {
        return typeof p.description === 'string' ? p.description : readable(p);
      }
    }
    return readable(v);
  }
  return text.trim();
}

/** original_prompt is cut at 500 characters, often inside JSON: the description or prompt string it begins, if any. */
function cutJson(text) {
  if (!text.trimStart().startsWith('{')) return '';
  const m = /"(?:description|prompt)"\s*:\s*"((?:[^"\\]|\\.)*)("?)/.exec(text);
  if (!m) return '';
  let value;
  try {
    value = JSON.parse(`"${m[1].replace(/\\u[0-9a-fA-F]{0,3}$|\\$/, '')}"`);
  } catch {
    value = m[1];
  }
  return m[2] ? value : `${value}…`;
}

function readable(v) {
  if (v == null) return '';
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return v.map(readable).join(', ');
  return Object.entries(v)
    .map(([k, x]) => (x && typeof x === 'object' ? `${k}: ${readable(x)}` : `${k}: ${x}`))
    .join('; ');
}

/** Tags of a hit: the metadata's list, else its comma-separated description. */
export function tagsOf(metadata) {
  if (!metadata) return [];
  if (Array.isArray(metadata.tags)) return metadata.tags.filter(Boolean).map(String);
  if (typeof metadata.description === 'string') {
    return metadata.description.split(',').map((t) => t.trim()).filter(Boolean);
  }
  return [];
}

/** A score as people read it: cosines with 3 decimals, the small fused scores of `both` with 4. */
export function formatScore(score) {
  if (typeof score !== 'number' || !Number.isFinite(score)) return '';
  return Math.abs(score) < 0.1 ? score.toFixed(4) : score.toFixed(3);
}

/** "a", "a and b", "a, b and c". */
export function listing(parts) {
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}
