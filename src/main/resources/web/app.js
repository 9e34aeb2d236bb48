// The page: one document, views by URL (docs/PAGE.md). Search (the default): a form whose state lives in the query
// string, a grid of results from /api/search (also ?like=<id>, the records most like one), filters from /api/facets,
// and a detail dialog for one record (/api/records/{id}). Status, dead letters and delete are views of their own
// modules; a batch file dropped on the page goes to the inbox (upload.js). See docs/API.md.

import { Api, KeyDeclined } from './api.js';
import {
  DEFAULT_TOP_K, FILTERS, MAX_TOP_K, formatScore, hasFilter, hitLists, isSearch, listing, promptText, readState, searchKey,
  searchPath, tagsOf, writeState,
} from './state.js';
import { $, button, messageOf, text, when } from './dom.js';
import { lineageView } from './lineage.js';
import { StatusView } from './status.js';
import { DeadLettersView } from './deadletters.js';
import { DeleteView } from './deleteview.js';
import { Uploader } from './upload.js';

const ui = {
  form: $('search-form'), q: $('q'), namespace: $('namespace'), theme: $('theme'), subTheme: $('sub_theme'),
  tag: $('tag'), topK: $('top_k'), clear: $('clear'),
  results: $('results'), status: $('status'), empty: $('empty'), error: $('error'), indexing: $('indexing'),
  facetsNote: $('facets-note'), more: $('more'), librarySize: $('library-size'), forgetKey: $('forget-key'),
  detail: $('detail'), detailImage: $('detail-image'), detailImageNote: $('detail-image-note'),
  detailTitle: $('detail-title'), detailRecord: $('detail-record'), detailClose: $('detail-close'),
  detailPrev: $('detail-prev'), detailNext: $('detail-next'), detailOpen: $('detail-open'),
  keyDialog: $('key-dialog'), keyForm: $('key-form'), keyInput: $('api-key'), keyError: $('key-error'),
  keyCancel: $('key-cancel'), likeBanner: $('like-banner'), detailSimilar: $('detail-similar'), refine: document.querySelector('#search-form .refine'),
};

const NAMESPACE_LABELS = { hybrid: 'words, prompts and tags', both: 'prompts and tags', prompt: 'prompts', description: 'tags', lexical: 'words' };

const api = new Api(askKey);
const VIEW_TITLES = { status: 'Status', 'dead-letters': 'Dead letters', delete: 'Delete' };
let facets = null; // the last /api/facets answer
const extraFilters = new Map(); // key of FILTERS -> its select, for the lists the facets have (models, samplers, loras)
let shownSearch = null; // searchKey of the results on screen, or being fetched
let hits = []; // the matches on screen
let searchSeq = 0;
let searchAbort = null;
let detailId = null; // the record the dialog shows
let detailSeq = 0;
let focusAfterClose = null; // the card to give focus back to when the dialog closes
let focusIndexAfterLoad = -1; // "Show more" puts focus on the first new card
let filterTimer = 0;

// ---------------------------------------------------------------------------------------------- state and history

function currentState() {
  return readState(location.search);
}

function formState() {
  const state = {
    view: 'search',
    q: ui.q.value.trim(),
    // a search by words leaves the record it was like; filters and size keep it
    like: ui.q.value.trim() ? '' : currentState().like,
    namespace: ui.namespace.value,
    theme: ui.theme.value,
    sub_theme: ui.subTheme.value,
    tag: ui.tag.value,
    top_k: Number.parseInt(ui.topK.value, 10) || DEFAULT_TOP_K,
    open: '',
  };
  for (const [key, select] of extraFilters) state[key] = select.value;
  return state;
}

function fillForm(state) {
  ui.q.value = state.q;
  ui.namespace.value = state.namespace;
  selectValue(ui.theme, state.theme);
  fillSubThemes(state.theme, state.sub_theme);
  selectValue(ui.tag, state.tag);
  for (const [key, select] of extraFilters) selectValue(select, state[key]);
  selectValue(ui.topK, String(state.top_k));
}

/** Makes the page show a state; pushes it on the history unless it is already the current entry. */
function navigate(state, { replace = false, detail = false, force = false } = {}) {
  const url = `${location.pathname}${writeState(state)}`;
  if (url !== `${location.pathname}${location.search}`) {
    const entry = { detail: detail || Boolean(replace && history.state && history.state.detail && state.open) };
    if (replace) {
      history.replaceState(entry, '', url);
    } else {
      history.pushState(entry, '', url);
    }
  }
  show(state, force);
}

/** Brings the view, results and dialog in line with a state (after navigation, back/forward or loading the page). */
function show(state, force = false) {
  showView(state);
  if (state.view !== 'search') {
    if (state.open) openDetail(state.open);
    else if (ui.detail.open) ui.detail.close();
    return;
  }
  document.title = state.like ? 'Similar images · batch-image' : state.q ? `“${state.q}” · batch-image` : 'batch-image · search';
  showLikeBanner(state);
  if (force || searchKey(state) !== shownSearch) {
    runSearch(state);
  }
  if (state.open) {
    openDetail(state.open);
  } else if (ui.detail.open) {
    ui.detail.close();
  }
}

window.addEventListener('popstate', () => {
  const state = currentState();
  fillForm(state);
  show(state);
});

/** Shows the section of the state's view, and tells the other views they are hidden (status stops polling). */
function showView(state) {
  document.body.dataset.view = state.view;
  for (const [name, v] of Object.entries(views)) {
    const section = $(`view-${name}`);
    const on = name === state.view;
    section.hidden = !on;
    if (v && !on) v.hide();
  }
  ui.form.hidden = state.view !== 'search';
  for (const a of document.querySelectorAll('nav.views a')) {
    if (a.dataset.view === state.view) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const v = views[state.view];
  if (v) {
    document.title = `${VIEW_TITLES[state.view]} · batch-image`;
    v.show(state);
  }
}

// links of the page (data-nav) change the view without a reload; a new tab or window is the browser's
document.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-nav]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname !== location.pathname) return;
  e.preventDefault();
  const state = readState(url.search);
  if (ui.detail.open && !state.open) {
    // the dialog's own history entry goes first
    detailId = null;
    ui.detail.close();
  }
  fillForm(state);
  navigate(state, { force: state.view === 'search' && isSearch(state) });
});

// ---------------------------------------------------------------------------------------------- the form

ui.form.addEventListener('submit', (e) => {
  e.preventDefault();
  window.clearTimeout(filterTimer);
  api.allowAskingAgain();
  const state = formState();
  if (!isSearch(state)) {
    navigate(state);
    ui.status.textContent = 'Type what you are looking for, or choose a theme, sub-theme or tag.';
    ui.q.focus();
    return;
  }
  navigate(state, { force: true });
});

ui.theme.addEventListener('change', () => {
  fillSubThemes(ui.theme.value, ui.subTheme.value, { dropForeign: true });
});

// a changed filter applies at once (a short pause lets arrow keys run over a closed select without a search per step)
for (const select of [ui.namespace, ui.theme, ui.subTheme, ui.tag, ui.topK]) {
  select.addEventListener('change', () => {
    window.clearTimeout(filterTimer);
    filterTimer = window.setTimeout(() => navigate(formState()), 250);
  });
}

ui.clear.addEventListener('click', () => {
  window.clearTimeout(filterTimer);
  const state = readState('');
  fillForm(state);
  navigate(state);
  ui.q.focus();
});

ui.more.addEventListener('click', () => {
  const state = currentState();
  const next = [...ui.topK.options].map((o) => Number(o.value)).find((k) => k > state.top_k)
    || Math.min(state.top_k * 2, MAX_TOP_K);
  focusIndexAfterLoad = hits.length;
  selectValue(ui.topK, String(next));
  navigate({ ...state, top_k: next, open: '' });
});

ui.forgetKey.addEventListener('click', () => {
  api.forgetKey();
  location.reload();
});

function selectValue(select, value) {
  if (value && ![...select.options].some((o) => o.value === value)) {
    select.append(new Option(value, value));
  }
  select.value = value;
}

// ---------------------------------------------------------------------------------------------- facets

async function loadFacets() {
  try {
    facets = await api.get('/api/facets?tags=100');
  } catch (e) {
    facets = null;
    if (e instanceof KeyDeclined) return; // the error box says so, with a way to give the key
    ui.facetsNote.textContent = `The theme, sub-theme and tag lists could not be loaded: ${e.message} `
      + 'Filters from a shared link still apply.';
    ui.facetsNote.hidden = false;
    return;
  }
  ui.facetsNote.hidden = true;
  const state = currentState();
  const records = Number(facets.records) || 0;
  ui.librarySize.textContent = `${records.toLocaleString()} image${records === 1 ? '' : 's'} in the library`;
  const themes = [...(facets.themes || [])].sort((a, b) => String(a.value).localeCompare(String(b.value)));
  replaceOptions(ui.theme, 'Any theme', themes.map((t) => [t.value, `${t.value} (${t.count})`]));
  selectValue(ui.theme, state.theme);
  fillSubThemes(state.theme, state.sub_theme);
  replaceOptions(ui.tag, 'Any tag', (facets.tags || []).map((t) => [t.value, `${t.value} (${t.count})`]));
  selectValue(ui.tag, state.tag);
  addLineageFilters(state);
  views.delete.facetsLoaded(facets);
}

/** Model, sampler and LoRA filters, for the lists the facets have (the images' lineage); none when they have none. */
function addLineageFilters(state) {
  for (const f of FILTERS.filter((x) => x.facet)) {
    const list = Array.isArray(facets[f.facet]) ? facets[f.facet].filter((v) => v && v.value != null && v.value !== '') : [];
    let select = extraFilters.get(f.key);
    if (!list.length) {
      if (select) {
        select.closest('.field').remove();
        extraFilters.delete(f.key);
      }
      continue;
    }
    if (!select) {
      const field = text('div', '', 'field');
      const label = text('label', f.label);
      label.htmlFor = f.key;
      select = document.createElement('select');
      select.id = f.key;
      select.name = f.key;
      field.append(label, select);
      ui.topK.closest('.field').before(field);
      extraFilters.set(f.key, select);
      select.addEventListener('change', () => {
        window.clearTimeout(filterTimer);
        filterTimer = window.setTimeout(() => navigate(formState()), 250);
      });
    }
    replaceOptions(select, `Any ${f.label.toLowerCase()}`, list.map((v) => [String(v.value), `${v.value} (${v.count})`]));
    selectValue(select, state[f.key]);
  }
}

/** The sub-themes of a theme (of every theme when none is chosen, counts added up). */
function fillSubThemes(theme, selected, { dropForeign = false } = {}) {
  if (!facets) {
    selectValue(ui.subTheme, selected);
    return;
  }
  const counts = new Map();
  for (const s of facets.sub_themes || []) {
    if (!theme || s.theme === theme) {
      counts.set(s.value, (counts.get(s.value) || 0) + (Number(s.count) || 0));
    }
  }
  const values = [...counts.keys()].sort((a, b) => String(a).localeCompare(String(b)));
  replaceOptions(ui.subTheme, 'Any sub-theme', values.map((v) => [v, `${v} (${counts.get(v)})`]));
  selectValue(ui.subTheme, dropForeign && !counts.has(selected) ? '' : selected);
}

function replaceOptions(select, anyLabel, pairs) {
  select.replaceChildren(new Option(anyLabel, ''), ...pairs.map(([value, label]) => new Option(label, value)));
}

// ---------------------------------------------------------------------------------------------- search

async function runSearch(state) {
  shownSearch = searchKey(state);
  const seq = ++searchSeq;
  if (searchAbort) searchAbort.abort();
  searchAbort = null;
  hideMessages();
  if (!isSearch(state)) {
    hits = [];
    ui.results.replaceChildren();
    ui.more.hidden = true;
    ui.status.textContent = '';
    showEmpty('Search the library by meaning: describe an image in your own words, '
      + 'or choose a theme, sub-theme or tag to list what the library holds.', 'intro');
    setBusy(false);
    return;
  }
  const abort = new AbortController();
  searchAbort = abort;
  setBusy(true);
  ui.status.textContent = state.like ? 'Searching for similar images…' : state.q ? `Searching for “${state.q}”…` : 'Listing…';
  try {
    const answer = await api.get(searchPath(state), { signal: abort.signal });
    if (seq === searchSeq) showResults(state, answer);
  } catch (e) {
    if (e.name === 'AbortError' || seq !== searchSeq) return;
    hits = [];
    shownSearch = null; // back/forward to it, or Enter, tries again
    ui.results.replaceChildren();
    ui.more.hidden = true;
    ui.status.textContent = state.like ? 'The search for similar images failed.'
      : state.q ? `The search for “${state.q}” failed.` : 'Listing failed.';
    showError(e);
  } finally {
    if (seq === searchSeq) setBusy(false);
  }
}

function showResults(state, answer) {
  hits = Array.isArray(answer.matches) ? answer.matches : [];
  const listed = answer.mode === 'list' || (!state.q && !state.like);
  renderCards(state, hits);
  if (detailId) updateDetailNav();
  ui.more.hidden = !(hits.length >= state.top_k && state.top_k < MAX_TOP_K);

  const pending = Number(answer.indexing && answer.indexing.pending) || 0;
  const failed = Number(answer.indexing && answer.indexing.failed) || 0;
  if (pending > 0 || failed > 0) {
    const parts = [];
    if (pending > 0) {
      parts.push(`The service is still indexing: ${pending.toLocaleString()} record${pending === 1 ? ' is' : 's are'} `
        + 'not searchable yet, so results may be incomplete.');
    }
    if (failed > 0) {
      parts.push(`${failed.toLocaleString()} record${failed === 1 ? '' : 's'} could not be indexed.`);
    }
    ui.indexing.replaceChildren(text('span', parts.join(' ')));
    if (pending > 0) {
      ui.indexing.append(' ', button('Search again', () => runSearch(currentState()), 'button small'));
    }
    ui.indexing.hidden = false;
  }

  const filters = filterWords(state);
  if (hits.length === 0) {
    ui.status.textContent = 'No results.';
    const what = state.like ? 'No other images are like this one' : state.q ? `No images match “${state.q}”` : 'No images';
    const within = filters ? ` with ${filters}` : '';
    const hint = pending > 0
      ? ' yet: the service is still indexing, so try again in a moment.'
      : `. ${filters ? 'Try fewer filters, ' : 'Try '}other words${state.q && state.namespace !== 'hybrid' ? ', or search words and meaning (hybrid)' : ''}.`;
    showEmpty(`${what}${within}${hint}`, 'none');
    return;
  }
  ui.empty.hidden = true;
  const count = `${hits.length} ${hits.length === 1 ? 'image' : 'images'}`;
  const took = Number.isFinite(answer.took_ms) ? ` · ${answer.took_ms} ms` : '';
  ui.status.textContent = listed
    ? `${count} with ${filters || 'these filters'}, by name${took}`
    : state.like ? `${count} like this one${filters ? `, with ${filters}` : ''}, nearest first${took}`
    : `${count} for “${state.q}” in ${NAMESPACE_LABELS[state.namespace] || state.namespace}`
      + `${filters ? `, with ${filters}` : ''}, best first${took}`;
  if (focusIndexAfterLoad >= 0) {
    const card = ui.results.querySelectorAll('.card')[focusIndexAfterLoad];
    if (card) card.focus();
    focusIndexAfterLoad = -1;
  }
}

function filterWords(state) {
  const parts = [];
  if (state.theme) parts.push(`theme ${state.theme}`);
  if (state.sub_theme) parts.push(`sub-theme ${state.sub_theme}`);
  if (state.tag) parts.push(`tag “${state.tag}”`);
  if (state.model) parts.push(`model ${state.model}`);
  if (state.sampler) parts.push(`sampler ${state.sampler}`);
  if (state.lora) parts.push(`LoRA ${state.lora}`);
  return listing(parts);
}

/** Over the results of ?like=: which record they are like, with its thumbnail and a way back. */
let likeShown = '';
async function showLikeBanner(state) {
  if (!state.like) {
    ui.likeBanner.hidden = true;
    likeShown = '';
    return;
  }
  if (likeShown === state.like) return;
  likeShown = state.like;
  const img = document.createElement('img');
  img.alt = '';
  img.width = 72;
  img.height = 72;
  img.src = `/api/images/${encodeURIComponent(state.like)}/thumbnail`;
  const what = text('span', '', 'like-what');
  what.append(text('strong', 'Similar to '), text('span', state.like, 'like-name'));
  const open = text('a', 'Open this image', 'button small');
  open.href = `${location.pathname}${writeState({ ...state, open: state.like })}`;
  open.addEventListener('click', (e) => {
    e.preventDefault();
    navigate({ ...currentState(), open: state.like }, { detail: true });
  });
  const back = button('Back to search', () => {
    const s = { ...currentState(), like: '', open: '' };
    fillForm(s);
    navigate(s);
  });
  ui.likeBanner.replaceChildren(img, what, open, back);
  ui.likeBanner.hidden = false;
  try {
    const r = await api.get(`/api/records/${encodeURIComponent(state.like)}`);
    if (likeShown !== state.like) return;
    const name = ui.likeBanner.querySelector('.like-name');
    name.textContent = promptText(r.prompt) || r.name || state.like;
  } catch {
    // the search says what is wrong (404, 409)
  }
}

function renderCards(state, matches) {
  const items = matches.map((hit) => {
    const md = hit.metadata || {};
    const card = document.createElement('a');
    card.className = 'card';
    card.href = `${location.pathname}${writeState({ ...state, open: hit.id })}`;
    card.dataset.id = hit.id;
    card.dataset.subTheme = md.sub_theme || '';

    const thumb = document.createElement('span');
    thumb.className = 'thumb';
    const img = document.createElement('img');
    img.alt = '';
    img.width = 256;
    img.height = 256;
    img.loading = 'lazy';
    img.decoding = 'async';
    img.addEventListener('error', () => thumb.classList.add('broken'), { once: true });
    img.src = local(hit.thumbnail_url, `/api/images/${encodeURIComponent(hit.id)}/thumbnail`);
    thumb.append(img);

    const body = document.createElement('span');
    body.className = 'card-body';
    const line = text('span', '', 'card-line');
    line.append(text('span', md.sub_theme || md.theme || '', 'sub-theme'));
    const score = formatScore(hit.score);
    if (score) {
      const s = text('span', score, 'score');
      s.title = scoreTitle(hit);
      line.append(s);
    }
    body.append(line, text('span', promptText(md.original_prompt) || md.name || hit.id, 'prompt'));
    const tags = tagsOf(md);
    if (tags.length) {
      const list = text('span', '', 'tags');
      for (const t of tags.slice(0, 8)) list.append(text('span', t, 'tag'));
      if (tags.length > 8) list.append(text('span', `+${tags.length - 8}`, 'tag tag-more'));
      body.append(list);
    }
    const lists = hitLists(hit);
    if (lists.length) {
      const badges = text('span', '', 'badges');
      badges.setAttribute('aria-label', 'found by');
      for (const l of lists) {
        const b = text('span', l.label, `badge badge-${l.name}`);
        b.dataset.list = l.name;
        const rank = l.rank ? `#${l.rank}` : '';
        b.title = [`found by ${l.label}`, rank, l.score !== null ? formatScore(l.score) : ''].filter(Boolean).join(' · ');
        if (rank) b.append(text('span', rank, 'badge-rank'));
        badges.append(b);
      }
      body.insertBefore(badges, body.children[1] || null);
    }
    card.append(thumb, body);
    const li = document.createElement('li');
    li.className = 'card-item';
    const similar = text('a', 'Similar', 'similar-link');
    similar.href = `${location.pathname}${writeState({ ...state, q: '', like: hit.id, open: '' })}`;
    similar.dataset.nav = '';
    similar.title = 'Images whose vectors are nearest to this one';
    similar.setAttribute('aria-label', `Similar images to ${promptText(md.original_prompt) || md.name || hit.id}`);
    li.append(card, similar);
    return li;
  });
  ui.results.replaceChildren(...items);
}

function scoreTitle(hit) {
  const parts = [`score ${formatScore(hit.score)}${hit.namespace === 'both' || hit.namespace === 'hybrid' ? ' (fused)' : ''}`];
  if (hit.scores && typeof hit.scores === 'object') {
    for (const [ns, s] of Object.entries(hit.scores)) parts.push(`${ns} ${formatScore(s)}`);
  }
  return parts.join(' · ');
}

ui.results.addEventListener('click', (e) => {
  const card = e.target.closest('a.card');
  if (!card || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  focusAfterClose = card.dataset.id;
  navigate({ ...currentState(), open: card.dataset.id }, { detail: true });
});

// ---------------------------------------------------------------------------------------------- detail dialog

async function openDetail(id) {
  if (!ui.detail.open) ui.detail.showModal();
  if (detailId === id) return;
  detailId = id;
  focusAfterClose = id;
  const seq = ++detailSeq;
  const hit = hits.find((h) => h.id === id);
  const md = (hit && hit.metadata) || {};
  ui.detailTitle.textContent = md.name || 'Image';
  ui.detailSimilar.href = `${location.pathname}${writeState({ ...currentState(), view: 'search', q: '', like: id, open: '' })}`;
  setDetailImage(hit ? hit.image_url : null, id);
  updateDetailNav();
  ui.detailRecord.replaceChildren(text('p', 'Loading the record…', 'muted'));
  ui.detailRecord.setAttribute('aria-busy', 'true');
  try {
    const record = await api.get(`/api/records/${encodeURIComponent(id)}`);
    if (seq !== detailSeq) return;
    ui.detailTitle.textContent = record.name || md.name || 'Image';
    if (record.image_url && (!hit || record.image_url !== hit.image_url)) setDetailImage(record.image_url, id);
    ui.detailRecord.replaceChildren(recordView(record, hit));
    if (record.lineage && typeof record.lineage === 'object') {
      ui.detailRecord.prepend(lineageView(record, api));
    }
  } catch (e) {
    if (seq !== detailSeq) return;
    const box = text('div', '', 'notice notice-error');
    box.setAttribute('role', 'alert');
    box.append(text('strong', e.status === 404 ? 'This record is not in the library. ' : 'The record could not be loaded. '),
      text('span', messageOf(e)));
    ui.detailRecord.replaceChildren(box);
    if (hit) ui.detailRecord.append(hitView(hit));
  } finally {
    if (seq === detailSeq) ui.detailRecord.removeAttribute('aria-busy');
  }
}

/** Previous and next follow the grid; a record opened from a link before its results arrived gets them later. */
function updateDetailNav() {
  const index = hits.findIndex((h) => h.id === detailId);
  ui.detailPrev.disabled = index <= 0;
  ui.detailNext.disabled = index < 0 || index >= hits.length - 1;
}

function setDetailImage(url, id) {
  const src = local(url, `/api/images/${encodeURIComponent(id)}`);
  ui.detailImageNote.hidden = true;
  ui.detailImage.classList.remove('broken');
  if (ui.detailImage.getAttribute('src') !== src) ui.detailImage.src = src;
  ui.detailOpen.href = src;
}

ui.detailImage.addEventListener('error', () => {
  ui.detailImage.classList.add('broken');
  ui.detailImageNote.textContent = 'The image could not be loaded.';
  ui.detailImageNote.hidden = false;
});

ui.detailClose.addEventListener('click', () => ui.detail.close());
// a click on the backdrop (the dialog element itself, outside its content) closes it
ui.detail.addEventListener('click', (e) => {
  if (e.target === ui.detail) ui.detail.close();
});

// Escape, the close button, the backdrop and back/forward all end here: the URL loses `open`
ui.detail.addEventListener('close', () => {
  detailId = null;
  detailSeq++;
  const state = currentState();
  if (state.open) {
    if (history.state && history.state.detail) {
      history.back(); // the entry that opened it goes: forward opens it again
    } else {
      history.replaceState({ detail: false }, '', `${location.pathname}${writeState({ ...state, open: '' })}`);
    }
  }
  const card = focusAfterClose && [...ui.results.querySelectorAll('.card')].find((c) => c.dataset.id === focusAfterClose);
  if (card) {
    card.focus();
  } else {
    ui.results.focus();
  }
});

function step(delta) {
  const index = hits.findIndex((h) => h.id === detailId);
  const next = hits[index + delta];
  if (index < 0 || !next) return;
  navigate({ ...currentState(), open: next.id }, { replace: true });
}

ui.detailPrev.addEventListener('click', () => step(-1));
ui.detailNext.addEventListener('click', () => step(1));
ui.detail.addEventListener('keydown', (e) => {
  if (e.target.closest('input, select, textarea') || e.altKey || e.ctrlKey || e.metaKey) return;
  if (e.key === 'ArrowLeft') {
    e.preventDefault();
    step(-1);
  } else if (e.key === 'ArrowRight') {
    e.preventDefault();
    step(1);
  }
});

function recordView(r, hit) {
  const dl = document.createElement('dl');
  dl.className = 'fields';
  const add = (label, value) => {
    if (value === null || value === undefined || value === '') return;
    dl.append(text('dt', label));
    const dd = document.createElement('dd');
    if (value instanceof Node) {
      dd.append(value);
    } else {
      dd.textContent = String(value);
    }
    dl.append(dd);
  };
  const readable = promptText(r.prompt);
  const prompt = document.createElement('div');
  prompt.append(text('p', readable || '—', 'prompt-full'));
  if (r.prompt && String(r.prompt).trim() !== readable) {
    const raw = document.createElement('details');
    raw.append(text('summary', 'Prompt as stored'), text('pre', String(r.prompt)));
    prompt.append(raw);
  }
  add('Prompt', prompt);
  const tags = tagsOf({ description: r.description });
  if (tags.length) {
    const list = text('div', '', 'tags');
    for (const t of tags) list.append(text('span', t, 'tag'));
    add('Tags', list);
  }
  add('Theme', r.theme);
  add('Sub-theme', r.sub_theme);
  if (hit && formatScore(hit.score)) add('Score', scoreTitle(hit));
  add('Name', r.name);
  add('File', r.file_path || 'none yet');
  add('Imported from', r.source_file);
  add('Status', r.status);
  if (r.index) {
    const ns = r.index.namespaces
      ? Object.entries(r.index.namespaces).map(([n, v]) => `${n} ${v && v.indexed ? '✓' : '✗'}`).join(' · ')
      : '';
    const parts = [r.index.state, ns, r.index.indexed_at ? `at ${when(r.index.indexed_at)}` : ''].filter(Boolean);
    add('Index', parts.join(' · '));
    if (r.index.error) add('Index error', `${r.index.error} (attempts: ${r.index.attempts ?? '?'})`);
  }
  add('Created', when(r.created_at));
  add('Updated', when(r.updated_at));
  if (r.extra && typeof r.extra === 'object' && Object.keys(r.extra).length) {
    add('Other fields', text('pre', JSON.stringify(r.extra, null, 2)));
  }
  if (Array.isArray(r.dead_letters) && r.dead_letters.length) {
    const list = document.createElement('ul');
    list.className = 'dead-letters';
    for (const d of r.dead_letters) {
      const state = d.state && d.state !== 'open' ? ` · ${d.state}${d.resolution ? `: ${d.resolution}` : ''}` : '';
      list.append(text('li', `#${d.id} ${d.stage}: ${d.reason} (${when(d.created_at)})${state}`));
    }
    add('Dead letters', list);
  }
  add('Id', text('code', r.id));
  return dl;
}

/** What the search hit itself says, when the record cannot be loaded. */
function hitView(hit) {
  const md = hit.metadata || {};
  return recordView({
    id: hit.id, name: md.name, prompt: md.original_prompt, description: md.description, theme: md.theme,
    sub_theme: md.sub_theme, file_path: md.file_path,
  }, hit);
}

/** An image address of this service (a path), else the default one: an answer never points the page elsewhere. */
function local(url, fallback) {
  return typeof url === 'string' && url.startsWith('/') && !url.startsWith('//') ? url : fallback;
}


// ---------------------------------------------------------------------------------------------- the API key

/** Asks for the key in a small modal form; resolves to it, or rejects when the user cancels. */
function askKey({ rejected }) {
  return new Promise((resolve, reject) => {
    ui.keyError.textContent = rejected ? 'That key was not accepted: check it and try again.' : '';
    ui.keyError.hidden = !rejected;
    ui.keyInput.value = '';
    const submit = (e) => {
      e.preventDefault();
      const key = ui.keyInput.value.trim();
      if (!key) {
        ui.keyInput.focus();
        return;
      }
      finish();
      resolve(key);
    };
    const cancel = () => {
      finish();
      reject(new KeyDeclined());
    };
    // the dialog's close event comes in a later task: one left from the previous question (a key refused at once)
    // may arrive after this one opened the dialog again, and is not a cancel
    const closed = () => {
      if (!ui.keyDialog.open) cancel();
    };
    const finish = () => {
      ui.keyForm.removeEventListener('submit', submit);
      ui.keyCancel.removeEventListener('click', cancel);
      ui.keyDialog.removeEventListener('close', closed);
      if (ui.keyDialog.open) ui.keyDialog.close();
      ui.forgetKey.hidden = !api.key();
    };
    ui.keyForm.addEventListener('submit', submit);
    ui.keyCancel.addEventListener('click', cancel);
    ui.keyDialog.addEventListener('close', closed); // Escape
    ui.keyDialog.showModal();
    ui.keyInput.focus();
  }).finally(() => {
    ui.forgetKey.hidden = !api.key();
  });
}

// ---------------------------------------------------------------------------------------------- messages

function showError(e) {
  ui.error.replaceChildren(text('strong', 'Something went wrong. '), text('span', messageOf(e)));
  if (e instanceof KeyDeclined) {
    ui.error.append(' ', button('Enter the API key', () => {
      api.allowAskingAgain();
      if (!facets) loadFacets();
      runSearch(currentState());
    }, 'button small'));
  }
  ui.error.hidden = false;
}


function hideMessages() {
  ui.error.hidden = true;
  ui.indexing.hidden = true;
  ui.empty.hidden = true;
}

function showEmpty(message, kind) {
  ui.empty.textContent = message;
  ui.empty.dataset.kind = kind;
  ui.empty.hidden = false;
}

function setBusy(on) {
  document.body.classList.toggle('busy', on);
  ui.results.setAttribute('aria-busy', on ? 'true' : 'false');
}



// ---------------------------------------------------------------------------------------------- start

const views = {
  search: null,
  status: new StatusView(api),
  'dead-letters': new DeadLettersView(api, { navigate: (s) => navigate(s), currentState }),
  delete: new DeleteView(api, { navigate: (s, o) => navigate(s, o), currentState }),
};
new Uploader(api, { onDone: () => navigate({ ...readState(''), view: 'status' }) });

ui.forgetKey.hidden = !api.key();
const initial = currentState();
fillForm(initial);
loadFacets();
show(initial);
if (!initial.q && !hasFilter(initial)) ui.q.focus();
