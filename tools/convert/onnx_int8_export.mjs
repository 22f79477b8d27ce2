#!/usr/bin/env node
// tools/convert/onnx_int8_export.mjs - write an int8 .tflite (models/mobilenet_v2_int8.tflite, made
// by nsfwjs2tflite.mjs --int8) as a QDQ ONNX model (opset 13), ONNX Runtime's int8 peer of the
// edgecl interpreter in bench/backbone.c.
//
//   node tools/convert/onnx_int8_export.mjs [--model models/mobilenet_v2_int8.tflite]
//                                           [--out models/mobilenet_v2_int8.onnx] [--cut TENSOR]
//
// The .tflite is the source of truth: its int8 weights, int32 biases and every tensor's
// (scale, zero point) are written unchanged, read back with tflite_reader.mjs. QDQ form: each
// int8 tensor of the .tflite is an int8 ONNX tensor; a float op reads it through
// DequantizeLinear and its result is stored through QuantizeLinear with the .tflite output's
// parameters. ONNX Runtime's QDQ transformers fuse DQ -> Conv -> Q into QLinearConv (int8
// kernels, VNNI where the CPU has it), DQ -> Add -> Q into QLinearAdd, DQ -> GlobalAveragePool
// -> Q into QLinearGlobalAveragePool, DQ -> Gemm -> Q into QGemm. Mapping:
//   model input    float NCHW [1,C,H,W] -> QuantizeLinear (the .tflite input's parameters)
//   CONV_2D        DQ(x), DQ(w int8 OIHW, per-channel scales, axis 0), DQ(b int32) -> Conv
//   DEPTHWISE      the same with w [C,1,kh,kw] and group = C
//   PAD            folded into the next conv's pads (int8 PAD pads with the zero point,
//                  i.e. real 0, what a float Conv's implicit padding is)
//   fused act      dropped when the output's int8 range already clamps to it (ReLU6 with
//                  scale*255 <= 6 and zero point -128), else Relu/Clip before QuantizeLinear
//   ADD            DQ(a), DQ(b) -> Add;  AVERAGE_POOL_2D (global) -> GlobalAveragePool
//   RESHAPE        Flatten of the int8 tensor (Transpose to NHWC order first when H*W > 1)
//   FULLY_CONNECTED DQ(w [out,in]) -> Gemm(transB=1);  SOFTMAX -> Softmax(axis -1)
//   model output   DequantizeLinear to float (4-D outputs transposed back to NHWC)
// Activations are written as uint8 with zero point + 128 (q_u8 = q_i8 + 128: the same real values
// and the same clamping, bit for bit): x86 int8 GEMMs (VNNI vpdpbusd) multiply uint8 by int8,
// and ORT fuses int8-activation QDQ on x86 only after converting Q->DQ pairs to uint8, which it
// does not do for a Q read by two DQs (residual branches): those convs and every Add then run
// in float. --int8-activations keeps the .tflite's int8 tensors (to see that).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readTflite } from './tflite_reader.mjs';
import { Graph, DT_INT8, DT_INT32, DT_UINT8 } from './onnx_proto.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

const SAME_PADS = (inH, inW, kh, kw, sh, sw) => {
    const oh = Math.ceil(inH / sh), ow = Math.ceil(inW / sw);
    const ph = Math.max((oh - 1) * sh + kh - inH, 0), pw = Math.max((ow - 1) * sw + kw - inW, 0);
    return [ph >> 1, pw >> 1, ph - (ph >> 1), pw - (pw >> 1)]; // top, left, bottom, right
};
const ACT_RANGE = { NONE: null, RELU: [0, Infinity], RELU6: [0, 6] };

function quantOf(t, what) {
    const q = t.quant;
    if (!q || !q.scale.length) throw new Error(`${t.name}: ${what} is not quantised`);
    if (what === 'weight' && q.zero_point.some((z) => z !== 0))
        throw new Error(`${t.name}: weights with a non-zero zero point (TFLite int8 weights are symmetric)`);
    return q;
}

let u8Acts = true; // --int8-activations clears it

// Per-tensor (scale, zero point) initializers of an int8 activation tensor, shared by name.
function actParams(g, t) {
    const q = quantOf(t, 'activation');
    if (t.dtype !== 'int8') throw new Error(`${t.name}: activation type ${t.dtype}, expected int8`);
    if (q.scale.length !== 1) throw new Error(`${t.name}: per-channel activation quantisation`);
    const s = g.init(`${t.name}/scale`, [], [q.scale[0]]);
    const z = u8Acts ? g.init(`${t.name}/zp`, [], [(q.zero_point[0] || 0) + 128], DT_UINT8)
                     : g.init(`${t.name}/zp`, [], [q.zero_point[0] || 0], DT_INT8);
    return [s, z, q.scale[0], q.zero_point[0] || 0];
}

function irToQdq(ir, cut = null) {
    const g = new Graph();
    const T = (n) => { const t = ir.tensors.get(n); if (!t) throw new Error(`tflite: no tensor ${n}`); return t; };
    const padOf = new Map(); // PAD output -> {src, pads [t,l,b,r]} folded into the next conv
    const nameOf = (n) => (padOf.has(n) ? padOf.get(n).src : n);
    let nDq = 0;
    // One DequantizeLinear per use (ORT's QDQ node units want their own DQ nodes).
    const dq = (name) => {
        const [s, z] = actParams(g, T(name));
        return g.node('DequantizeLinear', [nameOf(name), s, z], [`${name}/dq${nDq++}`]);
    };
    // float result `lin` of op `out` -> (activation) -> QuantizeLinear into int8 tensor `out`.
    const requant = (lin, out, act = 'NONE') => {
        const [s, z, scale, zp] = actParams(g, T(out));
        const r = ACT_RANGE[act];
        if (r === undefined) throw new Error(`${out}: activation ${act} not supported`);
        let x = lin;
        if (r) { // TFLite clamps the int8 result to the activation's range: needed only when
            const lo = Math.max(-128, zp + Math.round(r[0] / scale)); // narrower than int8's
            const hi = Math.min(127, r[1] === Infinity ? 127 : zp + Math.round(r[1] / scale));
            if (lo > -128 || hi < 127) {
                if (r[1] === Infinity) x = g.node('Relu', [lin], [`${out}/act`]);
                else {
                    g.init(`act.${r[0]}`, [], [r[0]]); g.init(`act.${r[1]}`, [], [r[1]]);
                    x = g.node('Clip', [lin, `act.${r[0]}`, `act.${r[1]}`], [`${out}/act`]);
                }
            }
        }
        return g.node('QuantizeLinear', [x, s, z], [out]);
    };
    // int8 constant (weights) or int32 (bias) through DequantizeLinear, per-channel on axis 0.
    const constDq = (name, dims, data, dtype, scales, zps) => {
        const per = scales.length > 1 && !scales.every((v) => v === scales[0]);
        const n = per ? scales.length : 1;
        g.init(`${name}/q`, dims, data, dtype);
        g.init(`${name}/scale`, per ? [n] : [], per ? scales : [scales[0]]);
        g.init(`${name}/zp`, per ? [n] : [], per ? (zps.length === n ? zps : new Array(n).fill(0)) : [zps[0] || 0], dtype);
        return g.node('DequantizeLinear', [`${name}/q`, `${name}/scale`, `${name}/zp`], [name], per ? { axis: 0 } : {});
    };
    const biasDq = (op, co) => {
        if (!op.inputs[2]) return null;
        const b = T(op.inputs[2]), q = quantOf(b, 'bias');
        if (b.dtype !== 'int32') throw new Error(`${b.name}: bias type ${b.dtype}, expected int32`);
        if (b.data.length !== co) throw new Error(`${b.name}: ${b.data.length} values, expected ${co}`);
        const scales = q.scale.length === co ? q.scale : new Array(co).fill(q.scale[0]);
        return constDq(`${op.outputs[0]}/b`, [co], b.data, DT_INT32, scales, []);
    };

    if (ir.inputs.length !== 1) throw new Error('tflite: expected one input');
    const inT = T(ir.inputs[0]);
    if (inT.shape.length !== 4) throw new Error('tflite: expected an NHWC image input');
    const [, H, W, C] = inT.shape;
    const inFloat = `${inT.name}/float`;
    {
        const [s, z] = actParams(g, inT);
        g.node('QuantizeLinear', [inFloat, s, z], [inT.name]);
    }
    if (cut && !ir.tensors.has(cut)) throw new Error(`--cut: no tensor named '${cut}'`);
    for (const op of ir.ops) {
        const o = op.opts || {}, out = op.outputs[0];
        switch (op.type) {
        case 'PAD': {
            const p = Array.from(T(op.inputs[1]).data); // [[0,0],[t,b],[l,r],[0,0]]
            const users = ir.ops.filter((q) => q.inputs.includes(out));
            const ok = users.length === 1 && (users[0].type === 'CONV_2D' || users[0].type === 'DEPTHWISE_CONV_2D') &&
                users[0].inputs[0] === out && p[0] === 0 && p[1] === 0 && p[6] === 0 && p[7] === 0;
            const qi = quantOf(T(op.inputs[0]), 'PAD input'), qo = quantOf(T(out), 'PAD output');
            if (!ok || qi.scale[0] !== qo.scale[0] || qi.zero_point[0] !== qo.zero_point[0])
                throw new Error(`${out}: only a PAD feeding one conv, same quantisation, is supported`);
            padOf.set(out, { src: nameOf(op.inputs[0]), pads: [p[2], p[4], p[3], p[5]] });
            break;
        }
        case 'CONV_2D':
        case 'DEPTHWISE_CONV_2D': {
            const dw = op.type === 'DEPTHWISE_CONV_2D';
            const x = T(op.inputs[0]), w = T(op.inputs[1]), wq = quantOf(w, 'weight');
            if (w.dtype !== 'int8') throw new Error(`${w.name}: weight type ${w.dtype}, expected int8`);
            let co, kh, kw, ci, wt;
            if (dw) {
                [, kh, kw, co] = w.shape; ci = 1;
                if (co !== x.shape[3]) throw new Error(`${out}: depth_multiplier != 1 not supported`);
                wt = new Int8Array(co * kh * kw);
                for (let t = 0; t < kh * kw; t++) for (let c = 0; c < co; c++) wt[c * kh * kw + t] = w.data[t * co + c];
            } else {
                [co, kh, kw, ci] = w.shape;
                wt = new Int8Array(co * ci * kh * kw);
                for (let oc = 0; oc < co; oc++) for (let t = 0; t < kh * kw; t++) for (let i = 0; i < ci; i++)
                    wt[(oc * ci + i) * kh * kw + t] = w.data[(oc * kh * kw + t) * ci + i];
            }
            const ws = wq.scale.length === co ? wq.scale : new Array(co).fill(wq.scale[0]);
            const [sh, sw] = o.stride;
            let pads = [0, 0, 0, 0];
            if (o.padding === 'SAME') pads = SAME_PADS(x.shape[1], x.shape[2], kh, kw, sh, sw);
            const pre = padOf.get(op.inputs[0]);
            if (pre) pads = pads.map((v, i) => v + pre.pads[i]);
            const ins = [dq(op.inputs[0]), constDq(`${out}/w`, [co, ci, kh, kw], wt, DT_INT8, ws, [])];
            const b = biasDq(op, co);
            if (b) ins.push(b);
            g.node('Conv', ins, [`${out}/f`], { kernel_shape: [kh, kw], strides: [sh, sw], pads,
                                                dilations: [1, 1], group: dw ? co : 1 });
            requant(`${out}/f`, out, o.act);
            break;
        }
        case 'ADD':
            g.node('Add', op.inputs.map(dq), [`${out}/f`]);
            requant(`${out}/f`, out, o.act || 'NONE');
            break;
        case 'AVERAGE_POOL_2D': {
            const x = T(op.inputs[0]);
            if (!(o.filter[0] === x.shape[1] && o.filter[1] === x.shape[2] && o.padding === 'VALID'))
                throw new Error(`${out}: only global average pooling is supported`);
            g.node('GlobalAveragePool', [dq(op.inputs[0])], [`${out}/f`]);
            requant(`${out}/f`, out, o.act || 'NONE');
            break;
        }
        case 'RESHAPE': {
            const x = T(op.inputs[0]), ns = T(out).shape;
            if (ns.length !== 2) throw new Error(`${out}: only RESHAPE to [batch, n] is supported`);
            let src = nameOf(op.inputs[0]);
            if (x.shape.length === 4 && x.shape[1] * x.shape[2] > 1) // NHWC flatten order
                src = g.node('Transpose', [src], [`${out}/nhwc`], { perm: [0, 2, 3, 1] });
            g.node('Flatten', [src], [out], { axis: 1 });
            actParams(g, T(out)); // the same parameters as its input (TFLite's constraint)
            break;
        }
        case 'FULLY_CONNECTED': {
            const w = T(op.inputs[1]), wq = quantOf(w, 'weight');
            if (w.dtype !== 'int8') throw new Error(`${w.name}: weight type ${w.dtype}, expected int8`);
            const co = w.shape[0];
            const ws = wq.scale.length === co ? wq.scale : new Array(co).fill(wq.scale[0]);
            const ins = [dq(op.inputs[0]), constDq(`${out}/w`, w.shape, w.data, DT_INT8, ws, [])];
            const b = biasDq(op, co);
            if (b) ins.push(b);
            g.node('Gemm', ins, [`${out}/f`], { transB: 1 });
            requant(`${out}/f`, out, o.act);
            break;
        }
        case 'SOFTMAX':
            if ((o.beta ?? 1) !== 1) throw new Error(`${out}: softmax beta != 1`);
            g.node('Softmax', [dq(op.inputs[0])], [`${out}/f`], { axis: -1 });
            requant(`${out}/f`, out);
            break;
        default:
            throw new Error(`op ${op.type} has no int8 ONNX mapping here`);
        }
        if (cut && op.outputs.includes(cut)) {
            if (op.type === 'PAD') throw new Error(`--cut ${cut}: a PAD output cannot be the output`);
            break;
        }
    }
    const outT = T(cut || ir.outputs[0]);
    let src = nameOf(outT.name);
    const outDims = outT.shape.slice();
    if (outDims.length === 4) src = g.node('Transpose', [src], [`${outT.name}/nhwc`], { perm: [0, 2, 3, 1] });
    const [s, z] = actParams(g, outT);
    const outName = g.node('DequantizeLinear', [src, s, z], [`${outT.name}/float`]);
    return g.model(inFloat, [1, C, H, W], outName, outDims,
                   { graphName: 'edgecl_mobilenet_v2_int8', producer: 'edgecl onnx_int8_export.mjs' });
}

// ------------------------------------------------------------------ CLI
function usage(code) {
    (code ? process.stderr : process.stdout).write(
        'usage: node tools/convert/onnx_int8_export.mjs [--model IN.tflite] [--out OUT.onnx]\n' +
        '                                               [--cut TENSOR] [--int8-activations]\n' +
        '  Writes an int8 .tflite (default models/mobilenet_v2_int8.tflite, from\n' +
        '  nsfwjs2tflite.mjs --int8) as QDQ ONNX opset 13 (QuantizeLinear/DequantizeLinear around\n' +
        '  float ops; the .tflite\'s int8 weights, per-channel scales and int32 biases unchanged)\n' +
        '  for ONNX Runtime\'s int8 kernels. Input float NCHW [1,3,N,N] (RGB/255), output float.\n' +
        '  Activations are uint8 with zero point + 128 (the same values; what ORT\'s x86 int8\n' +
        '  kernels take); --int8-activations keeps int8 (ORT then runs part of it in float).\n' +
        '  --cut TENSOR: that .tflite tensor is the output (e.g. average_pooling2d_1, the\n' +
        '  1280-d features; a 4-D output is transposed back to NHWC).\n' +
        '  Default --out models/mobilenet_v2_int8.onnx.\n');
    process.exit(code);
}

const args = process.argv.slice(2);
let model = path.join(root, 'models/mobilenet_v2_int8.tflite');
let out = path.join(root, 'models/mobilenet_v2_int8.onnx'), cut = null;
for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--help' || a === '-h') usage(0);
    else if (a === '--model' && i + 1 < args.length) model = args[++i];
    else if (a === '--out' && i + 1 < args.length) out = args[++i];
    else if (a === '--int8-activations') u8Acts = false;
    else if (a === '--cut' && i + 1 < args.length) cut = args[++i];
    else { process.stderr.write(`onnx_int8_export: unknown or incomplete argument '${a}'\n`); usage(2); }
}
try {
    let bytes;
    try {
        bytes = fs.readFileSync(model);
    } catch (e) {
        throw new Error(`cannot read ${model} (make it with node tools/convert/nsfwjs2tflite.mjs --int8 ` +
                        `--calib tests/data/calib --out models/mobilenet_v2_int8.tflite)`);
    }
    const ir = readTflite(bytes);
    const buf = irToQdq(ir, cut);
    fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    fs.writeFileSync(out, buf);
    process.stderr.write(`onnx_int8_export: wrote ${out} (${buf.length} bytes, ${ir.ops.length} .tflite ops)\n`);
} catch (e) {
    process.stderr.write(`onnx_int8_export: ${model}: ${e.message}\n`);
    process.exit(1);
}
