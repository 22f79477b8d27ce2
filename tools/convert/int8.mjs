// int8.mjs - post-training int8 quantisation of the graph IR (TFLite's int8 scheme).
//
//   real = scale * (q - zero_point)
//   weights      int8, symmetric (zero_point 0), per output channel for CONV_2D (axis 0) and
//                DEPTHWISE_CONV_2D (axis 3): scale_c = max|w_c| / 127, q in [-127, 127];
//                per tensor for FULLY_CONNECTED.
//   bias         int32, zero_point 0, scale = input_scale * weight_scale_c.
//   activations  int8, asymmetric, per tensor: [min, max] observed on the calibration images
//                (widened to contain 0), scale = (max - min) / 255,
//                zero_point = round(-128 - min / scale).
//   model input  int8 with the RGB/255 range [0, 1]: scale 1/255, zero_point -128 (exact for
//                8-bit images).
// TFLite constraints kept: PAD, AVERAGE_POOL_2D and RESHAPE outputs share their input's
// parameters; SOFTMAX's output is scale 1/256, zero_point -128.
//
//   const q = await quantizeGraph(km, graph, 'tests/data/golden', (msg) => process.stderr.write(msg));
//   writeTflite(q)   // int8 .tflite

import fs from 'node:fs';
import path from 'node:path';
import { loadTf } from './tfjs_util.mjs';
import { evalGraph } from './ir_eval.mjs';
import { decodePng } from './png.mjs';

const OP_VERSION_INT8 = { CONV_2D: 3, DEPTHWISE_CONV_2D: 3, ADD: 2, AVERAGE_POOL_2D: 2,
                          FULLY_CONNECTED: 4, SOFTMAX: 2, PAD: 2, RESHAPE: 1 };
const SAME_AS_INPUT = new Set(['PAD', 'AVERAGE_POOL_2D', 'RESHAPE']);

function bilinearResize(rgb, w, h, side) {
    // align-corners bilinear, as nsfwjs' tf.image.resizeBilinear(..., alignCorners=true)
    const out = new Float32Array(side * side * 3);
    const sy = side > 1 ? (h - 1) / (side - 1) : 0, sx = side > 1 ? (w - 1) / (side - 1) : 0;
    for (let y = 0; y < side; y++) {
        const fy = y * sy, y0 = Math.floor(fy), y1 = Math.min(y0 + 1, h - 1), ty = fy - y0;
        for (let x = 0; x < side; x++) {
            const fx = x * sx, x0 = Math.floor(fx), x1 = Math.min(x0 + 1, w - 1), tx = fx - x0;
            for (let c = 0; c < 3; c++) {
                const p = (yy, xx) => rgb[(yy * w + xx) * 3 + c] / 255;
                const top = p(y0, x0) + (p(y0, x1) - p(y0, x0)) * tx;
                const bot = p(y1, x0) + (p(y1, x1) - p(y1, x0)) * tx;
                out[(y * side + x) * 3 + c] = top + (bot - top) * ty;
            }
        }
    }
    return out;
}

export function loadCalibImages(dir, side, max = 32) {
    let files;
    try {
        files = fs.readdirSync(dir).filter((f) => f.toLowerCase().endsWith('.png')).sort();
    } catch (e) {
        throw new Error(`--calib ${dir}: ${e.message}`);
    }
    if (!files.length) throw new Error(`--calib ${dir}: no .png images`);
    return files.slice(0, max).map((f) => {
        const { width, height, rgb } = decodePng(fs.readFileSync(path.join(dir, f)));
        return bilinearResize(rgb, width, height, side);
    });
}

function actQuant(mn, mx) {
    mn = Math.min(mn, 0);
    mx = Math.max(mx, 0);
    if (mx - mn < 1e-8) mx = mn + 1e-8;
    const scale = (mx - mn) / 255;
    const zp = Math.max(-128, Math.min(127, Math.round(-128 - mn / scale)));
    return { scale: [scale], zero_point: [zp], axis: 0 };
}

function quantWeights(t, axis) {
    const d = t.data, shape = t.shape;
    const nch = axis === null ? 1 : shape[axis];
    const inner = axis === null ? d.length : shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const chOf = (i) => (axis === null ? 0 : Math.floor(i / inner) % nch);
    const amax = new Float64Array(nch);
    for (let i = 0; i < d.length; i++) amax[chOf(i)] = Math.max(amax[chOf(i)], Math.abs(d[i]));
    const scale = Array.from(amax, (m) => (m > 0 ? m / 127 : 1)); // all-zero channel: any scale
    const q = new Int8Array(d.length);
    for (let i = 0; i < d.length; i++)
        q[i] = Math.max(-127, Math.min(127, Math.round(d[i] / scale[chOf(i)])));
    return { data: q, quant: { scale, zero_point: new Array(nch).fill(0), axis: axis ?? 0 } };
}

export async function quantizeGraph(km, g, calibDir, log = () => {}, pct = 1e-4) {
    const tf = await loadTf();
    const inName = g.inputs[0];
    const side = g.tensors.get(inName).shape[1];
    const images = loadCalibImages(calibDir, side);
    const acts = [];
    for (const op of g.ops) acts.push(...op.outputs);
    // Range per activation: the [pct, 1 - pct] quantiles of a strided sample of its values over
    // the calibration images (pct = 0: min/max). Clipping rare outliers buys resolution for the
    // bulk of the values: MobileNetV2's linear bottlenecks have long tails.
    const samples = new Map(acts.map((n) => [n, []]));
    images.forEach((x, i) => {
        const vals = evalGraph(tf, g, x, acts);
        for (const [n, v] of vals) {
            const step = Math.max(1, Math.floor(v.length / 20000));
            const s = samples.get(n);
            for (let k = 0; k < v.length; k += step) s.push(v[k]);
        }
        log(`  calibration image ${i + 1}/${images.length}\n`);
    });
    const range = new Map();
    for (const [n, s] of samples) {
        const f = Float32Array.from(s).sort();
        const lo = Math.floor(pct * (f.length - 1)), hi = Math.ceil((1 - pct) * (f.length - 1));
        range.set(n, [f[lo], f[hi]]);
    }
    // New IR with quantised tensors; constants shared where unchanged.
    const q = { inputs: g.inputs.slice(), outputs: g.outputs.slice(), tensors: new Map(), ops: [] };
    for (const [n, t] of g.tensors) q.tensors.set(n, { ...t, aliases: t.aliases.slice() });
    const input = q.tensors.get(inName);
    input.dtype = 'int8';
    input.quant = { scale: [1 / 255], zero_point: [-128], axis: 0 };
    for (const op of g.ops) {
        const x = q.tensors.get(op.inputs[0]);
        const out = q.tensors.get(op.outputs[0]);
        out.dtype = 'int8';
        if (SAME_AS_INPUT.has(op.type)) out.quant = { ...x.quant };
        else if (op.type === 'SOFTMAX') out.quant = { scale: [1 / 256], zero_point: [-128], axis: 0 };
        else out.quant = actQuant(...range.get(op.outputs[0]));
        if (op.type === 'CONV_2D' || op.type === 'DEPTHWISE_CONV_2D' || op.type === 'FULLY_CONNECTED') {
            const w = q.tensors.get(op.inputs[1]), b = q.tensors.get(op.inputs[2]);
            const axis = op.type === 'CONV_2D' ? 0 : op.type === 'DEPTHWISE_CONV_2D' ? 3 : null;
            const qw = quantWeights(g.tensors.get(op.inputs[1]), axis);
            Object.assign(w, { dtype: 'int8', data: qw.data, quant: qw.quant });
            const bf = g.tensors.get(op.inputs[2]).data;
            const xs = x.quant.scale[0];
            const bscale = Array.from(bf, (_, c) => xs * qw.quant.scale[axis === null ? 0 : c]);
            const bq = Int32Array.from(bf, (v, c) => Math.max(-2147483647, Math.min(2147483647, Math.round(v / bscale[c]))));
            Object.assign(b, { dtype: 'int32', data: bq,
                               quant: { scale: bscale, zero_point: new Array(bf.length).fill(0), axis: 0 } });
        }
        q.ops.push({ ...op, version: OP_VERSION_INT8[op.type] || 1 });
    }
    return q;
}
