#!/usr/bin/env node
// make_goldens.mjs - golden outputs of the nsfwjs MobileNetV2, computed by TensorFlow.js itself
// (@tensorflow/tfjs 4.22.0, pure-JS 'cpu' backend, the Keras model built by tf.loadLayersModel)
// on the test images in tests/data/golden/*.png, at several cut layers.
//
//   node tools/convert/make_goldens.mjs                      # writes tests/data/golden/goldens.bin
//   node tools/convert/make_goldens.mjs --check [--images N] # also checks the converter (below)
//
// Preprocessing is nsfwjs' own (dist/cjs/core.js: img.toFloat().div(255); the images are already
// 224x224 so no resize): x = RGB8 / 255, NHWC, batch 1.
//
// --check: compares, for every golden layer, the Keras model run by tfjs with (a) the converter's
// graph IR evaluated op by op with tfjs ops and (b) the .tflite bytes written by tflite_writer.mjs
// and parsed back by tflite_reader.mjs, evaluated the same way; exits 1 if the relative L2 error
// exceeds --tol (default 1e-4). No golden file is written with --check unless --out is given.
//
// goldens.bin format (little-endian; read by tests/test_golden.c):
//   char magic[8] = "ECLGLD01"; u32 n_images; u32 n_layers; u32 input_side;
//   n_images x { u32 len; char name[len] }                       (PNG file names, no NUL)
//   n_layers x { u32 len; char name[len]; u32 rank; u32 dims[rank];
//                u32 n_mean;     (0: the full tensor is stored; else = channels, channel means)
//                u32 n_sample; u32 start; u32 stride }     (flat indices start + k*stride)
//   zero bytes up to the next multiple of 4 (file offset)
//   for each image, for each layer:
//       n_mean == 0: f32 values[numel]
//       else:        f32 mean[n_mean] (mean over N,H,W per channel), f32 sample[n_sample]
//   char end[4] = "END!"

import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, loadNsfwjsModel, buildGraph } from './keras_graph.mjs';
import { loadTf, loadKerasModel } from './tfjs_util.mjs';
import { evalGraph } from './ir_eval.mjs';
import { writeTflite } from './tflite_writer.mjs';
import { readTflite } from './tflite_reader.mjs';
import { decodePng } from './png.mjs';

export const GOLDEN_LAYERS = [
    'block_1_expand_relu',  // 112x112x96: after the first strided PAD + depthwise
    'block_3_expand_relu',  // 56x56x144
    'block_6_project_BN',   // 14x14x64, no activation
    'block_10_project_BN',  // 14x14x96, the last layer with the original ImageNet weights
    'block_13_expand_relu', // 14x14x576, the default cut layer (FE_DEFAULT_CUT)
    'out_relu',             // 7x7x1280
    'average_pooling2d_1',  // 1x1x1x1280, the global pool
    'dense_1',              // 256, FC + ReLU
    'dense_3',              // 5-class softmax, the model output
];
const FULL_MAX = 8192; // store tensors up to this many values in full
const N_SAMPLE = 2048;

const USAGE = `usage: node tools/convert/make_goldens.mjs [--out FILE] [--images N] [--check] [--tol T]
  --out FILE   golden file (default tests/data/golden/goldens.bin; with --check: none)
  --images N   use only the first N images (sorted by name)
  --check      compare the converter's IR and .tflite round trip against tfjs' Keras model
  --tol T      relative L2 tolerance for --check (default 1e-4)
  --model FILE with --check: evaluate this .tflite (e.g. an int8 one, simulated with fake
               quantisation) instead of a fresh conversion; reports errors and softmax argmax
`;

function relErr(a, b) {
    let d = 0, n = 0, m = 0;
    for (let i = 0; i < a.length; i++) {
        d += (a[i] - b[i]) ** 2;
        n += a[i] ** 2;
        m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return { rel: Math.sqrt(d / Math.max(n, 1e-30)), maxAbs: m };
}

function summarize(shape, data) {
    const numel = data.length;
    if (numel <= FULL_MAX) return { nMean: 0, nSample: 0, start: 0, stride: 0, values: [data] };
    const c = shape[shape.length - 1];
    const mean = new Float64Array(c);
    for (let i = 0; i < numel; i++) mean[i % c] += data[i];
    const m32 = Float32Array.from(mean, (v) => v / (numel / c));
    const stride = Math.floor(numel / N_SAMPLE);
    const start = Math.floor(stride / 2);
    const s = new Float32Array(N_SAMPLE);
    for (let k = 0; k < N_SAMPLE; k++) s[k] = data[start + k * stride];
    return { nMean: c, nSample: N_SAMPLE, start, stride, values: [m32, s] };
}

async function main() {
    const argv = process.argv.slice(2);
    const a = { out: null, images: 0, check: false, tol: 1e-4, model: null };
    for (let i = 0; i < argv.length; i++) {
        const k = argv[i];
        const val = () => {
            if (i + 1 >= argv.length) throw new Error(`${k} needs a value`);
            return argv[++i];
        };
        if (k === '-h' || k === '--help') {
            process.stdout.write(USAGE);
            return 0;
        } else if (k === '--out') a.out = val();
        else if (k === '--images') {
            a.images = Number(val());
            if (!Number.isInteger(a.images) || a.images < 0) throw new Error('--images: expected a count');
        }
        else if (k === '--check') a.check = true;
        else if (k === '--tol') a.tol = Number(val());
        else if (k === '--model') a.model = val();
        else throw new Error(`unknown argument '${k}' (see --help)`);
    }
    if (!a.check && !a.out) a.out = path.join(REPO_ROOT, 'tests', 'data', 'golden', 'goldens.bin');
    const imgDir = path.join(REPO_ROOT, 'tests', 'data', 'golden');
    let files = fs.readdirSync(imgDir).filter((f) => f.endsWith('.png')).sort();
    if (a.images > 0) files = files.slice(0, a.images);
    if (!files.length) throw new Error(`no PNG images in ${imgDir}`);

    const tf = await loadTf();
    const km = loadNsfwjsModel();
    const model = await loadKerasModel(tf, km);
    const side = model.inputs[0].shape[1];
    const cut = tf.model({ inputs: model.inputs,
                           outputs: GOLDEN_LAYERS.map((n) => model.getLayer(n).output) });
    let g = null, gt = null, names = null;
    if (a.check) {
        g = buildGraph(km);
        names = GOLDEN_LAYERS.map((n) => g.kerasToTensor.get(n));
        const bytes = a.model ? fs.readFileSync(a.model) : writeTflite(g, { description: 'check' });
        gt = readTflite(bytes);
        if (a.model) g = null;
        process.stderr.write(`tflite round trip: ${bytes.length} bytes, ${gt.ops.length} ops\n`);
    }
    const results = []; // [image][layer] Float32Array
    let worst = 0;
    for (const [ii, f] of files.entries()) {
        const { width, height, rgb } = decodePng(fs.readFileSync(path.join(imgDir, f)));
        if (width !== side || height !== side)
            throw new Error(`${f}: ${width}x${height}, expected ${side}x${side}`);
        const x = Float32Array.from(rgb, (v) => v / 255);
        const outs = tf.tidy(() => cut.predict(tf.tensor(x, [1, side, side, 3])));
        const vals = outs.map((t) => t.dataSync().slice());
        outs.forEach((t) => t.dispose());
        results.push(vals);
        const probs = Array.from(vals.at(-1), (v) => v.toFixed(4)).join(' ');
        process.stderr.write(`[${ii + 1}/${files.length}] ${f}: softmax ${probs}\n`);
        if (a.check) {
            for (const [label, graph] of [['ir', g], ['tflite', gt]]) {
                if (!graph) continue;
                const got = evalGraph(tf, graph, x, names);
                const p = got.get(names.at(-1)), r = vals.at(-1);
                if (p && p.indexOf(Math.max(...p)) !== r.indexOf(Math.max(...r))) {
                    process.stderr.write(`  ${label}: softmax argmax differs from tfjs\n`);
                    worst = Infinity;
                }
                for (const [li, n] of GOLDEN_LAYERS.entries()) {
                    const e = relErr(vals[li], got.get(names[li]));
                    worst = Math.max(worst, e.rel);
                    process.stderr.write(`  ${label.padEnd(6)} ${n.padEnd(22)} rel_l2 ${e.rel.toExponential(2)} ` +
                                         `max_abs ${e.maxAbs.toExponential(2)}${e.rel > a.tol ? '  FAIL' : ''}\n`);
                }
            }
        }
    }
    if (a.out) {
        const parts = [];
        const u32 = (...v) => parts.push(Buffer.from(Uint32Array.from(v).buffer));
        const str = (s) => {
            u32(Buffer.byteLength(s));
            parts.push(Buffer.from(s, 'utf8'));
        };
        parts.push(Buffer.from('ECLGLD01', 'latin1'));
        u32(files.length, GOLDEN_LAYERS.length, side);
        files.forEach(str);
        const layout = GOLDEN_LAYERS.map((n, li) => {
            const shape = [1, ...model.getLayer(n).output.shape.slice(1)];
            return { shape, s: summarize(shape, results[0][li]) };
        });
        GOLDEN_LAYERS.forEach((n, li) => {
            const { shape, s } = layout[li];
            str(n);
            u32(shape.length, ...shape, s.nMean, s.nSample, s.start, s.stride);
        });
        const pad = (4 - (parts.reduce((n, b) => n + b.length, 0) % 4)) % 4;
        parts.push(Buffer.alloc(pad));
        for (const vals of results)
            for (const [li] of GOLDEN_LAYERS.entries())
                for (const v of summarize(layout[li].shape, vals[li]).values)
                    parts.push(Buffer.from(Float32Array.from(v).buffer));
        parts.push(Buffer.from('END!', 'latin1'));
        const buf = Buffer.concat(parts);
        fs.writeFileSync(a.out, buf);
        process.stderr.write(`wrote ${a.out} (${buf.length} bytes, ${files.length} images x ` +
                             `${GOLDEN_LAYERS.length} layers)\n`);
    }
    if (a.check) {
        process.stderr.write(`worst relative L2 error ${worst.toExponential(2)} (tolerance ${a.tol})\n`);
        if (!(worst <= a.tol)) return 1;
    }
    return 0;
}

main().then((rc) => process.exit(rc), (e) => {
    process.stderr.write(`make_goldens: ${process.env.ECL_DEBUG ? e.stack : e.message}\n`);
    process.exit(1);
});
