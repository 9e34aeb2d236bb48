// The delete view (?view=delete&theme=&sub_theme=&tag=&filter=<JSON>): a filter built from the facets or typed in
// search's filter language; Preview is POST /api/delete with dry_run (how many records match, in the library and in
// each namespace, with thumbnails of some); Delete asks once more with the count, then deletes. Purge is offered
// apart, and said to be final.

import { $, messageOf, notice, text } from './dom.js';
import { FILTERS, count, filterOf, writeState } from './state.js';
import { ask } from './confirm.js';

export class DeleteView {
  constructor(api, page) {
    this.api = api;
    this.page = page;
    this.ui = {
      form: $('delete-form'), facets: $('delete-facets'), json: $('delete-json'), filterText: $('delete-filter-text'),
      preview: $('delete-preview'), go: $('delete-go'), purge: $('purge-go'), box: $('delete-preview-box'), error: $('delete-error'),
    };
    this.selects = new Map();
    this.previewed = null; // {filter (JSON text), purge, matched}
    this.facets = null;
    this.ui.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.preview(false);
    });
    this.ui.json.addEventListener('input', () => this.changed());
    this.ui.go.addEventListener('click', () => this.run(false));
    this.ui.purge.addEventListener('click', () => this.run(true));
    this.buildSelects();
  }

  hide() {
  }

  show(state) {
    this.fill(state);
    this.changed(false);
  }

  /** The facets' lists as choices: theme, sub-theme, tag, and model, sampler, LoRA when the facets have them. */
  facetsLoaded(facets) {
    this.facets = facets;
    this.buildSelects();
    if (this.page.currentState().view === 'delete') this.fill(this.page.currentState());
  }

  buildSelects() {
    const f = this.facets || {};
    const lists = {
      theme: f.themes, sub_theme: f.sub_themes, tag: f.tags, model: f.models, sampler: f.samplers, lora: f.loras,
    };
    const labels = { theme: 'Theme', sub_theme: 'Sub-theme', tag: 'Tag', model: 'Model', sampler: 'Sampler', lora: 'LoRA' };
    const fields = [];
    this.selects.clear();
    for (const x of FILTERS) {
      const list = Array.isArray(lists[x.key]) ? lists[x.key] : [];
      if (x.facet && !list.length) continue;
      const counts = new Map();
      for (const v of list) if (v && v.value != null) counts.set(String(v.value), (counts.get(String(v.value)) || 0) + (Number(v.count) || 0));
      const field = text('div', '', 'field');
      const label = text('label', labels[x.key]);
      const select = document.createElement('select');
      select.id = `delete-${x.key}`;
      select.name = x.key;
      label.htmlFor = select.id;
      select.append(new Option(`Any ${labels[x.key].toLowerCase()}`, ''),
        ...[...counts.keys()].sort().map((v) => new Option(`${v} (${counts.get(v)})`, v)));
      select.addEventListener('change', () => this.changed());
      field.append(label, select);
      fields.push(field);
      this.selects.set(x.key, select);
    }
    this.ui.facets.replaceChildren(...fields);
  }

  fill(state) {
    for (const [key, select] of this.selects) {
      const v = state[key] || '';
      if (v && ![...select.options].some((o) => o.value === v)) select.append(new Option(v, v));
      select.value = v;
    }
    if (state.filter && this.ui.json.value.trim() !== state.filter) this.ui.json.value = state.filter;
    if (!state.filter && document.activeElement !== this.ui.json) this.ui.json.value = '';
  }

  /** The filter of the form: the typed one when there is one, else the choices'. Throws when the typed one is not JSON. */
  filter() {
    const typed = this.ui.json.value.trim();
    if (typed) {
      let f;
      try {
        f = JSON.parse(typed);
      } catch (e) {
        throw new Error(`The typed filter is not JSON: ${e.message}`);
      }
      if (!f || typeof f !== 'object' || Array.isArray(f)) throw new Error('A filter is a JSON object, such as {"sub_theme": {"$eq": "ANIMAL"}}.');
      return f;
    }
    const state = {};
    for (const [key, select] of this.selects) state[key] = select.value;
    return filterOf(state);
  }

  /** The form changed: the URL keeps it, the preview no longer stands. */
  changed(keepUrl = true) {
    let f = null;
    try {
      f = this.filter();
      this.ui.filterText.textContent = f ? JSON.stringify(f) : 'none yet: choose at least one';
    } catch (e) {
      this.ui.filterText.textContent = e.message;
    }
    const current = f ? JSON.stringify(f) : '';
    if (!this.previewed || this.previewed.filter !== current) {
      this.ui.go.disabled = true;
      this.ui.purge.disabled = true;
      if (this.previewed) this.ui.box.replaceChildren(text('p', 'The filter changed: preview again.', 'muted'));
      this.previewed = null;
    }
    if (keepUrl) {
      const state = { ...this.page.currentState(), view: 'delete', filter: this.ui.json.value.trim() };
      for (const [key, select] of this.selects) state[key] = select.value;
      const url = `${location.pathname}${writeState(state)}`;
      if (url !== `${location.pathname}${location.search}`) history.replaceState(history.state, '', url);
    }
  }

  async preview(purge) {
    this.ui.error.hidden = true;
    let f;
    try {
      f = this.filter();
    } catch (e) {
      this.fail(e);
      return null;
    }
    if (!f) {
      this.fail(new Error('Choose at least one facet, or type a filter: deleting the whole library at once is not offered.'));
      return null;
    }
    this.ui.box.replaceChildren(text('p', 'Counting…', 'muted'));
    try {
      const r = await this.api.post('/api/delete', { filter: f, dry_run: true, purge });
      this.previewed = { filter: JSON.stringify(f), purge, matched: r.matched, answer: r };
      this.renderPreview(r);
      this.ui.go.disabled = r.matched === 0;
      this.ui.purge.disabled = r.matched === 0 && !(r.purged > 0);
      return r;
    } catch (e) {
      this.ui.box.replaceChildren();
      this.fail(e);
      return null;
    }
  }

  renderPreview(r) {
    const box = text('div', '', 'preview-figures');
    const matched = text('p', '', 'preview-count');
    matched.append(text('strong', count(r.matched), 'preview-matched'),
      text('span', ` active record${r.matched === 1 ? '' : 's'} match${r.matched === 1 ? 'es' : ''} this filter`));
    box.append(matched);
    const ns = r.vectors_removed && typeof r.vectors_removed === 'object' ? Object.entries(r.vectors_removed) : [];
    if (ns.length) {
      const ul = text('ul', '', 'preview-namespaces');
      for (const [name, n] of ns) {
        const li = text('li', '');
        li.dataset.namespace = name;
        li.append(text('strong', count(n)), text('span', ` with a vector in ${name}`));
        ul.append(li);
      }
      box.append(ul);
    }
    if (r.purge) box.append(text('p', `${count(r.purged)} rows would be removed for good (records already marked deleted included).`, 'muted'));
    const sample = Array.isArray(r.sample) ? r.sample : [];
    const grid = text('ul', '', 'preview-sample');
    for (const id of sample) {
      const li = document.createElement('li');
      const a = document.createElement('a');
      a.href = `/?open=${encodeURIComponent(id)}`;
      a.target = '_blank';
      a.rel = 'noopener';
      const img = document.createElement('img');
      img.alt = '';
      img.width = 96;
      img.height = 96;
      img.loading = 'lazy';
      img.dataset.id = id;
      img.src = `/api/images/${encodeURIComponent(id)}/thumbnail`;
      a.append(img);
      li.append(a);
      grid.append(li);
    }
    const parts = [box];
    if (sample.length) {
      parts.push(text('p', sample.length < r.matched ? `Some of them (${sample.length} of ${count(r.matched)}):` : 'All of them:', 'muted'), grid);
    }
    this.ui.box.replaceChildren(...parts);
  }

  async run(purge) {
    const p = this.previewed;
    if (!p) return;
    // a purge is previewed as a purge (it also takes the rows an earlier delete only marked)
    const r = purge && !p.purge ? await this.preview(true) : p.answer;
    if (!r) return;
    const n = r.matched;
    const filter = this.previewed.filter;
    const ok = await ask({
      title: purge ? `Purge ${count(n)} record${n === 1 ? '' : 's'}, for good?` : `Delete ${count(n)} record${n === 1 ? '' : 's'}?`,
      message: purge
        ? `The rows of the ${count(n)} records matching ${filter} (and of ${count(Math.max(0, r.purged - n))} already marked deleted) are removed`
          + ' from the library with their vectors. This is final: it cannot be undone.'
        : `The ${count(n)} records matching ${filter} are marked deleted and their vectors removed from both namespaces.`,
      ok: purge ? `Purge ${count(n)} for good` : `Delete ${count(n)} record${n === 1 ? '' : 's'}`,
      danger: true,
    });
    if (!ok) return;
    this.ui.go.disabled = true;
    this.ui.purge.disabled = true;
    try {
      const done = await this.api.post('/api/delete', { filter: JSON.parse(filter), purge });
      const removed = Object.entries(done.vectors_removed || {}).map(([ns, v]) => `${count(v)} ${ns}`).join(', ');
      const msg = notice('ok', text('strong', `${count(done.deleted)} record${done.deleted === 1 ? '' : 's'} deleted`, 'deleted-count'),
        `; vectors removed: ${removed || 'none'}${purge ? `; ${count(done.purged)} rows purged` : ''}.`);
      msg.id = 'delete-done';
      this.ui.box.replaceChildren(msg);
      this.previewed = null;
    } catch (e) {
      this.fail(e);
    }
  }

  fail(e) {
    this.ui.error.replaceChildren(text('strong', 'Nothing was deleted. '), text('span', messageOf(e)));
    this.ui.error.hidden = false;
  }
}
