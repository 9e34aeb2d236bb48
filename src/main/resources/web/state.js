// What the page shows, as the query string keeps it: ?view=&q=&like=&namespace=&theme=&sub_theme=&tag=&model=&sampler=&lora=
// &top_k=&open= (and the dead letters' stage=&file=&state=), so that a view can be linked and bookmarked, reloading
// restores it, and back/forward walk through it.

/** What "Search in" offers: hybrid (the API's default mode), a dense namespace or both, or the words alone. */
export const NAMESPACES = ['hybrid', 'both', 'prompt', 'description', 'lexical'];
export const VIEWS = ['search', 'status', 'dead-letters', 'delete'];
/** The filters of the search form and of delete: the query key, the metadata key, and how it matches. */
export const FILTERS = [
  { key: 'theme', field: 'theme', op: '$eq' },
  { key: 'sub_theme', field: 'sub_theme', op: '$eq' },
  { key: 'tag', field: 'tags', op: '$in' },
  // from the images' lineage, once the facets have them (models, samplers, loras)
  { key: 'model', field: 'model', op: '$eq', facet: 'models', label: 'Model' },
  { key: 'sampler', field: 'sampler', op: '$eq', facet: 'samplers', label: 'Sampler' },
  { key: 'lora', field: 'loras', op: '$in', facet: 'loras', label: 'LoRA' },
];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const DEFAULT_TOP_K = 24;
export const MAX_TOP_K = 1000;

/** The search (and the open record, if any) named by a query string. */
export function readState(search) {
  const p = new URLSearchParams(search);
  const namespace = p.get('namespace');
  const k = Number.parseInt(p.get('top_k') || '', 10);
  const view = p.get('view');
  const like = (p.get('like') || '').trim();
  const state = {
    view: VIEWS.includes(view) ? view : 'search',
    q: like ? '' : (p.get('q') || '').trim(),
    like: UUID.test(like) ? like.toLowerCase() : '',
    namespace: NAMESPACES.includes(namespace) ? namespace : 'hybrid',
    top_k: Number.isInteger(k) && k >= 1 && k <= MAX_TOP_K ? k : DEFAULT_TOP_K,
    open: p.get('open') || '',
    stage: p.get('stage') || '',
    file: p.get('file') || '',
    state: p.get('state') || '',
    filter: p.get('filter') || '',
  };
  for (const f of FILTERS) state[f.key] = p.get(f.key) || '';
  return state;
}

/** The query string of a state; defaults are left out so that shared links stay short. */
export function writeState(state) {
  const p = new URLSearchParams();
  const view = state.view || 'search';
  if (view !== 'search') p.set('view', view);
  if (view === 'search' || view === 'delete') {
    if (view === 'search' && state.like) {
      p.set('like', state.like);
    } else if (view === 'search' && state.q) {
      p.set('q', state.q);
    }
    if (view === 'search' && state.namespace && state.namespace !== 'hybrid') p.set('namespace', state.namespace);
    for (const f of FILTERS) if (state[f.key]) p.set(f.key, state[f.key]);
    if (view === 'delete' && state.filter) p.set('filter', state.filter);
    if (view === 'search' && state.top_k && state.top_k !== DEFAULT_TOP_K) p.set('top_k', String(state.top_k));
  }
  if (view === 'dead-letters') {
    if (state.stage) p.set('stage', state.stage);
    if (state.file) p.set('file', state.file);
    if (state.state) p.set('state', state.state);
  }
  if (state.open) p.set('open', state.open);
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** The part of a state that decides the results (not which record is open). */
export function searchKey(state) {
  return writeState({ ...state, open: '' });
}

/** Whether the state asks for results: a query, a record to find the like of, or at least one filter (then the API lists). */
export function isSearch(state) {
  return Boolean(state.q || state.like || hasFilter(state));
}

export function hasFilter(state) {
  return FILTERS.some((f) => state[f.key]);
}

/** The Pinecone filter of the chosen theme, sub-theme, tag, model, sampler, LoRA (keys side by side are ANDed), or null. */
export function filterOf(state) {
  const f = {};
  for (const x of FILTERS) {
    if (state[x.key]) f[x.field] = x.op === '$in' ? { $in: [state[x.key]] } : { $eq: state[x.key] };
  }
  return Object.keys(f).length ? f : null;
}

/** GET /api/search for a state (docs/API.md: q or like, mode or namespace, top_k, filter as URL-encoded JSON). */
export function searchPath(state) {
  const p = new URLSearchParams();
  if (state.like) {
    p.set('like', state.like);
  } else {
    p.set('q', state.q);
  }
  // hybrid and lexical are modes (docs/API.md); records like a record are found by meaning only
  if (state.like) {
    p.set('namespace', ['prompt', 'description'].includes(state.namespace) ? state.namespace : 'both');
  } else if (state.namespace === 'hybrid' || state.namespace === 'lexical') {
    p.set('mode', state.namespace);
  } else {
    p.set('namespace', state.namespace);
  }
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

const LIST_LABELS = { prompt: 'prompt', description: 'tags', lexical: 'words' };

/**
 * The lists (rankings) that found a hit, for its badges: each with its name, label, rank and score when the answer
 * gives them. Read generically: `namespaces` as names (["prompt", "description"]) or as objects ({name, rank, score}),
 * `scores` and `ranks` keyed by name; a list the service adds later (lexical) shows the same way.
 */
export function hitLists(hit) {
  if (!hit || !Array.isArray(hit.namespaces)) return [];
  const scores = hit.scores && typeof hit.scores === 'object' ? hit.scores : {};
  const ranks = hit.ranks && typeof hit.ranks === 'object' ? hit.ranks : {};
  return hit.namespaces.map((n) => {
    const o = n && typeof n === 'object' ? n : { name: String(n) };
    const name = String(o.name || o.namespace || o.list || '');
    const score = typeof o.score === 'number' ? o.score : scores[name];
    const rank = Number.isInteger(o.rank) ? o.rank : ranks[name];
    return { name, label: LIST_LABELS[name] || name, score: typeof score === 'number' ? score : null,
      rank: Number.isInteger(rank) ? rank : null };
  }).filter((l) => l.name);
}

/** Seconds as people read them: "45 s", "3 min 20 s", "2 h 5 min". */
export function duration(seconds) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return '';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
}

/** A count with thousands separators; '—' for a missing one. */
export function count(n) {
  return typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString('en-US') : '—';
}

/** A size in bytes as people read it. */
export function bytes(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GB`;
}

/** The file names the inbox imports (its batch_image_data_*_final.json). */
export function isBatchFileName(name) {
  return /^batch_image_data_[^/\\]*_final\.json$/.test(name || '');
}
