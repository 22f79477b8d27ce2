// keras_graph.mjs - nsfwjs' Keras MobileNetV2 (tfjs layers format) -> a small graph IR.
//
// The IR is what both exporters (tflite_writer.mjs here, an ONNX exporter elsewhere) consume:
//
//   graph = {
//     inputs:  ['input_1'],                 // tensor names
//     outputs: ['dense_3'],
//     tensors: Map name -> { name, shape: [..], dtype: 'float32'|'int32',
//                            data?: Float32Array|Int32Array (constants only),
//                            aliases: [keras layer names whose output this tensor also is] },
//     ops: [ { type, inputs: [names], outputs: [names], opts: {..}, keras: 'layer name' } ]
//   }
//
// Op types are named after TFLite builtins and use TFLite layouts (activations NHWC, batch 1):
//   PAD               in: x, paddings int32 [4,2]                 opts: {}
//   CONV_2D           in: x, w [out,kh,kw,in], b [out]           opts: {padding:'SAME'|'VALID',
//                                                                   stride:[sh,sw], act}
//   DEPTHWISE_CONV_2D in: x, w [1,kh,kw,in*mult], b [in*mult]    opts: {padding, stride, act,
//                                                                   depth_multiplier}
//   ADD               in: a, b                                    opts: {act}
//   AVERAGE_POOL_2D   in: x                                       opts: {padding, stride, filter:[fh,fw], act}
//   RESHAPE           in: x, shape int32 [rank]                   opts: {new_shape}
//   FULLY_CONNECTED   in: x, w [out,in], b [out]                  opts: {act}
//   SOFTMAX           in: x                                       opts: {beta}
// act is 'NONE' | 'RELU' | 'RELU6'.
//
// BatchNormalization is folded into the preceding (bias-free) convolution:
//   y = gamma * (conv(x, W) - mean) / sqrt(var + eps) + beta
//     = conv(x, W * s) + (beta - mean * s),   s = gamma / sqrt(var + eps)   (per output channel)
// and a following ReLU(max_value=6) becomes the fused RELU6 activation. The conv output tensor is
// then named after the last Keras layer folded into it (the ReLU, else the BN); the folded layers'
// names are listed in `aliases`, so `block_13_expand`, `block_13_expand_BN` resolve to
// `block_13_expand_relu` (the pre-activation values are not materialised).
// Dropout is the identity at inference and only adds an alias.
//
// Usage:
//   import { loadNsfwjsModel, buildGraph, resolveName } from './keras_graph.mjs';
//   const km = loadNsfwjsModel();                 // { topology, weights: Map name -> {shape, data} }
//   const g = buildGraph(km, { inputSize: 224, until: 'block_13_expand_relu' });

import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '..', '..');
export const NSFWJS_DIR = path.join(REPO_ROOT, 'third_party', 'npm', 'nsfwjs');
export const TFJS_PATH = path.join(REPO_ROOT, 'third_party', 'npm', '_tensorflow_tfjs', 'dist',
                                   'tf.min.js');
const require = createRequire(import.meta.url);

function prod(a) {
    return a.reduce((x, y) => x * y, 1);
}

// Load the nsfwjs MobileNetV2 files. Returns the Keras topology, the weight manifest and the raw
// (still quantised) weight bytes, plus dequantised float32 weights keyed by Keras weight name.
export function loadNsfwjsModel(dir = path.join(NSFWJS_DIR, 'dist', 'models', 'mobilenet_v2')) {
    let model, shard;
    try {
        model = require(path.join(dir, 'model.min.js'));
        shard = require(path.join(dir, 'group1-shard1of1.min.js'));
    } catch (e) {
        throw new Error(`cannot load the nsfwjs model from ${dir} (run scripts/fetch-npm.sh): ` +
                        e.message.split('\n')[0]);
    }
    if (!model || !model.modelTopology || !model.weightsManifest || typeof shard !== 'string')
        throw new Error(`${dir}: unexpected nsfwjs model file layout`);
    // The shard module exports the weight bytes as a base64 string.
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(shard.slice(0, 4096)))
        throw new Error(`${dir}: weight shard is not base64`);
    const buf = Buffer.from(shard, 'base64');
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
    const specs = [];
    for (const group of model.weightsManifest) specs.push(...group.weights);
    const weights = new Map();
    let off = 0;
    for (const s of specs) {
        const n = prod(s.shape);
        const q = s.quantization;
        const data = new Float32Array(n);
        if (q) {
            if (q.dtype !== 'uint8') throw new Error(`${s.name}: unsupported quantisation ${q.dtype}`);
            if (off + n > bytes.length) throw new Error(`${s.name}: weight shard too short`);
            // tfjs' dequantisation, bit for bit: q * scale + min in double, stored as float32.
            for (let i = 0; i < n; i++) data[i] = bytes[off + i] * q.scale + q.min;
            off += n;
        } else {
            if (s.dtype !== 'float32') throw new Error(`${s.name}: unsupported dtype ${s.dtype}`);
            const f = new Float32Array(bytes.buffer.slice(off, off + 4 * n));
            data.set(f);
            off += 4 * n;
        }
        weights.set(s.name, { shape: s.shape.slice(), data });
    }
    if (off !== bytes.length)
        throw new Error(`${dir}: weight shard has ${bytes.length} bytes, manifest needs ${off}`);
    return { topology: model.modelTopology, specs, rawWeights: bytes, weights };
}

function getW(km, name) {
    const w = km.weights.get(name);
    if (!w) throw new Error(`missing weight ${name}`);
    return w;
}

// Keras conv kernel [kh,kw,in,out] -> TFLite [out,kh,kw,in], scaled per output channel.
function convKernel(k, scale) {
    const [kh, kw, ci, co] = k.shape;
    const out = new Float32Array(k.data.length);
    for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++)
            for (let i = 0; i < ci; i++)
                for (let o = 0; o < co; o++)
                    out[((o * kh + y) * kw + x) * ci + i] =
                        k.data[((y * kw + x) * ci + i) * co + o] * scale[o];
    return { shape: [co, kh, kw, ci], data: out };
}

// Keras depthwise kernel [kh,kw,in,mult] -> TFLite [1,kh,kw,in*mult] (channel c*mult+m).
function dwKernel(k, scale) {
    const [kh, kw, ci, m] = k.shape;
    const out = new Float32Array(k.data.length); // same flat order: ((y*kw+x)*ci+i)*m+j
    for (let p = 0; p < kh * kw; p++)
        for (let c = 0; c < ci * m; c++) out[p * ci * m + c] = k.data[p * ci * m + c] * scale[c];
    return { shape: [1, kh, kw, ci * m], data: out };
}

// Keras dense kernel [in,out] -> TFLite [out,in].
function denseKernel(k) {
    const [ci, co] = k.shape;
    const out = new Float32Array(k.data.length);
    for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++) out[o * ci + i] = k.data[i * co + o];
    return { shape: [co, ci], data: out };
}

function convOutSize(n, k, s, padding) {
    if (padding === 'SAME') return Math.ceil(n / s);
    return Math.floor((n - k) / s) + 1;
}

// Build the IR from the loaded model.
//   opts.inputSize: square input side (default: the model's, 224). AveragePooling2D becomes a
//                   global average pool if the model's fixed 7x7 window no longer fits exactly.
//   opts.until:     Keras layer (or tensor) name; the graph is cut after it and it becomes the
//                   only output. Default: the full model, output = the softmax `dense_3`.
export function buildGraph(km, opts = {}) {
    const cfg = km.topology.model_config;
    if (!cfg || cfg.class_name !== 'Model' && cfg.class_name !== 'Functional')
        throw new Error('expected a Keras functional Model topology');
    const layers = cfg.config.layers;
    const g = { inputs: [], outputs: [], tensors: new Map(), ops: [] };
    const kerasToTensor = new Map(); // keras layer name -> IR tensor name holding its output
    const consumers = new Map();      // keras layer name -> number of consuming layers
    for (const l of layers)
        for (const node of l.inbound_nodes || [])
            for (const inb of node) consumers.set(inb[0], (consumers.get(inb[0]) || 0) + 1);
    const byName = new Map(layers.map((l) => [l.name, l]));
    const inputsOf = (l) => (l.inbound_nodes[0] || []).map((inb) => inb[0]);
    const soleConsumer = (name) => {
        if (consumers.get(name) !== 1) return null;
        return layers.find((l) => inputsOf(l).includes(name)) || null;
    };

    const addTensor = (name, shape, dtype = 'float32', data = undefined) => {
        if (g.tensors.has(name)) throw new Error(`duplicate tensor ${name}`);
        const t = { name, shape, dtype, aliases: [] };
        if (data) t.data = data;
        g.tensors.set(name, t);
        return t;
    };
    const alias = (kerasName, tensorName) => {
        kerasToTensor.set(kerasName, tensorName);
        const t = g.tensors.get(tensorName);
        if (kerasName !== tensorName && !t.aliases.includes(kerasName)) t.aliases.push(kerasName);
    };
    const inT = (l, i = 0) => {
        const n = inputsOf(l)[i];
        const t = kerasToTensor.get(n);
        if (!t) throw new Error(`${l.name}: input ${n} not built yet`);
        return g.tensors.get(t);
    };
    const done = new Set(); // layers folded into an earlier op

    for (const l of layers) {
        if (done.has(l.name)) continue;
        const c = l.config;
        switch (l.class_name) {
        case 'InputLayer': {
            const s = c.batch_input_shape;
            const side = opts.inputSize || s[1];
            addTensor(l.name, [1, side, side, s[3]]);
            kerasToTensor.set(l.name, l.name);
            g.inputs.push(l.name);
            break;
        }
        case 'ZeroPadding2D': {
            const x = inT(l);
            const [[t, b], [le, r]] = c.padding;
            const pads = addTensor(`${l.name}/paddings`, [4, 2], 'int32',
                                   Int32Array.from([0, 0, t, b, le, r, 0, 0]));
            const [n, h, w, ch] = x.shape;
            addTensor(l.name, [n, h + t + b, w + le + r, ch]);
            g.ops.push({ type: 'PAD', inputs: [x.name, pads.name], outputs: [l.name], opts: {},
                         keras: l.name });
            kerasToTensor.set(l.name, l.name);
            break;
        }
        case 'Conv2D':
        case 'DepthwiseConv2D': {
            const dw = l.class_name === 'DepthwiseConv2D';
            const x = inT(l);
            const k = getW(km, `${l.name}/${dw ? 'depthwise_kernel' : 'kernel'}`);
            const [kh, kw, ci, co0] = k.shape;
            const co = dw ? ci * co0 : co0;
            if (x.shape[3] !== ci) throw new Error(`${l.name}: input has ${x.shape[3]} channels, kernel ${ci}`);
            if ((c.dilation_rate || [1, 1]).some((d) => d !== 1))
                throw new Error(`${l.name}: dilation not supported`);
            let scale = new Float32Array(co).fill(1);
            let bias = new Float32Array(co);
            if (c.use_bias) bias.set(getW(km, `${l.name}/bias`).data);
            let act = { linear: 'NONE', relu: 'RELU' }[c.activation];
            if (act === undefined) throw new Error(`${l.name}: activation ${c.activation} not supported`);
            let outName = l.name;
            const folded = [];
            // Fold a sole-consumer BatchNormalization, then a sole-consumer ReLU / ReLU6.
            let next = act === 'NONE' ? soleConsumer(l.name) : null;
            if (next && next.class_name === 'BatchNormalization' && opts.until !== l.name) {
                const bc = next.config;
                if (bc.axis !== -1 && bc.axis !== 3) throw new Error(`${next.name}: axis ${bc.axis}`);
                const gam = bc.scale ? getW(km, `${next.name}/gamma`).data : null;
                const bet = bc.center ? getW(km, `${next.name}/beta`).data : null;
                const mean = getW(km, `${next.name}/moving_mean`).data;
                const vr = getW(km, `${next.name}/moving_variance`).data;
                for (let o = 0; o < co; o++) {
                    // Double precision for the fold; the float32 rounding happens once at the end.
                    const s = (gam ? gam[o] : 1) / Math.sqrt(vr[o] + bc.epsilon);
                    bias[o] = (bias[o] - mean[o]) * s + (bet ? bet[o] : 0);
                    scale[o] = s;
                }
                folded.push(next.name);
                outName = next.name;
                done.add(next.name);
                next = opts.until === next.name ? null : soleConsumer(next.name);
            }
            if (next && next.class_name === 'ReLU' && act === 'NONE') {
                const rc = next.config;
                const slope = rc.negative_slope || 0, thr = rc.threshold || 0;
                if (slope === 0 && thr === 0 && (rc.max_value === 6 || rc.max_value == null)) {
                    act = rc.max_value === 6 ? 'RELU6' : 'RELU';
                    folded.push(next.name);
                    outName = next.name;
                    done.add(next.name);
                }
            }
            const wk = dw ? dwKernel(k, scale) : convKernel(k, scale);
            const pad = c.padding === 'same' ? 'SAME' : 'VALID';
            const [sh, sw] = c.strides;
            const [n, h, w] = x.shape;
            const oh = convOutSize(h, kh, sh, pad), ow = convOutSize(w, kw, sw, pad);
            if (oh < 1 || ow < 1) throw new Error(`${l.name}: input ${h}x${w} too small`);
            const wt = addTensor(`${l.name}/weights`, wk.shape, 'float32', wk.data);
            const bt = addTensor(`${l.name}/bias`, [co], 'float32', bias);
            addTensor(outName, [n, oh, ow, co]);
            const o = { padding: pad, stride: [sh, sw], act };
            if (dw) o.depth_multiplier = co0;
            g.ops.push({ type: dw ? 'DEPTHWISE_CONV_2D' : 'CONV_2D',
                         inputs: [x.name, wt.name, bt.name], outputs: [outName], opts: o,
                         keras: l.name });
            alias(l.name, outName);
            for (const f of folded) alias(f, outName);
            break;
        }
        case 'BatchNormalization':
            throw new Error(`${l.name}: BatchNormalization not after a convolution is not supported` +
                            (opts.until ? ` (cut at the layer before or after it)` : ''));
        case 'ReLU':
            throw new Error(`${l.name}: standalone ReLU is not supported`);
        case 'Add': {
            const a = inT(l, 0), b = inT(l, 1);
            if (a.shape.join() !== b.shape.join()) throw new Error(`${l.name}: shape mismatch`);
            addTensor(l.name, a.shape.slice());
            g.ops.push({ type: 'ADD', inputs: [a.name, b.name], outputs: [l.name],
                         opts: { act: 'NONE' }, keras: l.name });
            kerasToTensor.set(l.name, l.name);
            break;
        }
        case 'AveragePooling2D':
        case 'GlobalAveragePooling2D': {
            const x = inT(l);
            const [n, h, w, ch] = x.shape;
            let fh, fw, sh, sw, pad;
            if (l.class_name === 'GlobalAveragePooling2D') {
                [fh, fw, sh, sw, pad] = [h, w, 1, 1, 'VALID'];
            } else {
                [fh, fw] = c.pool_size;
                [sh, sw] = c.strides || c.pool_size;
                pad = c.padding === 'same' ? 'SAME' : 'VALID';
                // The Keras model pools a fixed 7x7 window (224 input). For other input sizes keep
                // its intent, a global average pool.
                if (pad === 'VALID' && (h !== fh || w !== fw) && fh === sh && fw === sw)
                    [fh, fw, sh, sw] = [h, w, 1, 1];
            }
            const oh = convOutSize(h, fh, sh, pad), ow = convOutSize(w, fw, sw, pad);
            addTensor(l.name, [n, oh, ow, ch]);
            g.ops.push({ type: 'AVERAGE_POOL_2D', inputs: [x.name], outputs: [l.name],
                         opts: { padding: pad, stride: [sh, sw], filter: [fh, fw], act: 'NONE' },
                         keras: l.name });
            kerasToTensor.set(l.name, l.name);
            if (l.class_name === 'GlobalAveragePooling2D' || (oh === 1 && ow === 1))
                if (!kerasToTensor.has('global_pool')) alias('global_pool', l.name);
            break;
        }
        case 'Flatten': {
            const x = inT(l);
            const n = x.shape.slice(1).reduce((a, b) => a * b, 1);
            const st = addTensor(`${l.name}/shape`, [2], 'int32', Int32Array.from([1, n]));
            addTensor(l.name, [1, n]);
            g.ops.push({ type: 'RESHAPE', inputs: [x.name, st.name], outputs: [l.name],
                         opts: { new_shape: [1, n] }, keras: l.name });
            kerasToTensor.set(l.name, l.name);
            break;
        }
        case 'Dense': {
            const x = inT(l);
            const k = getW(km, `${l.name}/kernel`);
            if (x.shape.length !== 2 || x.shape[1] !== k.shape[0])
                throw new Error(`${l.name}: input shape ${x.shape} vs kernel ${k.shape}`);
            const wk = denseKernel(k);
            const co = k.shape[1];
            const bias = c.use_bias ? getW(km, `${l.name}/bias`).data : new Float32Array(co);
            const act = { linear: 'NONE', relu: 'RELU', softmax: 'NONE' }[c.activation];
            if (act === undefined) throw new Error(`${l.name}: activation ${c.activation} not supported`);
            const wt = addTensor(`${l.name}/weights`, wk.shape, 'float32', wk.data);
            const bt = addTensor(`${l.name}/bias`, [co], 'float32', Float32Array.from(bias));
            const fcOut = c.activation === 'softmax' ? `${l.name}/logits` : l.name;
            addTensor(fcOut, [1, co]);
            g.ops.push({ type: 'FULLY_CONNECTED', inputs: [x.name, wt.name, bt.name],
                         outputs: [fcOut], opts: { act }, keras: l.name });
            if (c.activation === 'softmax') {
                addTensor(l.name, [1, co]);
                g.ops.push({ type: 'SOFTMAX', inputs: [fcOut], outputs: [l.name],
                             opts: { beta: 1.0 }, keras: l.name });
            }
            kerasToTensor.set(l.name, l.name);
            break;
        }
        case 'Dropout':
            alias(l.name, inT(l).name);
            break;
        default:
            throw new Error(`${l.name}: Keras layer ${l.class_name} not supported`);
        }
        if (opts.until && (l.name === opts.until || kerasToTensor.get(opts.until))) break;
    }
    if (opts.until) {
        const t = resolveName(g, opts.until);
        if (!t) throw new Error(`--until ${opts.until}: no such layer (see --list)`);
        g.outputs = [t];
        prune(g);
    } else {
        g.outputs = cfg.config.output_layers.map((o) => kerasToTensor.get(o[0]));
    }
    g.kerasToTensor = kerasToTensor;
    return g;
}

// Resolve a Keras layer name (or alias) to the IR tensor holding its value, or null.
export function resolveName(g, name) {
    if (g.tensors.has(name)) return name;
    for (const t of g.tensors.values())
        if (t.aliases.includes(name)) return t.name;
    return null;
}

// Drop ops and tensors not needed for the outputs.
export function prune(g) {
    const need = new Set(g.outputs);
    const keep = [];
    for (let i = g.ops.length - 1; i >= 0; i--) {
        const op = g.ops[i];
        if (op.outputs.some((o) => need.has(o))) {
            keep.push(op);
            for (const x of op.inputs) need.add(x);
        }
    }
    g.ops = keep.reverse();
    for (const x of g.inputs) need.add(x);
    for (const n of [...g.tensors.keys()])
        if (!need.has(n)) g.tensors.delete(n);
}

// Activation tensors (non-constant), in op order, with their aliases; for --list.
export function listActivations(g) {
    const out = [];
    for (const n of g.inputs) out.push(g.tensors.get(n));
    for (const op of g.ops)
        for (const o of op.outputs) out.push(g.tensors.get(o));
    return out;
}
