#!/usr/bin/env node
// int8_eval.mjs - compare int8 quantisation settings by simulation (fake quantisation in tfjs,
// ir_eval.mjs) against the float graph, on the golden test images (tests/data/golden), with
// ranges calibrated on --calib (default tests/data/calib, disjoint from the test images).
// Prints, per setting, the relative L2 error ||y_q - y|| / ||y|| (worst over the images) at the
// golden cut layers and the softmax top-1 agreement. The edgecl interpreter's own numbers come
// from tests/test_golden.c (ECL_GOLDEN_INT8_IMAGES=5 EDGECL_INT8_MODEL=...).
//
//   node tools/convert/int8_eval.mjs [--calib DIR] [--images N] [--configs mse+bc,pct1e-4,...]
//
// Settings: minmax | pct<P> | mse, each optionally +bc (bias correction); "wonly" quantises the
// weights only (float activations), "aonly" the activations only.

import fs from 'node:fs';
import path from 'node:path';
import { loadNsfwjsModel, buildGraph, REPO_ROOT } from './keras_graph.mjs';
import { loadTf } from './tfjs_util.mjs';
import { evalGraph } from './ir_eval.mjs';
import { decodePng } from './png.mjs';
import { loadCalibImages, collectStats, quantizeWithStats } from './int8.mjs';

// the cut layers stored in tests/data/golden/goldens.bin (make_goldens.mjs)
const GOLDEN_LAYERS = ['block_1_expand_relu', 'block_3_expand_relu', 'block_6_project_BN',
                       'block_10_project_BN', 'block_13_expand_relu', 'out_relu',
                       'average_pooling2d_1', 'dense_1', 'dense_3'];

function parseConfig(c) {
    const bc = c.endsWith('+bc');
    const m = bc ? c.slice(0, -3) : c;
    if (m === 'wonly' || m === 'aonly') return { label: c, method: 'mse', biasCorrection: bc, only: m };
    if (m.startsWith('pct')) return { label: c, method: 'pct', pct: Number(m.slice(3)), biasCorrection: bc };
    if (m === 'mse' || m === 'minmax') return { label: c, method: m, biasCorrection: bc };
    throw new Error(`unknown setting ${c}`);
}

function relL2(a, b) {
    let num = 0, den = 0;
    for (let i = 0; i < a.length; i++) num += (a[i] - b[i]) ** 2, den += b[i] * b[i];
    return Math.sqrt(num / Math.max(den, 1e-30));
}

async function main() {
    const argv = process.argv.slice(2);
    const a = { calib: path.join(REPO_ROOT, 'tests', 'data', 'calib'), images: 5,
                configs: 'minmax,pct1e-4,mse,mse+bc' };
    for (let i = 0; i < argv.length; i++) {
        const k = argv[i], val = () => argv[++i];
        if (k === '--calib') a.calib = val();
        else if (k === '--images') a.images = Number(val());
        else if (k === '--configs') a.configs = val();
        else if (k === '-h' || k === '--help') {
            process.stdout.write(fs.readFileSync(new URL(import.meta.url)).toString().split('\n')
                .slice(1, 13).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
            return 0;
        } else throw new Error(`unknown argument '${k}'`);
    }
    const tf = await loadTf();
    const g = buildGraph(loadNsfwjsModel());
    const names = GOLDEN_LAYERS.map((n) => g.kerasToTensor.get(n));
    const side = g.tensors.get(g.inputs[0]).shape[1];
    process.stderr.write(`calibrating on ${a.calib}...\n`);
    const stats = await collectStats(g, loadCalibImages(a.calib, side), (m) => process.stderr.write(m));
    const imgDir = path.join(REPO_ROOT, 'tests', 'data', 'golden');
    const files = fs.readdirSync(imgDir).filter((f) => f.endsWith('.png')).sort().slice(0, a.images);
    const xs = files.map((f) => Float32Array.from(decodePng(fs.readFileSync(path.join(imgDir, f))).rgb,
                                                  (v) => v / 255));
    const ref = xs.map((x) => evalGraph(tf, g, x, names));
    for (const c of a.configs.split(',').map(parseConfig)) {
        const q = quantizeWithStats(g, stats, c);
        if (c.only === 'wonly')
            for (const op of q.ops) for (const n of op.outputs) q.tensors.get(n).dtype = 'float32';
        if (c.only === 'aonly')
            for (const op of g.ops)
                for (const i of op.inputs.slice(1)) q.tensors.set(i, g.tensors.get(i));
        if (c.only === 'wonly') q.tensors.get(q.inputs[0]).dtype = 'float32';
        const worst = new Array(names.length).fill(0);
        let top1 = 0;
        xs.forEach((x, ii) => {
            const got = evalGraph(tf, q, x, names);
            names.forEach((n, li) => (worst[li] = Math.max(worst[li], relL2(got.get(n), ref[ii].get(n)))));
            const p = got.get(names.at(-1)), r = ref[ii].get(names.at(-1));
            top1 += p.indexOf(Math.max(...p)) === r.indexOf(Math.max(...r));
        });
        process.stdout.write(`${c.label.padEnd(12)} ` +
                             GOLDEN_LAYERS.map((n, li) => `${n.replace(/_(expand_relu|project_BN)$/, '')} ${worst[li].toFixed(3)}`).join('  ') +
                             `  top1 ${top1}/${xs.length}\n`);
    }
    return 0;
}

main().then((rc) => process.exit(rc), (e) => {
    process.stderr.write(`int8_eval: ${e.stack}\n`);
    process.exit(1);
});
