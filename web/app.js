// edgecl web demo: webcam frames -> JPEG -> the local edgecl server (docs/demo.md), which runs
// the frozen backbone and two learners (replay and naive) side by side.
'use strict';

const $ = (sel) => document.querySelector(sel);
const COLORS = ['#3fb950', '#58a6ff', '#f0883e', '#d2a8ff', '#ff7b72', '#e3b341', '#39c5cf',
  '#f778ba', '#a5d6ff', '#7ee787', '#ffa657', '#bc8cff', '#79c0ff', '#ffdf5d', '#56d364', '#ff9bce'];
const CAPTURE_FPS = 8;        // frames per second while a capture button is held
const PREDICT_INTERVAL = 200; // ms between live predictions (one request in flight at most)
const MAX_THUMBS = 14;        // thumbnails shown per class (the newest; "+N" for the rest)

const ui = {
  video: $('#video'), grab: $('#grab'), status: $('#status'), list: $('#class-list'),
  overlay: $('#overlay-label'), backbone: $('#backbone'), latency: $('#latency'),
};
let state = null;       // last GET /api/state
let view = 'both';      // which learner(s) to show
let capturing = null;   // {id, timer, inflight}
let busy = false;       // a training/restore/reset is running
let samples = [];       // last GET /api/samples: [{id, class, round}], round 0 = pending

function setStatus(msg, kind) {
  ui.status.textContent = msg;
  ui.status.className = 'status' + (kind ? ' ' + kind : '');
}

async function api(method, path, body, type) {
  const opts = { method, headers: {} };
  if (body !== undefined) {
    if (type) { opts.headers['Content-Type'] = type; opts.body = body; }
    else { opts.headers['Content-Type'] = 'application/json'; opts.body = JSON.stringify(body); }
  }
  const res = await fetch('/api/' + path, opts);
  let data = null;
  try { data = await res.json(); } catch (e) { /* non-JSON body */ }
  if (!res.ok) throw new Error((data && data.error) || `${res.status} ${res.statusText}`);
  return data;
}

// ------------------------------------------------------------------ camera

async function startCamera() {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
    ui.video.srcObject = stream;
    await ui.video.play();
    return true;
  } catch (e) {
    const el = $('#cam-error');
    el.textContent = 'No camera: ' + e.message + '. Allow camera access and reload.';
    el.classList.remove('hidden');
    return false;
  }
}

// Centre square crop of the current frame, 224x224, as a JPEG blob.
function grabFrame() {
  const v = ui.video;
  if (!v.videoWidth) return Promise.resolve(null);
  const s = Math.min(v.videoWidth, v.videoHeight);
  const ctx = ui.grab.getContext('2d');
  ctx.drawImage(v, (v.videoWidth - s) / 2, (v.videoHeight - s) / 2, s, s, 0, 0, 224, 224);
  return new Promise((resolve) => ui.grab.toBlob(resolve, 'image/jpeg', 0.9));
}

// ------------------------------------------------------------------ classes

function renderClasses() {
  const list = ui.list;
  const classes = state ? state.classes : [];
  // keep existing cards (a held button must survive re-renders)
  for (const li of [...list.children]) {
    if (!classes.find((c) => String(c.id) === li.dataset.id && c.name === li.dataset.name)) li.remove();
  }
  for (const c of classes) {
    let li = list.querySelector(`li[data-id="${c.id}"]`);
    if (!li) {
      li = document.createElement('li');
      li.className = 'class-card';
      li.dataset.id = c.id;
      li.dataset.name = c.name;
      li.innerHTML = '<span class="swatch"></span><span class="name"></span>' +
        '<span class="counts"></span><button class="capture">Hold to capture</button>' +
        '<button class="upload" title="Add image files to this class">Upload</button>' +
        '<button class="del-class" title="Delete this class and its samples">×</button>' +
        '<div class="thumbs"></div>';
      li.querySelector('.upload').addEventListener('click', () => pickFiles(Number(li.dataset.id)));
      li.querySelector('.del-class').addEventListener('click', () => deleteClass(Number(li.dataset.id)));
      li.addEventListener('dragover', (e) => { e.preventDefault(); li.classList.add('drop'); });
      li.addEventListener('dragleave', () => li.classList.remove('drop'));
      li.addEventListener('drop', (e) => {
        e.preventDefault();
        li.classList.remove('drop');
        uploadFiles(Number(li.dataset.id), e.dataTransfer.files);
      });
      li.querySelector('.swatch').style.background = COLORS[c.id % COLORS.length];
      const btn = li.querySelector('.capture');
      btn.addEventListener('pointerdown', (e) => { e.preventDefault(); startCapture(Number(li.dataset.id), btn); });
      for (const ev of ['pointerup', 'pointerleave', 'pointercancel']) {
        btn.addEventListener(ev, () => stopCapture());
      }
      btn.addEventListener('keydown', (e) => { if (e.key === ' ' && !e.repeat) startCapture(Number(li.dataset.id), btn); });
      btn.addEventListener('keyup', (e) => { if (e.key === ' ') stopCapture(); });
      const after = list.children[c.id];
      list.insertBefore(li, after || null);
    }
    li.querySelector('.name').textContent = c.name;
    li.querySelector('.swatch').style.background = COLORS[c.id % COLORS.length];
    renderThumbs(li, c.id);
    li.querySelector('.counts').textContent =
      `${c.trained} learned` + (c.pending ? ` · ${c.pending} new` : '');
    li.dataset.pending = c.pending;
    li.dataset.trained = c.trained;
  }
  $('#train').disabled = busy || !state || state.pending === 0;
}

// The newest MAX_THUMBS samples of a class; a click deletes one (pending ones have a yellow rim).
function renderThumbs(li, cls) {
  const box = li.querySelector('.thumbs');
  const mine = samples.filter((s) => s.class === cls);
  const shown = mine.slice(-MAX_THUMBS);
  const key = shown.map((s) => s.id + ':' + s.round).join(',') + '/' + mine.length;
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  box.innerHTML = '';
  if (mine.length > shown.length) {
    const more = document.createElement('span');
    more.className = 'more';
    more.textContent = `+${mine.length - shown.length}`;
    box.appendChild(more);
  }
  for (const s of shown) {
    const img = document.createElement('img');
    img.src = `/api/samples/${s.id}/thumb`;
    img.alt = `sample ${s.id}`;
    img.dataset.sample = s.id;
    img.title = s.round ? `learned in round ${s.round} — click to delete` : 'not trained yet — click to delete';
    if (!s.round) img.classList.add('pending');
    img.addEventListener('click', () => deleteSample(s.id, !!s.round));
    box.appendChild(img);
  }
}

async function deleteSample(id, trained) {
  if (busy) return;
  await withBusy('Deleting', async () => {
    const r = await api('DELETE', `samples/${id}`);
    setStatus(`Deleted sample ${id}` + (trained ? ', both learners retrained without it' : '') +
      (r.save_error ? ` — not saved: ${r.save_error}` : '.'), r.save_error ? 'err' : 'ok');
  });
}

async function deleteClass(id) {
  const c = state && state.classes.find((x) => x.id === id);
  if (!c || busy) return;
  if (!confirm(`Delete class “${c.name}” and its ${c.trained + c.pending} samples? Both learners are retrained from the samples that are left.`)) return;
  await withBusy('Deleting', async () => {
    await api('DELETE', `classes/${id}`);
    setStatus(`Deleted class “${c.name}”.`, 'ok');
  });
}

// ------------------------------------------------------------------ image files

let pickTarget = -1;
function pickFiles(id) {
  pickTarget = id;
  $('#file-pick').value = '';
  $('#file-pick').click();
}

// Any image the browser can decode (JPEG, PNG, GIF, WebP, BMP, ...): centre square, 224x224,
// sent as JPEG like a camera frame.
async function fileToJpeg(file) {
  const bmp = await createImageBitmap(file);
  const s = Math.min(bmp.width, bmp.height);
  const cv = $('#upload-canvas');
  cv.getContext('2d').drawImage(bmp, (bmp.width - s) / 2, (bmp.height - s) / 2, s, s, 0, 0, 224, 224);
  bmp.close();
  return new Promise((resolve) => cv.toBlob(resolve, 'image/jpeg', 0.92));
}

async function uploadFiles(id, files) {
  const c = state && state.classes.find((x) => x.id === id);
  if (!c || busy) return;
  const list = [...files];
  let ok = 0;
  const failed = [];
  for (const f of list) {
    try {
      const blob = await fileToJpeg(f);
      await api('POST', `classes/${id}/samples`, blob, 'image/jpeg');
      ok++;
      setStatus(`Uploading to “${c.name}”: ${ok}/${list.length}…`);
    } catch (e) {
      failed.push(`${f.name} (${e.message || 'not an image'})`);
    }
  }
  await refresh();
  if (failed.length) setStatus(`Added ${ok} image(s) to “${c.name}”; skipped ${failed.length}: ${failed.join(', ')}`, 'err');
  else setStatus(`Added ${ok} image(s) to “${c.name}”. Click Train to learn them.`, 'ok');
}

function startCapture(id, btn) {
  if (capturing || busy) return;
  capturing = { id, btn, inflight: 0, sent: 0, timer: null };
  btn.classList.add('held');
  btn.textContent = 'Capturing…';
  const tick = async () => {
    const cap = capturing;
    if (!cap || cap.inflight >= 2) return; // never queue more than the server keeps up with
    cap.inflight++;
    try {
      const blob = await grabFrame();
      if (blob) {
        const r = await api('POST', `classes/${id}/samples`, blob, 'image/jpeg');
        cap.sent++;
        const c = state.classes.find((x) => x.id === id);
        if (c) { c.pending = r.pending; state.pending = state.classes.reduce((s, x) => s + x.pending, 0); }
        renderClasses();
        setStatus(`Captured ${r.pending} new samples for “${c ? c.name : id}” (backbone ${r.ms.toFixed(0)} ms)`);
      }
    } catch (e) {
      setStatus('Capture failed: ' + e.message, 'err');
      stopCapture();
    } finally {
      cap.inflight--;
    }
  };
  tick();
  capturing.timer = setInterval(tick, 1000 / CAPTURE_FPS);
}

function stopCapture() {
  if (!capturing) return;
  clearInterval(capturing.timer);
  capturing.btn.classList.remove('held');
  capturing.btn.textContent = 'Hold to capture';
  capturing = null;
  setTimeout(refresh, 300); // let in-flight uploads land
}

async function addClass(ev) {
  ev.preventDefault();
  const input = $('#new-class-name');
  const name = input.value.trim();
  if (!name) return;
  try {
    const r = await api('POST', 'classes', { name });
    input.value = '';
    setStatus(`Added class “${r.name}”. Hold its capture button while showing it to the camera.`, 'ok');
    await refresh();
  } catch (e) {
    setStatus('Cannot add class: ' + e.message, 'err');
  }
}

// ------------------------------------------------------------------ actions

async function withBusy(label, fn) {
  if (busy) return;
  busy = true;
  for (const b of document.querySelectorAll('.toolbar button')) b.disabled = true;
  setStatus(label + '…');
  try {
    await fn();
  } catch (e) {
    setStatus(e.message, 'err');
  } finally {
    busy = false;
    for (const b of document.querySelectorAll('.toolbar button')) b.disabled = false;
    await refresh();
  }
}

const train = () => withBusy('Training', async () => {
  const r = await api('POST', 'train', { learner: 'both' });
  setStatus(`Trained on ${r.trained} samples in ${r.ms.toFixed(0)} ms (round ${r.rounds})` +
    (r.saved ? ', state saved.' : r.save_error ? ` — not saved: ${r.save_error}` : '.'),
    r.save_error ? 'err' : 'ok');
});
const save = () => withBusy('Saving', async () => {
  await api('POST', 'save');
  setStatus('State saved to ' + (state && state.state_file), 'ok');
});
const restore = () => withBusy('Restoring', async () => {
  await api('POST', 'restore');
  setStatus('Restored the saved state.', 'ok');
});
const reset = () => {
  if (!confirm('Forget all classes and training? The saved state file is emptied too; this cannot be undone.')) return;
  withBusy('Resetting', async () => {
    await api('POST', 'reset');
    setStatus('Everything forgotten (the saved state is empty too).', 'ok');
  });
};

// "Download model": the learner as one standard .tflite file (the backbone up to the cut, then
// the learned classifier and a softmax; class names in its metadata), as `edgecl export` writes.
async function downloadModel(learner, btn) {
  btn.disabled = true;
  setStatus(`Exporting the ${learner} learner…`);
  try {
    const res = await fetch('/api/export/' + encodeURIComponent(learner));
    if (!res.ok) {
      let data = null;
      try { data = await res.json(); } catch (e) { /* non-JSON body */ }
      throw new Error((data && data.error) || `${res.status} ${res.statusText}`);
    }
    const blob = await res.blob();
    const m = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') || '');
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = m ? m[1] : `edgecl-${learner}.tflite`;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 60000);
    setStatus(`Downloaded ${a.download} (${(blob.size / 1048576).toFixed(1)} MB): a standard ` +
      'TensorFlow Lite model, class names in its metadata.', 'ok');
  } catch (e) {
    setStatus('Download failed: ' + e.message, 'err');
  } finally {
    updateDownloads();
  }
}

// A learner's download button is on once it has been trained.
function updateDownloads() {
  for (const b of document.querySelectorAll('button.dl')) {
    const l = state && state.learners && state.learners[b.dataset.learner];
    b.disabled = !(l && l.trained);
  }
}

function setView(v) {
  view = v;
  for (const b of document.querySelectorAll('.seg button')) b.classList.toggle('on', b.dataset.view === v);
  for (const col of document.querySelectorAll('.pred-col')) {
    col.classList.toggle('hidden', col.dataset.absent === '1' || (v !== 'both' && col.dataset.learner !== v));
  }
  $('#pred-cols').classList.toggle('single', v !== 'both');
}

// ------------------------------------------------------------------ prediction

function renderPrediction(learner, p) {
  const top = $('#top-' + learner);
  const bars = $('#bars-' + learner);
  const classes = state ? state.classes : [];
  if (!p || !p.trained) {
    top.textContent = 'not trained';
    top.dataset.top = '-1';
    top.dataset.name = '';
    bars.innerHTML = '';
    return;
  }
  const best = classes[p.top];
  const unknown = !!p.unknown;
  top.textContent = unknown ? 'unknown' : best ? best.name : '–';
  top.title = unknown ? `no class reaches ${Math.round(100 * state.unknown_below)}% (best: ${best ? best.name : '–'})` : '';
  top.classList.toggle('unknown', unknown);
  top.dataset.top = String(p.top);
  top.dataset.name = unknown ? 'unknown' : best ? best.name : '';
  top.style.color = best && !unknown ? COLORS[best.id % COLORS.length] : '';
  while (bars.children.length > classes.length) bars.lastChild.remove();
  classes.forEach((c, i) => {
    let row = bars.children[i];
    if (!row) {
      row = document.createElement('div');
      row.className = 'bar';
      row.innerHTML = '<span class="label"></span><span class="track"><span class="fill"></span></span><span class="pct"></span>';
      bars.appendChild(row);
    }
    const v = p.scores[i] || 0;
    row.querySelector('.label').textContent = c.name;
    const fill = row.querySelector('.fill');
    fill.style.width = (100 * v).toFixed(1) + '%';
    fill.style.background = COLORS[c.id % COLORS.length];
    row.querySelector('.pct').textContent = (100 * v).toFixed(0) + '%';
  });
}

async function predictLoop() {
  for (;;) {
    const t0 = performance.now();
    if (state && state.trained && !busy && document.visibilityState === 'visible') {
      try {
        const blob = await grabFrame();
        if (blob) {
          const r = await api('POST', 'predict', blob, 'image/jpeg');
          const order = state.learner_order || ['replay', 'naive'];
          for (const k of order) renderPrediction(k, r[k]);
          renderOverlay(order.filter((k) => view === 'both' || k === view || !order.includes(view)), r);
          ui.latency.textContent = `backbone ${r.ms.toFixed(0)} ms per frame`;
        }
      } catch (e) {
        ui.latency.textContent = 'prediction failed: ' + e.message;
      }
    }
    const wait = PREDICT_INTERVAL - (performance.now() - t0);
    await new Promise((res) => setTimeout(res, Math.max(30, wait)));
  }
}

// Every shown learner's answer on the video: "replay: mug 97%", "naive: unknown (41%)".
function renderOverlay(keys, r) {
  ui.overlay.innerHTML = '';
  for (const k of keys) {
    const p = r[k];
    const line = document.createElement('span');
    line.className = 'ol';
    line.dataset.learner = k;
    const c = p && p.trained ? state.classes[p.top] : null;
    const pct = p && p.trained ? `${(100 * (p.p || 0)).toFixed(0)}%` : '';
    const what = !c ? 'not trained' : p.unknown ? `unknown (${pct})` : `${c.name} ${pct}`;
    line.innerHTML = '<b></b> <span></span>';
    line.firstChild.textContent = k + ':';
    line.lastChild.textContent = what;
    if (c && !p.unknown) line.lastChild.style.color = COLORS[c.id % COLORS.length];
    ui.overlay.appendChild(line);
  }
}

// A column for every served learner: replay and naive are in the page; a state from
// `edgecl learn` may bring another kind (slda, ncm).
function ensureColumns(order) {
  for (const k of order) {
    if (!/^[a-z]+$/.test(k) || document.querySelector(`.pred-col[data-learner="${k}"]`)) continue;
    const col = document.createElement('div');
    col.className = 'pred-col';
    col.dataset.learner = k;
    col.innerHTML = `<h3></h3><div class="top" id="top-${k}" data-top="-1">–</div><div class="bars" id="bars-${k}"></div>` +
      `<button class="dl" data-learner="${k}" disabled>Download model</button>`;
    col.querySelector('h3').textContent = k.toUpperCase();
    $('#pred-cols').appendChild(col);
  }
}

async function refresh() {
  try {
    state = await api('GET', 'state');
    samples = (await api('GET', 'samples')).samples;
    ensureColumns(state.learner_order || []);
    for (const col of document.querySelectorAll('.pred-col')) {
      col.dataset.absent = (state.learner_order || []).includes(col.dataset.learner) ? '' : '1';
      col.classList.toggle('hidden', col.dataset.absent === '1' || (view !== 'both' && col.dataset.learner !== view));
    }
    ui.backbone.textContent = `${state.backbone} · state: ${state.state_file || 'not saved'}`;
    renderClasses();
    updateDownloads();
    if (!state.trained) {
      for (const k of state.learner_order || []) renderPrediction(k, null);
      ui.overlay.textContent = state.classes.length ? 'capture samples, then Train' : 'add a class to begin';
    }
  } catch (e) {
    setStatus('Server not reachable: ' + e.message, 'err');
  }
}

async function main() {
  $('#add-form').addEventListener('submit', addClass);
  $('#train').addEventListener('click', train);
  $('#save').addEventListener('click', save);
  $('#restore').addEventListener('click', restore);
  $('#reset').addEventListener('click', reset);
  for (const b of document.querySelectorAll('.seg button')) b.addEventListener('click', () => setView(b.dataset.view));
  $('#pred-cols').addEventListener('click', (e) => {
    const b = e.target.closest && e.target.closest('button.dl');
    if (b && !b.disabled) downloadModel(b.dataset.learner, b);
  });
  window.addEventListener('blur', stopCapture);
  $('#file-pick').addEventListener('change', (e) => uploadFiles(pickTarget, e.target.files));
  // a drop outside the class cards must not navigate away from the page
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    if (!e.target.closest || !e.target.closest('.class-card')) setStatus('Drop images on a class card to add them to that class.', 'err');
  });
  await refresh();
  const cam = await startCamera();
  if (cam) setStatus(state && state.trained ? 'Ready: live prediction is on.' : 'Ready: add a class to begin.');
  document.body.dataset.ready = cam ? '1' : '0';
  predictLoop();
}

main();
