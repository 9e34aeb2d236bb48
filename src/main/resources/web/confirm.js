// One question in the page's confirm dialog (Dismiss, Replay all, Delete, Purge): it resolves to the note typed
// (withNote) or true, or to null when the user cancels (the Cancel button, Escape).

import { $, text } from './dom.js';

export function ask({ title, message, ok, danger = false, withNote = false, extra = null }) {
  const dialog = $('confirm-dialog');
  const form = $('confirm-form');
  const okButton = $('confirm-ok');
  const cancelButton = $('confirm-cancel');
  return new Promise((resolve) => {
    $('confirm-title').textContent = title;
    $('confirm-text').textContent = message;
    okButton.textContent = ok;
    okButton.className = danger ? 'button danger' : 'button primary';
    const more = $('confirm-extra');
    more.replaceChildren();
    if (extra) more.append(extra);
    let input = null;
    if (withNote) {
      const label = text('label', 'Note (kept with the letter; optional)');
      input = document.createElement('input');
      input.type = 'text';
      input.id = 'confirm-note';
      label.htmlFor = input.id;
      more.append(label, input);
    }
    const done = (value) => {
      form.removeEventListener('submit', submit);
      cancelButton.removeEventListener('click', cancel);
      dialog.removeEventListener('close', cancel);
      if (dialog.open) dialog.close();
      resolve(value);
    };
    const submit = (e) => {
      e.preventDefault();
      done(input ? input.value.trim() : true);
    };
    const cancel = () => done(null);
    form.addEventListener('submit', submit);
    cancelButton.addEventListener('click', cancel);
    dialog.addEventListener('close', cancel);
    dialog.showModal();
    (input || okButton).focus();
  });
}
