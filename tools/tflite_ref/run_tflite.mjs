// run_tflite.mjs - runs .tflite models in TensorFlow Lite itself and writes their outputs as
// goldens for edgecl's interpreter. Dev-only; see README.md in this folder.
//
// TFLite is npm @tensorflow/tfjs-tflite (TFLite + XNNPACK compiled to WebAssembly, made for a
// browser page), run in headless Chromium driven by playwright-core. Every file the page
// needs (page.html, the scripts, the wasm, models, inputs) is answered by page.route from this
// checkout: no server, no network.
//
//   node tools/tflite_ref/run_tflite.mjs --cases tests/data/tflite_ref/cases.txt \
//        --models ../shared/models --out tests/data/tflite_ref/golden [--only REGEX]
//
// --cases: lines "case ID MODEL_FILE" then "in TENSOR_NAME DTYPE SHAPE ... PATH" (PATH, the last
// field, relative to the cases file: the raw little-endian tensor in the model's input dtype),
// and optionally "derive NAME argmax TWIN" (an int64 ARG_MAX output computed from a twin model).
// Inputs and outputs are matched by tensor name, never by position.
// Writes OUT/golden.txt and OUT/<ID>.<k>.bin; the format is in README.md.
// Exit 77 when chromium or the npm packages are missing.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { withoutXnnpack } from './no_xnnpack.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SRC = path.resolve(HERE, '../..');
const NPM = path.join(SRC, 'third_party/npm');
const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const log = (...m) => console.error('[tflite_ref]', ...m);
const skip = (why) => { log('SKIP:', why); process.exit(77); };
if (!args.cases || !args.out) {
  console.error('usage: node run_tflite.mjs --cases CASES.txt --models DIR --out DIR [--only REGEX]');
  process.exit(2);
}
// --kernels builtin (default): every model whose first input is a 4D uint8/int8 tensor gets
// no_xnnpack.mjs's extra node, so TFLite runs it with its builtin kernels; --kernels xnnpack:
// the models as they are (XNNPACK takes what it supports). Each case's golden says which ran.
const KERNELS = args.kernels || 'builtin';
if (!['builtin', 'xnnpack'].includes(KERNELS)) { console.error('--kernels: builtin or xnnpack'); process.exit(2); }
function modelBytes(f) {
  const b = fs.readFileSync(f);
  return (KERNELS === 'builtin' && f.endsWith('.tflite') && withoutXnnpack(b)) || b;
}
const MODELS = path.resolve(args.models || path.join(SRC, '../shared/models'));
const CASES = path.resolve(args.cases);
const OUT = path.resolve(args.out);
const FULL_MAX = 65536;   // whole tensors up to this many bytes
const SAMPLE_MIN = 8192;  // else at least this many strided samples (floats) or RLE (integers)

if (!fs.existsSync(CHROMIUM)) skip(`no chromium at ${CHROMIUM}`);
const TFLITE = path.join(NPM, '_tensorflow_tfjs-tflite');
const TFJS = path.join(NPM, '_tensorflow_tfjs');
for (const d of [TFLITE, TFJS, path.join(NPM, 'playwright-core')]) {
  if (!fs.existsSync(d)) skip(`${d} missing: run scripts/fetch-npm.sh`);
}
const tfliteVersion = JSON.parse(fs.readFileSync(path.join(TFLITE, 'package.json'))).version;
const tfjsVersion = JSON.parse(fs.readFileSync(path.join(TFJS, 'package.json'))).version;

// ------------------------------------------------------------------ cases
function readCases(file) {
  const cases = [];
  for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
    const f = raw.trim().split(/\s+/);
    if (!f[0] || f[0].startsWith('#')) continue;
    if (f[0] === 'case') cases.push({ id: f[1], model: f[2], inputs: [] });
    else if (f[0] === 'in') cases.at(-1).inputs.push({ name: f[1], dtype: f[2], file: f.at(-1) });
    else if (f[0] === 'derive' && f[2] === 'argmax') (cases.at(-1).derive ||= []).push({ name: f[1], twin: f[3] });
    else throw new Error(`${file}: bad line: ${raw}`);
  }
  return cases;
}
let cases = readCases(CASES);
if (args.only) cases = cases.filter((c) => new RegExp(args.only).test(c.id));

// ------------------------------------------------------------------ browser
const nodeVersion = Object.getOwnPropertyDescriptor(process.versions, 'node');
if (+process.versions.node.split('.')[0] < 20 && nodeVersion.configurable) {
  Object.defineProperty(process.versions, 'node', { ...nodeVersion, value: '20.0.0' });
}
let chromium;
try {
  ({ chromium } = await import(pathToFileURL(path.join(NPM, 'playwright-core/index.mjs')).href));
} finally {
  Object.defineProperty(process.versions, 'node', nodeVersion);
}

const ORIGIN = 'http://tflite-ref.invalid';
const PAGE = `<!doctype html><meta charset="utf-8"><title>tflite_ref</title>
<script src="/tf.min.js"></script><script src="/tf-tflite.min.js"></script>`;
const files = {
  '/index.html': [PAGE, 'text/html'],
  '/tf.min.js': [path.join(TFJS, 'dist/tf.min.js'), 'text/javascript; charset=utf-8'],
  '/tf-tflite.min.js': [path.join(TFLITE, 'dist/tf-tflite.min.js'), 'text/javascript; charset=utf-8'],
};
const wasmSeen = new Set();
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
  args: ['--no-sandbox'] });
const page = await browser.newPage();
const consoleLines = [];
page.on('console', (m) => { consoleLines.push(m.text()); if (process.env.TFLREF_VERBOSE) log('page:', m.text()); });
await page.route(`${ORIGIN}/**`, async (route) => {
  const url = new URL(route.request().url());
  const p = decodeURIComponent(url.pathname);
  let body = null;
  let type = 'application/octet-stream';
  if (files[p]) {
    [body, type] = files[p];
    if (p !== '/index.html') body = fs.readFileSync(body);
  } else if (p.startsWith('/wasm/')) {
    const f = path.join(TFLITE, 'wasm', path.basename(p));
    if (fs.existsSync(f)) {
      body = fs.readFileSync(f);
      wasmSeen.add(path.basename(p));
      type = p.endsWith('.wasm') ? 'application/wasm' : 'text/javascript';
    }
  } else if (p.startsWith('/models/')) {
    const f = path.join(MODELS, path.basename(p));
    if (fs.existsSync(f)) body = modelBytes(f);
  } else if (p.startsWith('/data/')) {
    const f = path.join(path.dirname(CASES), p.slice('/data/'.length));
    if (fs.existsSync(f)) body = modelBytes(f);
  }
  if (body === null) return route.fulfill({ status: 404, body: 'not found' });
  return route.fulfill({ status: 200, contentType: type, body });
});
await page.goto(`${ORIGIN}/index.html`);
await page.evaluate((o) => { tflite.setWasmPath(`${o}/wasm/`); }, ORIGIN);

// Runs one case in the page: returns [{name, dataType, shape, b64}] or {error}.
async function runCase(c) {
  return page.evaluate(async ({ c, origin }) => {
    try {
      window.models = window.models || {};
      if (!window.models[c.model]) {
        const url = c.model.startsWith('gen/') ? `${origin}/data/${c.model}` : `${origin}/models/${c.model}`;
        window.models[c.model] = await tflite.loadTFLiteModel(url, { numThreads: 1, enableProfiling: true });
      }
      const runner = window.models[c.model].modelRunner;
      const byName = {};
      for (const t of runner.getInputs()) byName[t.name] = t;
      if (runner.getInputs().length !== c.inputs.length) {
        return { error: `model has ${runner.getInputs().length} inputs, case gives ${c.inputs.length}` };
      }
      for (const inp of c.inputs) {
        const t = byName[inp.name];
        if (!t) return { error: `no input named ${inp.name}` };
        if (t.dataType !== inp.dtype) return { error: `input ${inp.name} is ${t.dataType}, case says ${inp.dtype}` };
        const buf = await (await fetch(`${origin}/data/${inp.file}`)).arrayBuffer();
        const dst = t.data();
        if (buf.byteLength !== dst.byteLength) return { error: `input ${inp.name}: ${buf.byteLength} bytes, tensor has ${dst.byteLength}` };
        new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength).set(new Uint8Array(buf));
      }
      if (!runner.infer()) return { error: 'TFLite infer() failed' };
      const outs = [];
      for (const t of runner.getOutputs()) {
        const d = t.data();
        const u8 = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
        let s = '';
        for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000));
        outs.push({ name: t.name, dataType: t.dataType, shape: t.shape, b64: btoa(s) });
      }
      // which kernels ran: any node left to the XNNPACK delegate shows in the profile
      const xnn = runner.getProfilingResults().some((p) => p.nodeType === 'TfLiteXNNPackDelegate');
      return { outs, kernels: xnn ? 'xnnpack' : 'builtin' };
    } catch (e) {
      return { error: String(e && e.stack || e) };
    }
  }, { c, origin: ORIGIN }).then((r) => (r.error ? r : Object.assign(r.outs, { kernels: r.kernels })));
}

// ------------------------------------------------------------------ goldens
const SIZE = { float32: 4, int32: 4, int64: 8, uint8: 1, int8: 1, int16: 2, bool: 1 };
function typed(dtype, buf) {
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  return { float32: () => new Float32Array(ab), int32: () => new Int32Array(ab),
    int64: () => new BigInt64Array(ab), uint8: () => new Uint8Array(ab),
    int8: () => new Int8Array(ab), int16: () => new Int16Array(ab) }[dtype]();
}

// One output: its golden.txt line and the file bytes.
function compact(o, file) {
  const buf = Buffer.from(o.b64, 'base64');
  const shape = o.shape.split(',').filter((s) => s !== '').join('x') || 'scalar';
  const head = `out ${o.name} ${o.dataType} ${shape}`;
  // tfjs-tflite cannot read some types (int64: dataType 'unknown', data() empty): say so
  const n = shape === 'scalar' ? 1 : shape.split('x').reduce((a, b) => a * Number(b), 1);
  if (!SIZE[o.dataType] || buf.length !== n * SIZE[o.dataType]) {
    log(`${file}: output ${o.name} (${o.dataType}) cannot be read from the runtime`);
    return [`out ${o.name} unreadable ${shape} unavailable -`, null];
  }
  if (buf.length <= FULL_MAX) return [`${head} full ${file}`, buf];
  const v = typed(o.dataType, buf);
  if (o.dataType === 'float32') {
    const stride = Math.max(1, Math.floor(v.length / SAMPLE_MIN));
    const n = Math.ceil(v.length / stride);
    const s = new Float32Array(n);
    let sum = 0, sq = 0, maxabs = 0;
    for (let i = 0; i < v.length; i++) { sum += v[i]; sq += v[i] * v[i]; maxabs = Math.max(maxabs, Math.abs(v[i])); }
    for (let i = 0; i < n; i++) s[i] = v[i * stride];
    return [`${head} sample ${stride} ${file} sum ${sum.toPrecision(17)} l2 ${Math.sqrt(sq).toPrecision(17)} maxabs ${maxabs.toPrecision(9)}`,
      Buffer.from(s.buffer)];
  }
  // integers: run-length encoding, pairs of (int32 value, uint32 run length)
  const runs = [];
  for (let i = 0; i < v.length;) {
    let j = i + 1;
    while (j < v.length && v[j] === v[i]) j++;
    runs.push(Number(v[i]), j - i);
    i = j;
  }
  const r = new Int32Array(runs);
  return [`${head} rle ${file}`, Buffer.from(r.buffer)];
}

fs.mkdirSync(OUT, { recursive: true });
const lines = [];
let failed = 0;
for (const c of cases) {
  const t0 = Date.now();
  const res = await runCase(c);
  if (res.error) {
    log(`${c.id}: FAILED: ${res.error}`);
    failed++;
    continue;
  }
  // "derive NAME argmax TWIN": the runtime cannot hand NAME over (int64); run the twin model
  // (whose output is NAME's ARG_MAX input, see make_inputs.c) and take the argmax over its last
  // axis as TFLite's ARG_MAX does (the first index of the maximum).
  const twinKernels = [];
  for (const dv of c.derive || []) {
    const tw = await runCase({ ...c, model: dv.twin, derive: [] });
    if (!tw.error) twinKernels.push(tw.kernels);
    if (tw.error) { log(`${c.id}: twin ${dv.twin}: ${tw.error}`); failed++; continue; }
    const t = tw[0];
    const v = typed(t.dataType, Buffer.from(t.b64, 'base64'));
    const dims = t.shape.split(',').map(Number);
    const depth = dims.at(-1);
    const am = new BigInt64Array(v.length / depth);
    for (let i = 0; i < am.length; i++) {
      let best = 0;
      for (let k = 1; k < depth; k++) if (v[i * depth + k] > v[i * depth + best]) best = k;
      am[i] = BigInt(best);
    }
    const k = res.findIndex((o) => o.name === dv.name);
    const o = { name: dv.name, dataType: 'int64', shape: dims.slice(0, -1).join(','),
      b64: Buffer.from(am.buffer).toString('base64'), derived: `argmax of ${t.name} (${t.dataType} ${t.shape}) from ${dv.twin}` };
    if (k >= 0) res[k] = o; else res.push(o);
  }
  lines.push(`case ${c.id} ${c.model}`);
  lines.push(`kernels ${res.kernels}${c.derive ? ` (twin: ${twinKernels.join(' ')})` : ''}`);
  res.forEach((o, k) => {
    const file = `${c.id}.${k}.bin`;
    const [line0, bytes] = compact(o, file);
    const line = o.derived ? `${line0} derived ${o.derived.replace(/\s+/g, '_')}` : line0;
    if (bytes) fs.writeFileSync(path.join(OUT, file), bytes);
    lines.push(line);
  });
  log(`${c.id}: ${res.length} output(s) in ${Date.now() - t0} ms (${res.kernels} kernels)`);
}
await browser.close();
const xnn = consoleLines.find((l) => /XNNPACK/.test(l)) || 'no XNNPACK message';
const header = [
  '# Goldens written by TFLite itself: tools/tflite_ref/run_tflite.mjs (format: its README.md)',
  `runtime @tensorflow/tfjs-tflite ${tfliteVersion} (${[...wasmSeen].filter((f) => f.endsWith('.wasm')).join(' ')}; ` +
    `"${xnn}") with @tensorflow/tfjs ${tfjsVersion}, ${await chromiumVersion()}`,
  `command node tools/tflite_ref/run_tflite.mjs --cases ${path.relative(SRC, CASES)} --models ${path.relative(SRC, MODELS)} --out ${path.relative(SRC, OUT)}${args.only ? ` --only '${args.only}'` : ''}${args.kernels ? ` --kernels ${args.kernels}` : ''}`,
];
async function chromiumVersion() { return `chromium ${browser.version()}`; }
fs.writeFileSync(path.join(OUT, 'golden.txt'), [...header, ...lines, ''].join('\n'));
log(`wrote ${path.join(OUT, 'golden.txt')}: ${cases.length - failed} case(s), ${failed} failed`);
process.exit(failed ? 1 : 0);
