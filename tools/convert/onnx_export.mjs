#!/usr/bin/env node
// tools/convert/onnx_export.mjs - write the nsfwjs Keras MobileNetV2 as an ONNX model (opset 13),
// so that ONNX Runtime can serve as a speed peer for the edgecl interpreter (bench/backbone.c).
//
//   node tools/convert/onnx_export.mjs [--out models/mobilenet_v2.onnx] [--cut LAYER]
//                                      [--model-dir third_party/npm/nsfwjs/dist/models/mobilenet_v2]
//
// Why a hand-written protobuf encoder: no protobuf/onnx package is available offline, and the
// subset needed (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto)
// is ~20 fields. Encoding rules: varint for int32/int64/enum, length-delimited for strings,
// bytes and sub-messages, fixed32 for float.
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

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

// ------------------------------------------------------------------ protobuf encoder
class PB {
    constructor() { this.parts = []; this.len = 0; }
    raw(buf) { this.parts.push(buf); this.len += buf.length; }
    varint(v) {
        let x = BigInt.asUintN(64, BigInt(v));
        const bytes = [];
        do {
            let b = Number(x & 0x7fn);
            x >>= 7n;
            if (x) b |= 0x80;
            bytes.push(b);
        } while (x);
        this.raw(Buffer.from(bytes));
    }
    key(field, wire) { this.varint((field << 3) | wire); }
    int(field, v) { this.key(field, 0); this.varint(v); }
    bytes(field, buf) { this.key(field, 2); this.varint(buf.length); this.raw(buf); }
    str(field, s) { this.bytes(field, Buffer.from(s, 'utf8')); }
    msg(field, pb) { this.bytes(field, pb.finish()); }
    float(field, f) { const b = Buffer.alloc(4); b.writeFloatLE(f); this.key(field, 5); this.raw(b); }
    finish() { return Buffer.concat(this.parts, this.len); }
}

const DT_FLOAT = 1, DT_INT64 = 7;
const AT_FLOAT = 1, AT_INT = 2, AT_INTS = 7;

function tensorProto(name, dims, data, dtype = DT_FLOAT) {
    const t = new PB();
    for (const d of dims) t.int(1, d);
    t.int(2, dtype);
    t.str(8, name);
    const buf = dtype === DT_INT64 ? Buffer.from(BigInt64Array.from(data.map(BigInt)).buffer)
                                   : Buffer.from(Float32Array.from(data).buffer);
    t.bytes(9, buf);
    return t;
}

function valueInfo(name, dims) {
    const shape = new PB();
    for (const d of dims) { const dim = new PB(); dim.int(1, d); shape.msg(1, dim); }
    const tt = new PB(); tt.int(1, DT_FLOAT); tt.msg(2, shape);
    const ty = new PB(); ty.msg(1, tt);
    const vi = new PB(); vi.str(1, name); vi.msg(2, ty);
    return vi;
}

function attr(name, v) {
    const a = new PB();
    a.str(1, name);
    if (Array.isArray(v)) { for (const x of v) a.int(8, x); a.int(20, AT_INTS); }
    else if (Number.isInteger(v)) { a.int(3, v); a.int(20, AT_INT); }
    else { a.float(2, v); a.int(20, AT_FLOAT); }
    return a;
}

// Graph builder: nodes + initializers, serialised by model().
class Graph {
    constructor() { this.nodes = []; this.inits = []; this.names = new Set(); }
    init(name, dims, data, dtype) {
        if (!this.names.has(name)) { this.inits.push(tensorProto(name, dims, data, dtype)); this.names.add(name); }
        return name;
    }
    node(op, inputs, outputs, attrs = {}, name = outputs[0]) {
        const n = new PB();
        for (const i of inputs) n.str(1, i);
        for (const o of outputs) n.str(2, o);
        n.str(3, name);
        n.str(4, op);
        for (const [k, v] of Object.entries(attrs)) n.msg(5, attr(k, v));
        this.nodes.push(n);
        return outputs[0];
    }
    model(inputName, inDims, outName, outDims) {
        const g = new PB();
        for (const n of this.nodes) g.msg(1, n);
        g.str(2, 'edgecl_mobilenet_v2');
        for (const t of this.inits) g.msg(5, t);
        g.msg(11, valueInfo(inputName, inDims));
        g.msg(12, valueInfo(outName, outDims));
        const m = new PB();
        m.int(1, 7); // ir_version 7 (ONNX 1.8, opset 13)
        m.str(2, 'edgecl onnx_export.mjs');
        m.str(3, '0.1');
        m.msg(7, g);
        const os = new PB(); os.str(1, ''); os.int(2, 13);
        m.msg(8, os);
        return m.finish();
    }
}

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
