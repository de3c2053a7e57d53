// The Sift console's script: what a server-rendered page cannot do alone. Loaded from /console/assets (the
// Content-Security-Policy allows no inline script). Pages stay readable without it.
(() => {
  'use strict';
  const root = document.documentElement;
  root.classList.add('js');
  const saved = localStorage.getItem('sift-theme');
  if (saved === 'dark' || saved === 'light') root.dataset.theme = saved;

  const token = () => document.querySelector('meta[name="csrf-token"]')?.content ?? '';
  const element = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const describe = (problem, status) => {
    if (problem && problem.errors) return Object.entries(problem.errors).map(([field, messages]) => `${field} ${[].concat(messages).join(', ')}`).join('; ');
    return (problem && (problem.detail || problem.title)) || `the server answered ${status}`;
  };
  const notice = (text) => { const p = element('p', 'notice error', text); p.setAttribute('role', 'alert'); return p; };

  // htmx swaps only HTML this server rendered for it: a response of any other type (JSON from the API, say, reached by
  // a crafted path) is never put into the page, where its text could become live htmx attributes.
  document.addEventListener('htmx:beforeSwap', (event) => {
    const type = event.detail.xhr.getResponseHeader('Content-Type') ?? '';
    if (!type.startsWith('text/html')) event.detail.shouldSwap = false;
  });

  // Theme: the system's by default; the button switches and remembers.
  document.getElementById('theme')?.addEventListener('click', () => {
    const dark = root.dataset.theme ? root.dataset.theme === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
    root.dataset.theme = dark ? 'light' : 'dark';
    localStorage.setItem('sift-theme', root.dataset.theme);
    drawCharts();
  });

  // Server-Sent Events from a fetch response: calls onEvent(name, data) for each complete event.
  async function readEvents(response, onEvent) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let name = 'message';
        const data = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) name = line.slice(7);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
        }
        if (data.length) onEvent(name, JSON.parse(data.join('\n')));
      }
    }
  }

  // Ask: the answer streams in token by token, then the server's rendered answer (citations, flags, feedback) replaces it.
  const askForm = document.getElementById('ask');
  askForm?.addEventListener('submit', async (event) => {
    if (event.submitter?.value !== 'ask') return; // search: the plain GET
    event.preventDefault();
    const fields = new URLSearchParams(new FormData(askForm));
    history.replaceState(null, '', `/console/?${fields}&action=ask`);
    const result = document.getElementById('result');
    const card = element('article', 'answer card streaming');
    const status = element('p', 'meta', 'Retrieving…');
    const text = element('p', 'answer-text');
    card.append(status, text);
    result.replaceChildren(card);
    askForm.setAttribute('aria-busy', 'true');
    try {
      const response = await fetch('/console/ask', {
        method: 'POST',
        headers: { 'X-CSRF-Token': token(), Accept: 'text/event-stream', 'Content-Type': 'application/x-www-form-urlencoded' },
        body: fields,
        credentials: 'same-origin',
      });
      if (!response.ok) {
        result.replaceChildren(notice(`No answer: ${describe(await response.json().catch(() => null), response.status)}`));
        return;
      }
      await readEvents(response, (name, data) => {
        if (name === 'token') {
          status.textContent = 'Answering…';
          text.textContent += data.text;
        } else if (name === 'answer') {
          result.innerHTML = data.html; // rendered and encoded by the server
          window.htmx?.process(result);
        } else if (name === 'error') {
          result.replaceChildren(notice(`No answer: ${data.detail}`));
        }
      });
    } catch (error) {
      result.replaceChildren(notice(`No answer: ${error.message}`));
    } finally {
      askForm.removeAttribute('aria-busy');
    }
  });

  // Upload: each file is its own request to the API with its progress, then its ingestion job is followed.
  const upload = document.getElementById('upload');
  if (upload) {
    const collection = upload.dataset.collection;
    const list = document.getElementById('uploads');
    const input = upload.querySelector('input[type=file]');
    const refresh = () => window.htmx?.ajax('GET', `/console/collections/${encodeURIComponent(collection)}/documents`, '#documents');
    const follow = async (id, status, item) => {
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 400));
        const response = await fetch(`/v1/jobs/${encodeURIComponent(id)}`, { credentials: 'same-origin' });
        const job = await response.json().catch(() => null);
        if (!response.ok || !job) { status.textContent = `failed: ${describe(job, response.status)}`; return; }
        status.textContent = job.status === 'failed' ? `failed: ${job.failure ?? job.errors.join('; ')}`
          : `${job.status}: ${job.added} added, ${job.updated} updated, ${job.unchanged} unchanged, ${job.chunks} chunks${job.errors.length ? `; ${job.errors.join('; ')}` : ''}`;
        if (job.status === 'succeeded' || job.status === 'failed') {
          item.dataset.status = job.status;
          refresh();
          return;
        }
      }
    };
    const send = (file) => {
      const item = element('li');
      const progress = element('progress');
      progress.max = 1;
      progress.value = 0;
      progress.setAttribute('aria-label', `Upload of ${file.name}`);
      const status = element('span', 'status', 'uploading');
      item.append(element('span', 'name', file.name), progress, status);
      list.append(item);
      const request = new XMLHttpRequest();
      request.open('POST', `/v1/collections/${encodeURIComponent(collection)}/documents`);
      request.setRequestHeader('X-CSRF-Token', token());
      request.upload.onprogress = (e) => { if (e.lengthComputable) progress.value = e.loaded / e.total; };
      request.onload = () => {
        let body = null;
        try { body = JSON.parse(request.responseText); } catch { /* not JSON */ }
        if (request.status === 202 && body) {
          progress.value = 1;
          status.textContent = 'queued';
          follow(body.id, status, item);
        } else {
          item.dataset.status = 'failed';
          status.textContent = `failed: ${describe(body, request.status)}`;
        }
      };
      request.onerror = () => { item.dataset.status = 'failed'; status.textContent = 'failed: the connection broke'; };
      const form = new FormData();
      form.append('files', file, file.name);
      request.send(form);
    };
    upload.addEventListener('submit', (e) => e.preventDefault());
    upload.addEventListener('dragover', (e) => { e.preventDefault(); upload.classList.add('over'); });
    upload.addEventListener('dragleave', () => upload.classList.remove('over'));
    upload.addEventListener('drop', (e) => { e.preventDefault(); upload.classList.remove('over'); [...e.dataTransfer.files].forEach(send); });
    input.addEventListener('change', () => { [...input.files].forEach(send); input.value = ''; });
  }

  // Buttons that call the API (delete a document, promote, roll back), and forms that ask first.
  document.addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-delete], button[data-api]');
    if (!button || (button.dataset.confirm && !confirm(button.dataset.confirm))) return;
    const remove = button.dataset.delete;
    const response = await fetch(remove ?? button.dataset.api, {
      method: remove ? 'DELETE' : 'POST',
      headers: { 'X-CSRF-Token': token(), 'Content-Type': 'application/json' },
      body: remove ? undefined : (button.dataset.body ?? '{}'),
      credentials: 'same-origin',
    });
    if (!response.ok) {
      button.after(notice(describe(await response.json().catch(() => null), response.status)));
    } else if (remove) {
      button.closest('tr')?.remove();
    } else {
      location.reload();
    }
  });
  document.addEventListener('submit', (event) => {
    const message = event.target.dataset?.confirm;
    if (message && !confirm(message)) event.preventDefault();
  });

  // Charts: uPlot (loaded by the pages that chart) over the series the server put in data-chart.
  const charts = [];
  function drawCharts() {
    if (!window.uPlot) return;
    charts.splice(0).forEach((chart) => chart.destroy());
    const style = getComputedStyle(root);
    const ink = style.getPropertyValue('--ink').trim();
    const colours = [style.getPropertyValue('--accent').trim(), style.getPropertyValue('--warn').trim()];
    for (const host of document.querySelectorAll('[data-chart]')) {
      host.replaceChildren();
      const chart = JSON.parse(host.dataset.chart);
      const bars = chart.kind === 'bars';
      const axis = { stroke: ink, grid: { stroke: style.getPropertyValue('--line').trim() } };
      charts.push(new window.uPlot({
        width: Math.max(260, host.clientWidth),
        height: 180,
        scales: { x: { time: !bars } },
        axes: [axis, axis],
        legend: { show: chart.series.length > 1 },
        series: [{}, ...chart.series.map((label, i) => ({
          label,
          stroke: colours[i % colours.length],
          fill: bars ? colours[0] : undefined,
          paths: bars ? window.uPlot.paths.bars({ size: [0.9] }) : undefined,
          spanGaps: true,
        }))],
      }, chart.data, host));
    }
  }
  drawCharts();
  let resizing;
  addEventListener('resize', () => { clearTimeout(resizing); resizing = setTimeout(drawCharts, 150); });
})();
