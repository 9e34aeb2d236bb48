// A record's lineage (how its image was made, read from the PNG: generator, prompt, seed, model, LoRAs, ...) on its
// detail, with "Copy prompt" and "Download workflow" (GET /api/records/{id}/workflow, the ComfyUI graph). Shown only
// when the record has a lineage; every field is optional.

import { button, messageOf, text } from './dom.js';

const FIELDS = [
  ['generator', 'Generator'], ['model', 'Model'], ['sampler', 'Sampler'], ['scheduler', 'Scheduler'], ['steps', 'Steps'],
  ['cfg', 'CFG'], ['seed', 'Seed'], ['source', 'Read from'],
];

export function lineageView(record, api) {
  const l = record.lineage;
  const box = text('section', '', 'lineage');
  box.setAttribute('aria-label', 'How this image was made');
  box.append(text('h3', 'How it was made'));
  const dl = text('dl', '', 'fields');
  const add = (label, value) => {
    if (value === null || value === undefined || value === '') return;
    dl.append(text('dt', label));
    const dd = document.createElement('dd');
    if (value instanceof Node) dd.append(value);
    else dd.textContent = String(value);
    dl.append(dd);
  };
  if (l.prompt) add('Prompt', text('p', l.prompt, 'prompt-full'));
  if (l.negative_prompt) add('Negative prompt', text('p', l.negative_prompt, 'muted'));
  for (const [key, label] of FIELDS) add(label, l[key]);
  if (l.width && l.height) add('Size', `${l.width} × ${l.height}`);
  if (Array.isArray(l.loras) && l.loras.length) {
    const list = text('div', '', 'tags');
    for (const lora of l.loras) {
      const name = lora && typeof lora === 'object' ? lora.name : lora;
      const strength = lora && typeof lora === 'object' && lora.strength != null ? ` · ${lora.strength}` : '';
      list.append(text('span', `${name}${strength}`, 'tag'));
    }
    add('LoRAs', list);
  }
  box.append(dl);

  const actions = text('div', '', 'lineage-actions');
  const said = text('span', '', 'muted lineage-said');
  said.setAttribute('role', 'status');
  const prompt = l.prompt || record.prompt || '';
  if (prompt) {
    actions.append(button('Copy prompt', async () => {
      said.textContent = (await copy(prompt)) ? 'Prompt copied.' : 'Could not copy: select the prompt above instead.';
    }, 'button small copy-prompt'));
  }
  actions.append(button('Download workflow', async () => {
    said.textContent = 'Fetching the workflow…';
    try {
      const graph = await api.get(`/api/records/${encodeURIComponent(record.id)}/workflow`);
      const url = URL.createObjectURL(new Blob([JSON.stringify(graph, null, 2)], { type: 'application/json' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `${(record.name || record.id).replace(/\.[a-z0-9]+$/i, '')}.workflow.json`;
      document.body.append(a);
      a.click();
      a.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 10000);
      said.textContent = 'Workflow downloaded.';
    } catch (e) {
      said.textContent = e.status === 404 ? 'No workflow is stored for this image.' : `The workflow could not be fetched: ${messageOf(e)}`;
    }
  }, 'button small download-workflow'));
  actions.append(said);
  box.append(actions);
  return box;
}

async function copy(value) {
  try {
    await navigator.clipboard.writeText(value);
    return true;
  } catch {
    const area = text('textarea', value);
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}
