#!/usr/bin/env node
// tools/convert/onnx_export.mjs - write the nsfwjs Keras MobileNetV2 as an ONNX model (opset 13),
// so that ONNX Runtime can serve as a speed peer for the edgecl interpreter (bench/backbone.c).
//
//   node tools/convert/onnx_export.mjs [--out models/mobilenet_v2.onnx] [--cut LAYER]
//                                      [--model-dir third_party/npm/nsfwjs/dist/models/mobilenet_v2]
//
// The protobuf encoding is tools/convert/onnx_proto.mjs (shared with onnx_int8_export.mjs).
//
// Graph: convert's IR (tools/convert/keras_graph.mjs: uint8 weights dequantised, BatchNorm
// folded, ReLU6 fused, the same tensors the .tflite from nsfwjs2tflite.mjs holds) mapped to
// ONNX: CONV_2D/DEPTHWISE_CONV_2D -> Conv (group=C for depthwise), fused RELU6 -> Clip(0,6),
// PAD feeding a conv -> folded into the Conv's pads (else Pad), ADD -> Add,
// AVERAGE_POOL_2D -> GlobalAveragePool/AveragePool, RESHAPE -> Flatten,
// FULLY_CONNECTED -> Gemm(transB=1), SOFTMAX -> Softmax. ONNX input is NCHW [1,3,N,N].
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNsfwjsModel, buildGraph } from './keras_graph.mjs';
import { Graph, DT_INT64 } from './onnx_proto.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

// ------------------------------------------------------------------ IR -> ONNX
// The IR (tools/convert/keras_graph.mjs) uses TFLite layouts: activations NHWC, conv weights
// OHWI, depthwise 1HWC, FC [out,in]. ONNX wants NCHW / OIHW; we transpose the weights and keep
// the activations NCHW inside the graph. A 4-D output gets a final Transpose back to NHWC
// (unless --nchw-output) so that it is element-for-element comparable with the .tflite cut.
const SAME_PADS = (inH, inW, kh, kw, sh, sw) => {
    const oh = Math.ceil(inH / sh), ow = Math.ceil(inW / sw);
    const ph = Math.max((oh - 1) * sh + kh - inH, 0), pw = Math.max((ow - 1) * sw + kw - inW, 0);
    return [ph >> 1, pw >> 1, ph - (ph >> 1), pw - (pw >> 1)]; // top, left, bottom, right
};

function irToOnnx(ir, { nhwcOutput = true } = {}) {
    const g = new Graph();
    const T = (n) => { const t = ir.tensors.get(n); if (!t) throw new Error(`IR: no tensor ${n}`); return t; };
    const uses = new Map();
    for (const op of ir.ops) for (const i of op.inputs) uses.set(i, (uses.get(i) || 0) + 1);
    const padOf = new Map(); // PAD output -> {src, pads [t,l,b,r]} folded into the next conv
    const nameOf = (n) => (padOf.has(n) ? padOf.get(n).src : n);
    const actNode = (act, x, out) => {
        if (act === 'NONE') return x;
        if (act === 'RELU') return g.node('Relu', [x], [out]);
        if (act === 'RELU6') {
            g.init('clip.0', [], [0]); g.init('clip.6', [], [6]);
            return g.node('Clip', [x, 'clip.0', 'clip.6'], [out]);
        }
        throw new Error(`activation ${act} not supported`);
    };
    if (ir.inputs.length !== 1) throw new Error('IR: expected one input');
    const inT = T(ir.inputs[0]);
    const [, H, W, C] = inT.shape;
    for (const op of ir.ops) {
        const o = op.opts || {}, out = op.outputs[0];
        switch (op.type) {
        case 'PAD': {
            const p = Array.from(T(op.inputs[1]).data); // [[0,0],[t,b],[l,r],[0,0]]
            const consumers = ir.ops.filter((q) => q.inputs[0] === out);
            const foldable = uses.get(out) === 1 && consumers.length === 1 &&
                (consumers[0].type === 'CONV_2D' || consumers[0].type === 'DEPTHWISE_CONV_2D') &&
                p[0] === 0 && p[1] === 0 && p[6] === 0 && p[7] === 0;
            if (foldable) { padOf.set(out, { src: nameOf(op.inputs[0]), pads: [p[2], p[4], p[3], p[5]] }); break; }
            const pads = [p[0], p[6], p[2], p[4], p[1], p[7], p[3], p[5]]; // NCHW begins, ends
            g.init(`${out}/pads`, [8], pads, DT_INT64);
            g.node('Pad', [nameOf(op.inputs[0]), `${out}/pads`], [out], {});
            break;
        }
        case 'CONV_2D':
        case 'DEPTHWISE_CONV_2D': {
            const dw = op.type === 'DEPTHWISE_CONV_2D';
            const x = T(op.inputs[0]), w = T(op.inputs[1]), b = op.inputs[2] ? T(op.inputs[2]) : null;
            let co, kh, kw, ci, wt;
            if (dw) {
                [, kh, kw, co] = w.shape; ci = 1;
                if (co !== x.shape[3]) throw new Error(`${out}: depth_multiplier != 1 not supported`);
                wt = new Float32Array(co * kh * kw);
                for (let t = 0; t < kh * kw; t++) for (let c = 0; c < co; c++) wt[c * kh * kw + t] = w.data[t * co + c];
            } else {
                [co, kh, kw, ci] = w.shape;
                wt = new Float32Array(co * ci * kh * kw);
                for (let oc = 0; oc < co; oc++) for (let t = 0; t < kh * kw; t++) for (let i = 0; i < ci; i++)
                    wt[(oc * ci + i) * kh * kw + t] = w.data[(oc * kh * kw + t) * ci + i];
            }
            const [sh, sw] = o.stride;
            let pads = [0, 0, 0, 0];
            if (o.padding === 'SAME') pads = SAME_PADS(x.shape[1], x.shape[2], kh, kw, sh, sw);
            const pre = padOf.get(op.inputs[0]);
            if (pre) pads = pads.map((v, i) => v + pre.pads[i]);
            g.init(`${out}/w`, [co, ci, kh, kw], wt);
            const ins = [nameOf(op.inputs[0]), `${out}/w`];
            if (b) { g.init(`${out}/b`, [co], b.data); ins.push(`${out}/b`); }
            const lin = o.act === 'NONE' ? out : `${out}/linear`;
            g.node('Conv', ins, [lin], { kernel_shape: [kh, kw], strides: [sh, sw], pads,
                                         dilations: [1, 1], group: dw ? co : 1 });
            actNode(o.act, lin, out);
            break;
        }
        case 'ADD': {
            const lin = o.act === 'NONE' ? out : `${out}/linear`;
            g.node('Add', op.inputs.map(nameOf), [lin]);
            actNode(o.act || 'NONE', lin, out);
            break;
        }
        case 'AVERAGE_POOL_2D': {
            const x = T(op.inputs[0]);
            const [fh, fw] = o.filter, [sh, sw] = o.stride;
            const lin = o.act === 'NONE' ? out : `${out}/linear`;
            if (fh === x.shape[1] && fw === x.shape[2] && o.padding === 'VALID')
                g.node('GlobalAveragePool', [nameOf(op.inputs[0])], [lin]);
            else if (o.padding === 'VALID')
                g.node('AveragePool', [nameOf(op.inputs[0])], [lin], { kernel_shape: [fh, fw], strides: [sh, sw] });
            else throw new Error(`${out}: SAME average pooling not supported`);
            actNode(o.act || 'NONE', lin, out);
            break;
        }
        case 'RESHAPE': {
            const x = T(op.inputs[0]), ns = T(out).shape;
            if (ns.length !== 2) throw new Error(`${out}: only RESHAPE to [batch, n] is supported`);
            let src = nameOf(op.inputs[0]);
            if (x.shape.length === 4 && x.shape[1] * x.shape[2] > 1) // NHWC flatten order
                src = g.node('Transpose', [src], [`${out}/nhwc`], { perm: [0, 2, 3, 1] });
            g.node('Flatten', [src], [out], { axis: 1 });
            break;
        }
        case 'FULLY_CONNECTED': {
            const w = T(op.inputs[1]), b = op.inputs[2] ? T(op.inputs[2]) : null;
            g.init(`${out}/w`, w.shape, w.data);
            const ins = [nameOf(op.inputs[0]), `${out}/w`];
            if (b) { g.init(`${out}/b`, b.shape, b.data); ins.push(`${out}/b`); }
            const lin = o.act === 'NONE' ? out : `${out}/linear`;
            g.node('Gemm', ins, [lin], { transB: 1 });
            actNode(o.act, lin, out);
            break;
        }
        case 'SOFTMAX':
            if ((o.beta ?? 1) !== 1) throw new Error(`${out}: softmax beta != 1`);
            g.node('Softmax', [nameOf(op.inputs[0])], [out], { axis: -1 });
            break;
        default:
            throw new Error(`IR op ${op.type} has no ONNX mapping here`);
        }
    }
    const outT = T(ir.outputs[0]);
    let outName = nameOf(outT.name), outDims = outT.shape.slice();
    if (outDims.length === 4) {
        if (nhwcOutput) outName = g.node('Transpose', [outName], [`${outT.name}/nhwc`], { perm: [0, 2, 3, 1] });
        else outDims = [outDims[0], outDims[3], outDims[1], outDims[2]];
    }
    return g.model(inT.name, [1, C, H, W], outName, outDims);
}

// ------------------------------------------------------------------ CLI
function usage(code) {
    (code ? process.stderr : process.stdout).write(
        'usage: node tools/convert/onnx_export.mjs [--out FILE] [--until KERAS_LAYER] [--input N]\n' +
        '                                          [--nchw-output] [--model-dir DIR]\n' +
        '  Writes the nsfwjs MobileNetV2 (graph IR of tools/convert/keras_graph.mjs: BN folded,\n' +
        '  float32) as ONNX opset 13 with NCHW input [1,3,N,N] (N default 224).\n' +
        '  --until cuts like nsfwjs2tflite.mjs (e.g. block_13_expand_relu); a 4-D output is\n' +
        '  transposed back to NHWC unless --nchw-output. Default --out models/mobilenet_v2.onnx.\n');
    process.exit(code);
}

const args = process.argv.slice(2);
let out = path.join(root, 'models/mobilenet_v2.onnx'), until = null, inputSize = 0, nchw = false;
let modelDir = null;
for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--help' || a === '-h') usage(0);
    else if (a === '--nchw-output') nchw = true;
    else if (a === '--out' && i + 1 < args.length) out = args[++i];
    else if ((a === '--until' || a === '--cut') && i + 1 < args.length) until = args[++i];
    else if (a === '--input' && i + 1 < args.length) inputSize = Number(args[++i]);
    else if (a === '--model-dir' && i + 1 < args.length) modelDir = args[++i];
    else { process.stderr.write(`onnx_export: unknown or incomplete argument '${a}'\n`); usage(2); }
}
try {
    if (inputSize && !(Number.isInteger(inputSize) && inputSize >= 32 && inputSize <= 1024))
        throw new Error('--input: expected an integer in 32..1024');
    const km = modelDir ? loadNsfwjsModel(modelDir) : loadNsfwjsModel();
    const ir = buildGraph(km, { inputSize: inputSize || undefined, until: until || undefined });
    const buf = irToOnnx(ir, { nhwcOutput: !nchw });
    fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    fs.writeFileSync(out, buf);
    process.stderr.write(`onnx_export: wrote ${out} (${buf.length} bytes, ${ir.ops.length} IR ops` +
                         `${until ? `, cut at ${until}` : ''})\n`);
} catch (e) {
    process.stderr.write(`onnx_export: ${e.message}\n`);
    process.exit(1);
}
