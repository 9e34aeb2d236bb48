// The dead letters view (?view=dead-letters&stage=&file=&state=): GET /api/dead-letters as a table, newest first,
// filtered by stage and file (by the API) and by state (here). Each letter: its reason, where it was (file, sub-theme,
// position, field), its raw record; Replay (optionally with the raw JSON corrected in place), Dismiss with a note.
// Replay all by the stage and file chosen. Each action says what it did, and the row's state changes.

import { $, button, messageOf, notice, text, when } from './dom.js';
import { stateBadge } from './status.js';
import { ask } from './confirm.js';

const LIMIT = 500;

export class DeadLettersView {
  constructor(api, page) {
    this.api = api;
    this.page = page;
    this.ui = {
      form: $('dl-filters'), stage: $('dl-stage'), file: $('dl-file'), files: $('dl-files'), state: $('dl-state'),
      table: $('dl-table'), count: $('dl-count'), result: $('dl-result'), error: $('dl-error'), replayAll: $('dl-replay-all'),
    };
    this.letters = [];
    this.shown = null;
    this.ui.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.page.navigate({ ...this.page.currentState(), view: 'dead-letters', stage: this.ui.stage.value,
        file: this.ui.file.value.trim(), state: this.ui.state.value });
    });
    for (const el of [this.ui.stage, this.ui.state]) el.addEventListener('change', () => this.ui.form.requestSubmit());
    this.ui.replayAll.addEventListener('click', () => this.replayAll());
  }

  hide() {
  }

  show(state) {
    const key = `${state.stage}|${state.file}|${state.state}`;
    this.ui.stage.value = state.stage;
    if (state.stage && this.ui.stage.value !== state.stage) {
      this.ui.stage.append(new Option(state.stage, state.stage));
      this.ui.stage.value = state.stage;
    }
    this.ui.file.value = state.file;
    this.ui.state.value = state.state;
    if (key === this.shown) return;
    this.shown = key;
    this.ui.result.replaceChildren();
    this.load(state);
  }

  async load(state) {
    const p = new URLSearchParams({ limit: String(LIMIT) });
    if (state.stage) p.set('stage', state.stage);
    if (state.file) p.set('file', state.file);
    this.ui.error.hidden = true;
    this.ui.table.setAttribute('aria-busy', 'true');
    try {
      const [answer, stats] = await Promise.all([this.api.get(`/api/dead-letters?${p}`), this.stages()]);
      this.letters = Array.isArray(answer.dead_letters) ? answer.dead_letters : [];
      this.fillChoices(stats);
      this.render(state, answer.total);
    } catch (e) {
      this.shown = null;
      this.ui.error.replaceChildren(text('strong', 'The dead letters could not be listed. '), text('span', messageOf(e)));
      this.ui.error.hidden = false;
    } finally {
      this.ui.table.removeAttribute('aria-busy');
    }
  }

  /** The stages there are, from the stats (every stage, whatever the filter shows). */
  async stages() {
    try {
      const s = await this.api.get('/api/stats?max_age=10');
      return Array.isArray(s.dead_letters) ? s.dead_letters.map((d) => d.stage) : [];
    } catch {
      return [];
    }
  }

  fillChoices(stages) {
    const chosen = this.ui.stage.value;
    const all = new Set([...stages, ...this.letters.map((l) => l.stage)].filter(Boolean));
    if (chosen) all.add(chosen);
    this.ui.stage.replaceChildren(new Option('Any stage', ''), ...[...all].sort().map((s) => new Option(s, s)));
    this.ui.stage.value = chosen;
    const files = new Set(this.letters.map((l) => l.source_file).filter(Boolean));
    this.ui.files.replaceChildren(...[...files].sort().map((f) => new Option(f, f)));
  }

  render(state, total) {
    const rows = this.letters.filter((l) => !state.state || l.state === state.state);
    const what = [state.stage && `stage ${state.stage}`, state.file && `file ${state.file}`, state.state].filter(Boolean).join(', ');
    this.ui.count.textContent = `${rows.length.toLocaleString('en-US')} shown${what ? ` (${what})` : ''}`
      + (total > this.letters.length ? ` of the newest ${this.letters.length.toLocaleString('en-US')}; ${total.toLocaleString('en-US')} in all` : '');
    if (!rows.length) {
      this.ui.table.replaceChildren(text('p', what ? 'No dead letter matches these filters.' : 'No dead letters: nothing was rejected or failed.', 'empty'));
      return;
    }
    const t = text('table', '', 'table dead-letter-table');
    const head = t.createTHead().insertRow();
    for (const h of ['#', 'When', 'Stage', 'State', 'Where', 'Reason', '']) head.append(text('th', h));
    const body = t.createTBody();
    for (const l of rows) this.row(body, l);
    this.ui.table.replaceChildren(t);
  }

  row(body, l) {
    const tr = body.insertRow();
    tr.className = 'dl-row';
    tr.dataset.id = String(l.id);
    tr.dataset.state = l.state;
    tr.insertCell().textContent = String(l.id);
    tr.insertCell().textContent = when(l.created_at);
    tr.insertCell().textContent = l.stage;
    const stateCell = tr.insertCell();
    stateCell.className = 'dl-state';
    stateCell.append(stateBadge(l.state));
    const where = tr.insertCell();
    where.className = 'dl-where';
    const file = l.source_file ? text('div', l.source_file, 'dl-file') : null;
    const place = [l.sub_theme, l.position != null ? `#${l.position}` : '', l.field ? `field ${l.field}` : ''].filter(Boolean).join(' · ');
    where.append(...[file, place ? text('div', place, 'muted') : null, l.record_id ? text('code', l.record_id) : null].filter(Boolean));
    const reason = tr.insertCell();
    reason.className = 'dl-reason';
    reason.append(text('div', l.reason));
    if (l.resolution) reason.append(text('div', l.resolution, 'muted dl-resolution'));
    const actions = tr.insertCell();
    actions.className = 'dl-actions';
    const open = l.state === 'open';
    const replay = button('Replay', () => this.replay(l, tr, null), 'button small dl-replay');
    const dismiss = button('Dismiss', () => this.dismiss(l, tr), 'button small dl-dismiss');
    const raw = button('Raw', () => this.toggleRaw(l, tr), 'button small subtle dl-raw');
    raw.setAttribute('aria-expanded', 'false');
    for (const b of [replay, dismiss]) {
      b.disabled = !open;
      if (!open) b.title = `This letter is ${l.state}: only open ones are replayed or dismissed`;
    }
    actions.append(replay, dismiss, raw);
    const said = text('div', '', 'dl-said');
    said.setAttribute('role', 'status');
    actions.append(said);
  }

  /** The raw record under the row, editable: for a rejected record (ingest), replay it corrected. */
  toggleRaw(l, tr) {
    const next = tr.nextElementSibling;
    const toggle = tr.querySelector('.dl-raw');
    if (next && next.classList.contains('dl-raw-row')) {
      next.remove();
      toggle.setAttribute('aria-expanded', 'false');
      return;
    }
    toggle.setAttribute('aria-expanded', 'true');
    const row = document.createElement('tr');
    row.className = 'dl-raw-row';
    const cell = row.insertCell();
    cell.colSpan = 7;
    const area = text('textarea', '', 'dl-raw-text');
    area.value = pretty(l.corrected_raw || l.raw || '');
    area.rows = Math.min(18, Math.max(4, area.value.split('\n').length + 1));
    area.spellcheck = false;
    area.setAttribute('aria-label', `Raw record of dead letter ${l.id}`);
    cell.append(area);
    if (l.stage === 'ingest' && l.state === 'open') {
      const fix = button('Replay with this record', () => {
        let record;
        try {
          record = JSON.parse(area.value);
        } catch (e) {
          this.say(tr, 'error', `The record is not JSON: ${e.message}`);
          area.focus();
          return;
        }
        this.replay(l, tr, record);
      }, 'button small primary dl-replay-corrected');
      cell.append(text('p', 'Correct the record in place, then replay it: it is stored as the import would have stored it.', 'muted'), fix);
    } else {
      area.readOnly = true;
    }
    tr.after(row);
    area.focus();
  }

  async replay(l, tr, record) {
    this.busy(tr, true);
    try {
      const r = await this.api.post(`/api/dead-letters/${l.id}/replay`, record ? { record } : undefined);
      this.update(l, tr, r.state, r.message);
      this.say(tr, r.replayed ? 'ok' : 'error', r.message || (r.replayed ? 'Replayed.' : `Still open: ${r.reason || ''}`));
    } catch (e) {
      this.say(tr, 'error', messageOf(e));
    } finally {
      this.busy(tr, false);
    }
  }

  async dismiss(l, tr) {
    const note = await ask({ title: `Dismiss dead letter #${l.id}?`, message: `It is set aside and nothing else changes: “${l.reason}”`, ok: 'Dismiss', withNote: true });
    if (note === null) return;
    this.busy(tr, true);
    try {
      const r = await this.api.post(`/api/dead-letters/${l.id}/dismiss`, note ? { note } : undefined);
      this.update(l, tr, r.state, note || r.message);
      this.say(tr, 'ok', r.message || 'Dismissed.');
    } catch (e) {
      this.say(tr, 'error', messageOf(e));
    } finally {
      this.busy(tr, false);
    }
  }

  async replayAll() {
    const state = this.page.currentState();
    const what = [state.stage && `of stage ${state.stage}`, state.file && `of file ${state.file}`].filter(Boolean).join(' and ');
    const ok = await ask({ title: 'Replay all open dead letters?', message: `Every open dead letter${what ? ` ${what}` : ''} is replayed, oldest first.`, ok: 'Replay all' });
    if (ok === null) return;
    this.ui.result.replaceChildren(text('p', 'Replaying…', 'muted'));
    try {
      const body = {};
      if (state.stage) body.stage = state.stage;
      if (state.file) body.file = state.file;
      const r = await this.api.post('/api/dead-letters/replay', body);
      const parts = [`${r.replayed} replayed`, `${r.still_open} still open`, `${r.not_replayable} cannot be replayed`];
      if (r.already_resolved) parts.push(`${r.already_resolved} closed meanwhile`);
      const box = notice(r.still_open || r.not_replayable ? 'info' : 'ok', `Of ${r.considered} open: ${parts.join(', ')}.`);
      for (const f of [...(r.first_still_open || []), ...(r.first_not_replayable || [])]) box.append(text('div', `#${f.id}: ${f.reason}`, 'muted'));
      this.ui.result.replaceChildren(box);
      this.shown = null;
      this.show(this.page.currentState());
    } catch (e) {
      this.ui.result.replaceChildren(notice('error', messageOf(e)));
    }
  }

  /** The row shows the letter's new state; it leaves a state filter it no longer matches only on the next load. */
  update(l, tr, state, resolution) {
    l.state = state;
    tr.dataset.state = state;
    tr.querySelector('.dl-state').replaceChildren(stateBadge(state));
    if (resolution) {
      const reason = tr.querySelector('.dl-reason');
      const old = reason.querySelector('.dl-resolution');
      if (old) old.remove();
      reason.append(text('div', resolution, 'muted dl-resolution'));
    }
    const open = state === 'open';
    for (const b of tr.querySelectorAll('.dl-replay, .dl-dismiss')) b.disabled = !open;
    const next = tr.nextElementSibling;
    if (!open && next && next.classList.contains('dl-raw-row')) {
      const fix = next.querySelector('.dl-replay-corrected');
      if (fix) fix.disabled = true;
    }
  }

  busy(tr, on) {
    tr.classList.toggle('busy-row', on);
    for (const b of tr.querySelectorAll('button')) if (on) b.disabled = true;
    if (!on) {
      const open = tr.dataset.state === 'open';
      for (const b of tr.querySelectorAll('.dl-replay, .dl-dismiss')) b.disabled = !open;
      tr.querySelector('.dl-raw').disabled = false;
    }
  }

  say(tr, kind, message) {
    const said = tr.querySelector('.dl-said');
    said.className = `dl-said said-${kind}`;
    said.textContent = message;
  }

}

function pretty(raw) {
  try {
    return JSON.stringify(JSON.parse(raw), null, 2);
  } catch {
    return String(raw);
  }
}
