// The status view (?view=status): the figures of GET /api/stats, live. While the view is shown and the tab visible it
// asks every 2 s, each question after the last answer, with max_age=2: however many pages watch, the service reads
// its figures at most once every 2 s.

import { $, messageOf, notice, pageLink, progressBar, table, text, when } from './dom.js';
import { bytes, count, duration } from './state.js';

const EVERY_MS = 2000;

export class StatusView {
  constructor(api) {
    this.api = api;
    this.body = $('status-body');
    this.error = $('status-error');
    this.live = $('status-live');
    this.timer = 0;
    this.on = false;
    this.seq = 0;
    document.addEventListener('visibilitychange', () => {
      if (this.on && document.visibilityState === 'visible') this.poll();
    });
  }

  show() {
    if (this.on) return;
    this.on = true;
    if (!this.body.childElementCount) this.body.replaceChildren(text('p', 'Reading the library’s figures…', 'muted'));
    this.poll();
  }

  hide() {
    this.on = false;
    window.clearTimeout(this.timer);
  }

  async poll() {
    window.clearTimeout(this.timer);
    if (!this.on || document.visibilityState === 'hidden') return;
    const seq = ++this.seq;
    try {
      const stats = await this.api.get('/api/stats?max_age=2');
      if (seq !== this.seq || !this.on) return;
      this.error.hidden = true;
      this.render(stats);
      this.live.textContent = `Live · figures of ${new Date(stats.as_of || Date.now()).toLocaleTimeString()}`;
      this.live.classList.remove('stale');
    } catch (e) {
      if (seq !== this.seq) return;
      this.error.replaceChildren(text('strong', 'The figures could not be read. '), text('span', messageOf(e)));
      this.error.hidden = false;
      this.live.textContent = 'Not live: trying again…';
      this.live.classList.add('stale');
      if (e.name === 'KeyDeclined') return;
    }
    if (seq === this.seq && this.on) this.timer = window.setTimeout(() => this.poll(), EVERY_MS);
  }

  render(s) {
    const cards = [
      verdictCard(s.sync),
      recordsCard(s),
      importCard(s.importing, s.imports),
      indexingCard(s.indexing, s.full_reindex),
      namespacesCard(s.namespaces, s.index),
      deadLettersCard(s.dead_letters),
      syncsCard(s.syncs),
      enrichmentCard(s.enrichment),
      modelCard(s.model, s.full_reindex),
    ];
    // figures are replaced in place: an open <details> stays open
    const open = new Set([...this.body.querySelectorAll('details[open]')].map((d) => d.dataset.key));
    this.body.replaceChildren(...cards.filter(Boolean));
    for (const d of this.body.querySelectorAll('details')) if (open.has(d.dataset.key)) d.open = true;
  }
}

function card(id, title, ...children) {
  const c = text('section', '', 'card-box');
  c.id = id;
  c.append(text('h2', title), ...children.filter(Boolean));
  return c;
}

/** A figure: a big number with its label; data-figure names it for tests and scripts. */
function figure(name, value, label, hint) {
  const f = text('div', '', 'figure');
  f.dataset.figure = name;
  const v = text('span', value, 'figure-value');
  v.id = `figure-${name}`;
  f.append(v, text('span', label, 'figure-label'));
  if (hint) f.title = hint;
  return f;
}

function figures(...items) {
  const row = text('div', '', 'figures');
  row.append(...items.filter(Boolean));
  return row;
}

function verdictCard(sync) {
  if (!sync) return null;
  const ok = Boolean(sync.in_sync);
  const c = card('status-verdict', ok ? 'In sync' : 'Not in sync');
  c.classList.add(ok ? 'verdict-ok' : 'verdict-off');
  c.append(text('p', sync.summary, 'verdict-summary'));
  if (!ok && Array.isArray(sync.reasons) && sync.reasons.length) {
    const ul = text('ul', '', 'reasons');
    for (const r of sync.reasons) ul.append(text('li', r));
    c.append(ul);
  }
  return c;
}

function recordsCard(s) {
  const records = s.records || {};
  const themes = Array.isArray(s.themes) ? s.themes : [];
  const c = card('status-records', 'Records', figures(
    figure('active', count(records.active), 'active'),
    figure('deleted', count(records.deleted || 0), 'deleted'),
  ));
  if (themes.length) {
    c.append(table([
      ['Theme', (t) => pageLink(t.theme ?? '(none)', `/?theme=${encodeURIComponent(t.theme ?? '')}`)],
      ['Active records', (t) => count(t.records)],
    ], themes, 'table compact'));
  }
  return c;
}

function importCard(running, last) {
  const c = card('status-import', 'Import');
  const list = Array.isArray(running) ? running : [];
  if (!list.length) {
    c.append(text('p', 'No import under way. Drop a batch file on the page, or use “Import a file…”.', 'muted'));
  }
  for (const r of list) {
    const item = text('div', '', 'import-running');
    item.dataset.file = r.file_name;
    item.append(text('p', '', 'import-file'));
    item.firstChild.append(text('strong', r.file_name), text('span', r.file_bytes != null ? ` · ${bytes(r.file_bytes)}` : '', 'muted'));
    if (r.records_done == null) {
      item.append(text('p', `Imported by another process, for ${duration(r.seconds)} so far: its records show once the file is stored whole.`, 'muted'));
    } else {
      item.append(progressBar(r.fraction, `${r.file_name}: part of the file read`));
      item.append(figures(
        figure('import-records', count(r.records_done), 'records done'),
        figure('import-rate', r.records_per_second != null ? `${count(Math.round(r.records_per_second))}/s` : '—', 'rate'),
        figure('import-left', r.seconds_left != null ? duration(r.seconds_left) : '—', 'time left'),
        figure('import-read', r.fraction != null ? `${Math.round(r.fraction * 100)} %` : '—', 'of the file read'),
      ));
    }
    c.append(item);
  }
  const runs = Array.isArray(last) ? last.slice(0, 5) : [];
  if (runs.length) {
    const d = text('details', '', 'recent');
    d.dataset.key = 'imports';
    d.open = !list.length;
    d.append(text('summary', 'Last imports'), table([
      ['File', (r) => r.file_name],
      ['Outcome', (r) => stateBadge(r.outcome)],
      ['Read', (r) => count(r.read)],
      ['New', (r) => count(r.inserted)],
      ['Changed', (r) => count(r.updated)],
      ['Same', (r) => count(r.unchanged)],
      ['Rejected', (r) => (r.rejected ? pageLink(count(r.rejected), `/?view=dead-letters&file=${encodeURIComponent(r.file_name)}`) : '0')],
      ['Started', (r) => when(r.started_at)],
      ['Took', (r) => (r.seconds != null ? duration(r.seconds) : '')],
    ], runs, 'table compact'));
    c.append(d);
  }
  return c;
}

function indexingCard(ix, full) {
  if (!ix) return null;
  const pending = Number(ix.pending) || 0;
  const indexed = Number(ix.indexed) || 0;
  const c = card('status-indexing', 'Indexing');
  if (ix.blocked) c.append(notice('error', ix.blocked));
  if (pending > 0) c.append(progressBar(indexed / Math.max(1, indexed + pending), 'records indexed of those active'));
  c.append(figures(
    figure('indexed', count(indexed), 'indexed'),
    figure('pending', count(pending), 'pending'),
    figure('failed', count(ix.failed), 'failed'),
    figure('index-rate', ix.records_per_second != null ? `${count(ix.records_per_second)}/s` : '—', 'rate (last minute)'),
    figure('index-left', ix.seconds_left != null ? duration(ix.seconds_left) : pending ? '—' : 'done', 'time left'),
  ));
  if (full && !full.finished_at) c.append(text('p', 'A full reindex is under way: see Model below.', 'muted'));
  return c;
}

function namespacesCard(namespaces, index) {
  if (!namespaces || typeof namespaces !== 'object') return null;
  const rows = Object.entries(namespaces).map(([name, n]) => ({ name, ...n }));
  const c = card('status-namespaces', 'Namespaces', table([
    ['Namespace', (n) => n.name],
    ['Vectors', (n) => (n.vectors == null ? 'unknown' : count(n.vectors))],
    ['Records with one', (n) => count(n.with_vector)],
    ['Pending', (n) => count(n.pending)],
    ['Failed', (n) => count(n.failed)],
    ['To remove', (n) => count(n.to_remove)],
    ['Being indexed', (n) => count(n.in_flight && n.in_flight.records)],
  ], rows, 'table compact'));
  if (index && index.error) c.append(notice('error', index.error));
  return c;
}

function deadLettersCard(stages) {
  const list = Array.isArray(stages) ? stages : [];
  const open = list.reduce((sum, s) => sum + (Number(s.open) || 0), 0);
  const c = card('status-dead-letters', 'Dead letters', figures(figure('dead-letters-open', count(open), 'open')));
  if (list.length) {
    c.append(table([
      ['Stage', (s) => pageLink(s.stage, `/?view=dead-letters&stage=${encodeURIComponent(s.stage)}`)],
      ['Open', (s) => count(s.open)],
      ['Resolved', (s) => count(s.resolved)],
      ['In all', (s) => count(s.total)],
      ['Last', (s) => when(s.last)],
    ], list, 'table compact'));
  } else {
    c.append(text('p', 'None: every record read was stored or is being indexed.', 'muted'));
  }
  return c;
}

function syncsCard(syncs) {
  const list = Array.isArray(syncs) ? syncs : [];
  const c = card('status-syncs', 'Last syncs');
  if (!list.length) {
    c.append(text('p', 'No sync has run yet.', 'muted'));
    return c;
  }
  c.append(table([
    ['#', (r) => r.id],
    ['Started', (r) => when(r.started_at)],
    ['By', (r) => r.started_by],
    ['Mode', (r) => r.mode],
    ['Outcome', (r) => stateBadge(r.outcome)],
    ['Took', (r) => (r.seconds != null ? duration(Number(r.seconds)) : '')],
    ['Found', (r) => (r.error ? r.error : driftWords(r.drift))],
  ], list, 'table compact'));
  return c;
}

/** What a sync repaired, in words: "prompt: 2 orphans removed" ... or "nothing to repair". */
function driftWords(drift) {
  if (!drift || typeof drift !== 'object') return '';
  const parts = [];
  for (const [ns, d] of Object.entries(drift)) {
    if (!d || typeof d !== 'object') continue;
    const done = Object.entries(d).filter(([k, v]) => typeof v === 'number' && v > 0 && k !== 'listed' && k !== 'too_recent')
      .map(([k, v]) => `${v} ${k.replace(/_/g, ' ')}`);
    if (done.length) parts.push(`${ns}: ${done.join(', ')}`);
  }
  return parts.length ? parts.join('; ') : 'nothing to repair';
}

function enrichmentCard(e) {
  if (!e || typeof e !== 'object') return null;
  const numbers = Object.entries(e).filter(([, v]) => typeof v === 'number');
  const c = card('status-enrichment', 'Enrichment', figures(...numbers.map(([k, v]) =>
    figure(`enrich-${k}`, count(v), k.replace(/_/g, ' ')))));
  const rest = Object.entries(e).filter(([, v]) => v && typeof v === 'object');
  for (const [k, v] of rest) {
    const d = text('details', '', 'recent');
    d.dataset.key = `enrich-${k}`;
    d.append(text('summary', k.replace(/_/g, ' ')), text('pre', JSON.stringify(v, null, 2)));
    c.append(d);
  }
  return c;
}

function modelCard(m, full) {
  if (!m) return null;
  const c = card('status-model', 'Model', table([
    ['', (r) => r[0]], ['', (r) => r[1]],
  ], [
    ['Live vectors made with', m.vectors_made_with ? `${m.vectors_made_with} (${m.vectors_dimensions} dimensions)` : 'none yet'],
    ['Generation', String(m.generation)],
    ['This service embeds with', m.this_process || ''],
  ].filter((r) => r[1] !== ''), 'table compact plain'));
  c.querySelector('thead').remove();
  if (m.notice) c.append(notice('info', m.notice));
  if (full && !full.finished_at) {
    const f = text('div', '', 'full-reindex');
    f.id = 'status-full-reindex';
    const done = Number(full.done) || 0;
    const total = done + (Number(full.pending) || 0) + (Number(full.failed) || 0);
    f.append(text('strong', `A full reindex is under way, with ${full.model} (generation ${full.generation}), since ${when(full.started_at)}`));
    f.append(progressBar(total ? done / total : null, 'full reindex'));
    f.append(figures(figure('full-done', count(done), 'embedded again'), figure('full-pending', count(full.pending), 'to go'),
      figure('full-failed', count(full.failed), 'failed')));
    c.append(f);
  } else if (full && full.finished_at) {
    c.append(text('p', `The last full reindex (${full.model}) finished ${when(full.finished_at)}.`, 'muted'));
  } else if (m.building) {
    c.append(text('p', `Generation ${m.building.generation} is being built with ${m.building.model}.`, 'muted'));
  }
  return c;
}

export function stateBadge(state) {
  const s = String(state || '');
  return text('span', s, `state state-${s.replace(/[^a-z-]/g, '')}`);
}
