// A batch file dragged onto the page, or chosen with "Import a file…", goes to the inbox: POST /api/imports?name=,
// with its progress while it is sent; once it is in the inbox the status view shows its import.

import { $, button, messageOf, progressBar, text } from './dom.js';
import { bytes, isBatchFileName } from './state.js';

export class Uploader {
  /** {@code onDone}: called to show the import once the file is in the inbox (the status view). */
  constructor(api, { onDone }) {
    this.api = api;
    this.onDone = onDone;
    this.toast = $('upload-toast');
    this.zone = $('drop-zone');
    this.input = $('upload-input');
    this.depth = 0;
    $('upload-button').addEventListener('click', () => this.input.click());
    this.input.addEventListener('change', () => {
      const file = this.input.files && this.input.files[0];
      this.input.value = '';
      if (file) this.send(file);
    });
    window.addEventListener('dragenter', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      this.depth++;
      this.zone.hidden = false;
    });
    window.addEventListener('dragover', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    });
    window.addEventListener('dragleave', () => {
      this.depth = Math.max(0, this.depth - 1);
      if (this.depth === 0) this.zone.hidden = true;
    });
    window.addEventListener('drop', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      this.depth = 0;
      this.zone.hidden = true;
      const file = e.dataTransfer.files[0];
      if (file) this.send(file);
    });
  }

  async send(file) {
    this.toast.hidden = false;
    this.toast.className = 'notice notice-info upload-toast';
    if (!isBatchFileName(file.name)) {
      this.show('error', `${file.name} is not a batch file: the inbox imports batch_image_data_<theme>_final.json only. Rename it, or choose another.`);
      return;
    }
    const bar = progressBar(0, `sending ${file.name}`);
    const line = text('span', `Sending ${file.name} (${bytes(file.size)})…`);
    this.toast.replaceChildren(line, bar);
    try {
      const answer = await this.api.upload(`/api/imports?name=${encodeURIComponent(file.name)}`, file, (sent, total) => {
        bar.value = total ? sent / total : 0;
        line.textContent = `Sending ${file.name}: ${bytes(sent)} of ${bytes(total)}…`;
      });
      this.show('ok', `${answer.file} (${bytes(answer.bytes)}) is in the inbox: the service imports it now.`,
        button('See its progress', () => this.onDone(answer), 'button small'));
      this.toast.dataset.file = answer.file;
      this.onDone(answer);
    } catch (e) {
      this.show('error', `${file.name} was not imported: ${messageOf(e)}`);
    }
  }

  show(kind, message, ...more) {
    this.toast.className = `notice notice-${kind === 'ok' ? 'ok' : kind} upload-toast`;
    this.toast.replaceChildren(text('span', message), ...more,
      button('Close', () => { this.toast.hidden = true; }, 'button small subtle'));
    this.toast.hidden = false;
  }
}

function hasFiles(e) {
  return e.dataTransfer && [...(e.dataTransfer.types || [])].includes('Files');
}
