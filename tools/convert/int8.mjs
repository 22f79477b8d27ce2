// int8.mjs - post-training int8 quantisation of the graph IR (TFLite's int8 scheme).
//
//   real = scale * (q - zero_point)
//   weights      int8, symmetric (zero_point 0), per output channel for CONV_2D (axis 0) and
//                DEPTHWISE_CONV_2D (axis 3), per tensor for FULLY_CONNECTED; q in [-127, 127].
//                scale_c = the step of the channel's own 8-bit grid when that is exact (nsfwjs'
//                weights are 8-bit; see exactScale), else max|w_c| / 127.
//   bias         int32, zero_point 0, scale = input_scale * weight_scale_c; bias correction
//                (default): b_c -= sum (W_q - W)_c . E[x], E[x] = per-channel input means over
//                the calibration images.
//   activations  int8, asymmetric, per tensor: range from the calibration images (method
//                'minmax' (default), 'pct' quantiles or 'mse' clipping; widened to contain 0),
//                scale = (max - min) / 255, zero_point = round(-128 - min / scale).
//   model input  int8 with the RGB/255 range [0, 1]: scale 1/255, zero_point -128 (exact for
//                8-bit images).
// TFLite constraints kept: PAD, AVERAGE_POOL_2D and RESHAPE outputs share their input's
// parameters; SOFTMAX's output is scale 1/256, zero_point -128.
//
//   const q = await quantizeGraph(km, graph, 'tests/data/calib', (msg) => process.stderr.write(msg),
//                                 { method: 'minmax', biasCorrection: true });
//   writeTflite(q)   // int8 .tflite
//
// Calibrate on images that are not your test images (tests/data/calib/README.md).

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

// nsfwjs' weights are themselves 8-bit: w = scale_t * (q - zp) per Keras tensor, with an integer
// zero point, and BatchNorm folding multiplies each output channel by one factor. So a channel's
// values lie on a grid {n * step_c}; when |n| <= 127 the channel is exactly representable in int8
// with a scale of step_c (or step_c / m). Plain max/127 scaling instead re-rounds every weight, and
// because many weights share a grid value their rounding errors are correlated and do not average
// out (measured: most of the int8 model's error). exactScale finds such a scale: the largest
// k <= 127 with every w / (amax / k) an integer (within float32 rounding), else null.
function exactScale(d, idx, amax) {
    for (let k = 127; k >= 32; k--) {
        const step = amax / k;
        let ok = true;
        for (const i of idx) {
            const r = d[i] / step;
            if (Math.abs(r - Math.round(r)) > 2e-3) {
                ok = false;
                break;
            }
        }
        if (ok) return step;
    }
    return null;
}

// Symmetric int8 weights, per channel along `axis` (null: per tensor). Returns the quantised data,
// the scales and the number of exactly represented channels.
function quantWeights(t, axis) {
    const d = t.data, shape = t.shape;
    const nch = axis === null ? 1 : shape[axis];
    const inner = axis === null ? d.length : shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const chOf = (i) => (axis === null ? 0 : Math.floor(i / inner) % nch);
    const amax = new Float64Array(nch);
    const idx = Array.from({ length: nch }, () => []);
    for (let i = 0; i < d.length; i++) {
        const c = chOf(i);
        amax[c] = Math.max(amax[c], Math.abs(d[i]));
        idx[c].push(i);
    }
    let exact = 0;
    const scale = Array.from(amax, (m, c) => {
        if (!(m > 0)) return 1; // all-zero channel: any scale
        const s = exactScale(d, idx[c], m);
        if (s !== null) exact++;
        return s ?? m / 127;
    });
    const q = new Int8Array(d.length);
    for (let i = 0; i < d.length; i++)
        q[i] = Math.max(-127, Math.min(127, Math.round(d[i] / scale[chOf(i)])));
    return { data: q, quant: { scale, zero_point: new Array(nch).fill(0), axis: axis ?? 0 }, exact, nch };
}

// Calibration statistics: for every activation tensor, a strided sample of its values over the
// calibration images (sorted), and for every op input its per-channel mean (for bias correction).
export async function collectStats(g, images, log = () => {}) {
    const tf = await loadTf();
    const acts = [g.inputs[0]];
    for (const op of g.ops) acts.push(...op.outputs);
    const samples = new Map(acts.map((n) => [n, []]));
    const chMean = new Map(acts.map((n) => [n, null]));
    images.forEach((x, i) => {
        const vals = evalGraph(tf, g, x, acts);
        vals.set(g.inputs[0], x);
        for (const [n, v] of vals) {
            const step = Math.max(1, Math.floor(v.length / 10000));
            const s = samples.get(n);
            for (let k = 0; k < v.length; k += step) s.push(v[k]);
            const t = g.tensors.get(n), c = t.shape[t.shape.length - 1];
            let m = chMean.get(n);
            if (!m) chMean.set(n, (m = new Float64Array(c)));
            const per = v.length / c;
            for (let k = 0; k < v.length; k++) m[k % c] += v[k] / per / images.length;
        }
        log(`  calibration image ${i + 1}/${images.length}\n`);
    });
    const sorted = new Map();
    for (const [n, s] of samples) sorted.set(n, Float32Array.from(s).sort());
    return { samples: sorted, chMean };
}

// Quantisation error (sum of squares) of the sorted sample f with the int8 grid spanning [lo, hi]
// (clipping included).
function gridSse(f, lo, hi) {
    const q = actQuant(lo, hi), s = q.scale[0], z = q.zero_point[0];
    const qmin = (-128 - z) * s, qmax = (127 - z) * s;
    let e = 0;
    for (let k = 0; k < f.length; k++) {
        const v = f[k];
        const r = v <= qmin ? qmin : v >= qmax ? qmax : Math.round(v / s) * s;
        e += (r - v) * (r - v);
    }
    return e;
}

// Range of one activation from its sorted sample.
//   'minmax'  [min, max]
//   'pct'     the [p, 1-p] quantiles
//   'mse'     the clipping range minimising the squared quantisation error on the sample
//             (coordinate search over the upper then the lower end, then the upper again)
export function chooseRange(f, method = 'minmax', p = 1e-4) {
    const n = f.length;
    const mn = Math.min(f[0], 0), mx = Math.max(f[n - 1], 0);
    if (method === 'minmax') return [mn, mx];
    if (method === 'pct') {
        const lo = Math.floor(p * (n - 1)), hi = Math.ceil((1 - p) * (n - 1));
        return [f[lo], f[hi]];
    }
    // subsample for speed (the sample is sorted, so a stride keeps its distribution)
    const stride = Math.max(1, Math.floor(n / 40000));
    const sub = stride > 1 ? f.filter((_, k) => k % stride === 0) : f;
    let lo = mn, hi = mx;
    const search = (which) => {
        let best = gridSse(sub, lo, hi), bestV = which ? hi : lo;
        for (let k = 1; k <= 40; k++) {
            const frac = 1 - k * 0.02; // 0.98 .. 0.2 of the observed extreme
            const v = (which ? mx : mn) * frac;
            const e = which ? gridSse(sub, lo, v) : gridSse(sub, v, hi);
            if (e < best) best = e, bestV = v;
        }
        if (which) hi = bestV;
        else lo = bestV;
    };
    search(1);
    if (mn < 0) search(0);
    search(1);
    return [lo, hi];
}

// opts.method: 'minmax' (default), 'pct', 'mse'; opts.pct for 'pct';
// opts.biasCorrection (default true): subtract the expected output shift caused by weight
// rounding, (W_q - W) . E[x], with E[x] the per-channel input means seen in calibration.
export async function quantizeGraph(km, g, calibDir, log = () => {}, opts = {}) {
    if (typeof opts === 'number') opts = { method: 'pct', pct: opts };
    const inName = g.inputs[0];
    const side = g.tensors.get(inName).shape[1];
    const images = loadCalibImages(calibDir, side);
    const stats = await collectStats(g, images, log);
    return quantizeWithStats(g, stats, opts);
}

export function quantizeWithStats(g, stats, opts = {}) {
    const method = opts.method || 'minmax', pct = opts.pct ?? 1e-4;
    const biasCorr = opts.biasCorrection ?? true;
    const inName = g.inputs[0];
    const range = new Map();
    for (const op of g.ops)
        for (const n of op.outputs) range.set(n, chooseRange(stats.samples.get(n), method, pct));
    // New IR with quantised tensors; constants shared where unchanged.
    const q = { inputs: g.inputs.slice(), outputs: g.outputs.slice(), tensors: new Map(), ops: [] };
    for (const [n, t] of g.tensors) q.tensors.set(n, { ...t, aliases: t.aliases.slice() });
    let nExact = 0, nCh = 0;
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
            const wf = g.tensors.get(op.inputs[1]);
            const qw = quantWeights(wf, axis);
            nExact += qw.exact, nCh += qw.nch;
            Object.assign(w, { dtype: 'int8', data: qw.data, quant: qw.quant });
            let bf = g.tensors.get(op.inputs[2]).data;
            const xm = stats.chMean.get(op.inputs[0]);
            if (biasCorr && xm) bf = correctBias(op.type, wf, qw, bf, xm);
            const xs = x.quant.scale[0];
            const bscale = Array.from(bf, (_, c) => xs * qw.quant.scale[axis === null ? 0 : c]);
            const bq = Int32Array.from(bf, (v, c) => Math.max(-2147483647, Math.min(2147483647, Math.round(v / bscale[c]))));
            Object.assign(b, { dtype: 'int32', data: bq,
                               quant: { scale: bscale, zero_point: new Array(bf.length).fill(0), axis: 0 } });
        }
        q.ops.push({ ...op, version: OP_VERSION_INT8[op.type] || 1 });
    }
    q.weightChannelsExact = [nExact, nCh];
    return q;
}

// bias - (W_q - W) . E[x] per output channel. Layouts: CONV_2D [out,kh,kw,in], DEPTHWISE_CONV_2D
// [1,kh,kw,c] (depth multiplier 1 here), FULLY_CONNECTED [out,in]. Zero padding makes E[x] a bit
// smaller at the borders; ignored.
function correctBias(type, wf, qw, bf, xm) {
    const d = wf.data, s = qw.quant.scale, qd = qw.data, shape = wf.shape;
    const out = Float64Array.from(bf);
    if (type === 'DEPTHWISE_CONV_2D') {
        const c = shape[3];
        if (xm.length !== c) return bf;
        for (let i = 0; i < d.length; i++) {
            const ch = i % c;
            out[ch] -= (qd[i] * s[ch] - d[i]) * xm[ch];
        }
    } else {
        const o = shape[0], inner = d.length / o, cin = xm.length;
        if (inner % cin) return bf;
        for (let i = 0; i < d.length; i++) {
            const oc = Math.floor(i / inner), sc = type === 'CONV_2D' ? s[oc] : s[0];
            out[oc] -= (qd[i] * sc - d[i]) * xm[i % cin];
        }
    }
    return Float32Array.from(out);
}
