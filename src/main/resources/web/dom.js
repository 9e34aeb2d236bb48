// Small DOM helpers the views share: elements with text (never HTML from an answer), buttons, times, error messages.

import { ApiError } from './api.js';

export const $ = (id) => document.getElementById(id);

/** An element with text content (set as text: nothing an answer says is ever read as HTML) and a class. */
export function text(tag, content, className) {
  const node = document.createElement(tag);
  if (content !== undefined && content !== null && content !== '') node.textContent = String(content);
  if (className) node.className = className;
  return node;
}

export function button(label, onClick, className = 'button small') {
  const b = text('button', label, className);
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

/** A link of this page (a query string), followed without a reload by the page's router. */
export function pageLink(label, href, className) {
  const a = text('a', label, className);
  a.href = href;
  a.dataset.nav = '';
  return a;
}

/** A table of rows: columns as [header, (row) => text or Node]. */
export function table(columns, rows, className = 'table') {
  const t = text('table', '', className);
  const head = t.createTHead().insertRow();
  for (const [h] of columns) {
    const th = text('th', h);
    th.scope = 'col';
    head.append(th);
  }
  const body = t.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    for (const [, cell] of columns) {
      const td = tr.insertCell();
      const v = cell(r);
      if (v instanceof Node) td.append(v);
      else if (v !== undefined && v !== null) td.textContent = String(v);
    }
  }
  return t;
}

export function when(iso) {
  if (!iso) return '';
  // PostgreSQL's text of a timestamptz: "2026-12-03 14:38:40.35+00"
  const d = new Date(String(iso).replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

export function messageOf(e) {
  if (e instanceof ApiError) {
    const where = e.field ? ` (at ${e.field})` : '';
    const code = e.status && !e.message.includes(String(e.status)) ? ` [${e.status}]` : '';
    return `${e.message}${where}${code}`;
  }
  return e && e.message ? e.message : String(e);
}

/** A notice box: kind is error, info, ok or quiet. */
export function notice(kind, ...parts) {
  const box = text('div', '', `notice notice-${kind}`);
  if (kind === 'error') box.setAttribute('role', 'alert');
  box.append(...parts.map((p) => (p instanceof Node ? p : text('span', p))));
  return box;
}

/** A <progress> bar of a fraction from 0 to 1 (none: indeterminate), labelled. */
export function progressBar(fraction, label) {
  const p = document.createElement('progress');
  p.max = 1;
  if (typeof fraction === 'number' && Number.isFinite(fraction)) p.value = Math.max(0, Math.min(1, fraction));
  p.setAttribute('aria-label', label);
  return p;
}
