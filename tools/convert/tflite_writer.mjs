// tflite_writer.mjs - graph IR (keras_graph.mjs) -> TensorFlow Lite flatbuffer (schema v3).
//
// A hand-written FlatBuffers serializer, no code generator. FlatBuffers recap (little-endian):
//   file   = u32 offset to the root table, then the file identifier "TFL3".
//   table  = i32 soffset (table_pos - vtable_pos), then the fields, each naturally aligned.
//   vtable = u16 vtable_bytes, u16 table_bytes, u16 field_offset[i] (0: absent -> default).
//   offset fields (tables, vectors, strings) are u32, relative to the field's own position, and
//   must point forward (to a higher address).
//   vector = u32 count, then the elements (aligned to their size; Buffer.data to 16).
//   string = u32 length, the bytes, a NUL.
// This writer lays objects out front to back: a table is written first (its vtable just before
// it), its children are appended later, so every offset points forward, and the offset fields are
// patched once the child is placed. Fields holding default values are still written (explicit is
// simpler to read in a hex dump and costs a few bytes).
//
// TFLite mapping (see tensorflow/lite/schema/schema.fbs): Model{version 3, operator_codes
// (deprecated_builtin_code + builtin_code), subgraphs[1]{tensors, inputs, outputs, operators,
// name}, description, buffers (buffer 0 is the empty sentinel)}.
//
//   import { writeTflite } from './tflite_writer.mjs';
//   const bytes = writeTflite(graph, { description: 'MobileNetV2 (nsfwjs 4.4.0)' });  // Uint8Array

export const BuiltinOp = {
    ADD: 0, AVERAGE_POOL_2D: 1, CONCATENATION: 2, CONV_2D: 3, DEPTHWISE_CONV_2D: 4, DEQUANTIZE: 6,
    FULLY_CONNECTED: 9, LOGISTIC: 14, MAX_POOL_2D: 17, MUL: 18, RELU: 19, RELU6: 21, RESHAPE: 22,
    SOFTMAX: 25, PAD: 34, MEAN: 40, QUANTIZE: 114, HARD_SWISH: 117,
};
// Index in the BuiltinOptions union (0 = NONE).
const Opt = { Conv2D: 1, DepthwiseConv2D: 2, Pool2D: 5, FullyConnected: 8, Softmax: 9, Add: 11,
              Reshape: 17, Pad: 22, Reducer: 27 };
export const TensorType = { float32: 0, int32: 2, uint8: 3, int64: 4, int8: 9 };
const Padding = { SAME: 0, VALID: 1 };
const Act = { NONE: 0, RELU: 1, RELU6: 3 };

// ---- generic flatbuffer object model -------------------------------------------------------
// A table is { fields: [[id, kind, value], ...] } with kind one of
//   'u8' 'i8' 'bool' 'u16' 'i32' 'u32' 'f32' 'i64' 'u64'   scalar
//   'table' (value: table) 'string' (value: JS string)
//   'vec_table' (value: [table]) 'vec_i32' (Int32Array|[]) 'vec_f32' 'vec_i64' (BigInt64Array|[])
//   'vec_u8' (Uint8Array; align 16)
const SCALAR = { u8: 1, i8: 1, bool: 1, u16: 2, i32: 4, u32: 4, f32: 4, i64: 8, u64: 8 };

class Out {
    constructor() {
        this.buf = new Uint8Array(1 << 16);
        this.len = 0;
    }
    reserve(n) {
        if (this.len + n <= this.buf.length) return;
        let cap = this.buf.length;
        while (cap < this.len + n) cap *= 2;
        const nb = new Uint8Array(cap);
        nb.set(this.buf.subarray(0, this.len));
        this.buf = nb;
    }
    alloc(n, align) {
        // Start the block at a multiple of align; padding bytes are zero.
        const pos = Math.ceil(this.len / align) * align;
        this.reserve(pos + n - this.len);
        this.buf.fill(0, this.len, pos + n);
        this.len = pos + n;
        return pos;
    }
    dv() {
        return new DataView(this.buf.buffer, 0, this.buf.length);
    }
}

function writeScalar(dv, pos, kind, v) {
    switch (kind) {
    case 'u8': case 'bool': dv.setUint8(pos, Number(v)); break;
    case 'i8': dv.setInt8(pos, v); break;
    case 'u16': dv.setUint16(pos, v, true); break;
    case 'i32': dv.setInt32(pos, v, true); break;
    case 'u32': dv.setUint32(pos, v, true); break;
    case 'f32': dv.setFloat32(pos, v, true); break;
    case 'i64': dv.setBigInt64(pos, BigInt(v), true); break;
    case 'u64': dv.setBigUint64(pos, BigInt(v), true); break;
    default: throw new Error(`bad scalar kind ${kind}`);
    }
}

// Serialise `root` (a table) into a flatbuffer with file identifier `ident`.
export function serialize(root, ident) {
    const out = new Out();
    out.alloc(8, 8); // root offset + identifier
    for (let i = 0; i < 4; i++) out.buf[4 + i] = ident.charCodeAt(i);
    const pending = []; // [fieldPos, kind, value] offsets to patch once the child is placed
    const placeTable = (t) => {
        // Lay out fields: 8-byte scalars first, then 4, 2, 1 (offsets count as 4).
        const fields = t.fields.filter((f) => f[2] !== undefined && f[2] !== null);
        const size = (f) => SCALAR[f[1]] || 4;
        const sorted = fields.slice().sort((a, b) => size(b) - size(a) || a[0] - b[0]);
        let off = 4;
        const at = new Map();
        for (const f of sorted) {
            const s = size(f);
            off = Math.ceil(off / s) * s;
            at.set(f, off);
            off += s;
        }
        const tableBytes = Math.ceil(off / 4) * 4;
        const nslots = fields.reduce((m, f) => Math.max(m, f[0] + 1), 0);
        const vtBytes = 4 + 2 * nslots;
        const align = sorted.some((f) => size(f) === 8) ? 8 : 4;
        // vtable immediately before the table
        const start = out.len;
        let tpos = Math.ceil((start + vtBytes) / align) * align;
        out.alloc(tpos + tableBytes - start, 1);
        const vpos = tpos - vtBytes;
        const dv = out.dv();
        dv.setUint16(vpos, vtBytes, true);
        dv.setUint16(vpos + 2, tableBytes, true);
        for (const f of fields) dv.setUint16(vpos + 4 + 2 * f[0], at.get(f), true);
        dv.setInt32(tpos, tpos - vpos, true);
        for (const f of fields) {
            const p = tpos + at.get(f);
            if (SCALAR[f[1]]) writeScalar(dv, p, f[1], f[2]);
            else pending.push([p, f[1], f[2]]);
        }
        return tpos;
    };
    const placeChild = (kind, v) => {
        let pos;
        if (kind === 'table') return placeTable(v);
        if (kind === 'string') {
            const b = Buffer.from(v, 'utf8');
            pos = out.alloc(4 + b.length + 1, 4);
            out.dv().setUint32(pos, b.length, true);
            out.buf.set(b, pos + 4);
            return pos;
        }
        if (kind === 'vec_u8') {
            // data at a multiple of 16: place the length word 4 bytes before such a position
            const start = Math.ceil((out.len + 4) / 16) * 16 - 4;
            out.alloc(start - out.len, 1);
            pos = out.alloc(4 + v.length, 4);
            out.dv().setUint32(pos, v.length, true);
            out.buf.set(v, pos + 4);
            return pos;
        }
        if (kind === 'vec_i32' || kind === 'vec_f32') {
            pos = out.alloc(4 + 4 * v.length, 4);
            const dv = out.dv();
            dv.setUint32(pos, v.length, true);
            for (let i = 0; i < v.length; i++)
                if (kind === 'vec_i32') dv.setInt32(pos + 4 + 4 * i, v[i], true);
                else dv.setFloat32(pos + 4 + 4 * i, v[i], true);
            return pos;
        }
        if (kind === 'vec_i64') {
            const start = Math.ceil((out.len + 4) / 8) * 8 - 4;
            out.alloc(start - out.len, 1);
            pos = out.alloc(4 + 8 * v.length, 4);
            const dv = out.dv();
            dv.setUint32(pos, v.length, true);
            for (let i = 0; i < v.length; i++) dv.setBigInt64(pos + 4 + 8 * i, BigInt(v[i]), true);
            return pos;
        }
        if (kind === 'vec_table') {
            pos = out.alloc(4 + 4 * v.length, 4);
            out.dv().setUint32(pos, v.length, true);
            for (let i = 0; i < v.length; i++) pending.push([pos + 4 + 4 * i, 'table', v[i]]);
            return pos;
        }
        throw new Error(`bad field kind ${kind}`);
    };
    const rootPos = placeTable(root);
    out.dv().setUint32(0, rootPos, true);
    // Breadth-first: children are always appended after their parent -> forward offsets.
    for (let i = 0; i < pending.length; i++) {
        const [fieldPos, kind, v] = pending[i];
        const childPos = placeChild(kind, v);
        out.dv().setUint32(fieldPos, childPos - fieldPos, true);
        pending[i] = null; // let big buffers be collected
    }
    return out.buf.slice(0, out.len);
}

// ---- TFLite model ----------------------------------------------------------------------------

function optionsFor(op) {
    const o = op.opts || {};
    switch (op.type) {
    case 'CONV_2D':
        return [Opt.Conv2D, { fields: [[0, 'i8', Padding[o.padding]], [1, 'i32', o.stride[1]],
                                       [2, 'i32', o.stride[0]], [3, 'i8', Act[o.act]],
                                       [4, 'i32', 1], [5, 'i32', 1]] }];
    case 'DEPTHWISE_CONV_2D':
        return [Opt.DepthwiseConv2D,
                { fields: [[0, 'i8', Padding[o.padding]], [1, 'i32', o.stride[1]],
                           [2, 'i32', o.stride[0]], [3, 'i32', o.depth_multiplier],
                           [4, 'i8', Act[o.act]], [5, 'i32', 1], [6, 'i32', 1]] }];
    case 'AVERAGE_POOL_2D':
    case 'MAX_POOL_2D':
        return [Opt.Pool2D, { fields: [[0, 'i8', Padding[o.padding]], [1, 'i32', o.stride[1]],
                                       [2, 'i32', o.stride[0]], [3, 'i32', o.filter[1]],
                                       [4, 'i32', o.filter[0]], [5, 'i8', Act[o.act]]] }];
    case 'FULLY_CONNECTED':
        return [Opt.FullyConnected, { fields: [[0, 'i8', Act[o.act]], [1, 'i8', 0],
                                               [2, 'bool', false]] }];
    case 'SOFTMAX':
        return [Opt.Softmax, { fields: [[0, 'f32', o.beta ?? 1.0]] }];
    case 'ADD':
        return [Opt.Add, { fields: [[0, 'i8', Act[o.act || 'NONE']]] }];
    case 'RESHAPE':
        return [Opt.Reshape, { fields: [[0, 'vec_i32', Int32Array.from(o.new_shape)]] }];
    case 'PAD':
        return [Opt.Pad, { fields: [] }];
    case 'MEAN':
        return [Opt.Reducer, { fields: [[0, 'bool', !!o.keep_dims]] }];
    case 'QUANTIZE':
    case 'DEQUANTIZE':
        return [0, null];
    default:
        throw new Error(`tflite_writer: op ${op.type} not supported`);
    }
}

function bytesOf(t) {
    const d = t.data;
    return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

// Tensor quantisation (IR t.quant = { scale: [..], zero_point: [..], axis }) for int8 models.
function quantTable(q) {
    if (!q) return undefined;
    return { fields: [[2, 'vec_f32', Float32Array.from(q.scale)],
                      [3, 'vec_i64', q.zero_point.map((z) => BigInt(z))],
                      [6, 'i32', q.axis || 0]] };
}

// A ModelMetadata flatbuffer (metadata_schema.fbs, identifier M001) with one subgraph whose
// input 0 has a NormalizationOptions process unit: real input = (pixel - mean) / std.
function tfliteMetadata(name, { mean, std }) {
    const norm = { fields: [[0, 'vec_f32', Float32Array.from(mean)], [1, 'vec_f32', Float32Array.from(std)]] };
    const unit = { fields: [[0, 'u8', 1 /* NormalizationOptions */], [1, 'table', norm]] };
    const input = { fields: [[0, 'string', 'image'], [4, 'vec_table', [unit]]] };
    const sub = { fields: [[2, 'vec_table', [input]]] };
    const meta = { fields: [[0, 'string', name], [3, 'vec_table', [sub]], [7, 'string', '1.0.0']] };
    return serialize(meta, 'M001');
}

export function writeTflite(g, opts = {}) {
    const names = [...g.tensors.keys()];
    const index = new Map(names.map((n, i) => [n, i]));
    const buffers = [{ fields: [] }]; // 0: empty sentinel
    const tensors = names.map((n) => {
        const t = g.tensors.get(n);
        let buf = 0;
        if (t.data) {
            buf = buffers.length;
            buffers.push({ fields: [[0, 'vec_u8', bytesOf(t)]] });
        }
        const type = TensorType[t.dtype];
        if (type === undefined) throw new Error(`${n}: dtype ${t.dtype} not supported`);
        return { fields: [[0, 'vec_i32', Int32Array.from(t.shape)], [1, 'i8', type],
                          [2, 'u32', buf], [3, 'string', n], [4, 'table', quantTable(t.quant)]] };
    });
    const codes = [];
    const codeIndex = new Map();
    const operators = g.ops.map((op) => {
        const code = BuiltinOp[op.type];
        if (code === undefined) throw new Error(`op ${op.type} has no TFLite builtin code`);
        if (!codeIndex.has(op.type)) {
            codeIndex.set(op.type, codes.length);
            codes.push({ fields: [[0, 'i8', Math.min(code, 127)], [2, 'i32', op.version || 1],
                                  [3, 'i32', code]] });
        }
        const idx = (n) => {
            if (!index.has(n)) throw new Error(`${op.type}: unknown tensor ${n}`);
            return index.get(n);
        };
        const [optType, optTable] = optionsFor(op);
        const f = [[0, 'u32', codeIndex.get(op.type)], [1, 'vec_i32', Int32Array.from(op.inputs.map(idx))],
                   [2, 'vec_i32', Int32Array.from(op.outputs.map(idx))]];
        if (optTable) f.push([3, 'u8', optType], [4, 'table', optTable]);
        return { fields: f };
    });
    const subgraph = { fields: [
        [0, 'vec_table', tensors],
        [1, 'vec_i32', Int32Array.from(g.inputs.map((n) => index.get(n)))],
        [2, 'vec_i32', Int32Array.from(g.outputs.map((n) => index.get(n)))],
        [3, 'vec_table', operators],
        [4, 'string', opts.name || 'main'],
    ] };
    const model = { fields: [
        [0, 'u32', 3],
        [1, 'vec_table', codes],
        [2, 'vec_table', [subgraph]],
        [3, 'string', opts.description || 'edgecl converter'],
        [4, 'vec_table', buffers],
    ] };
    if (opts.normalization) { // TFLite metadata: the input's mean/std, as TF Hub models carry it
        buffers.push({ fields: [[0, 'vec_u8', tfliteMetadata(opts.name || 'main', opts.normalization)]] });
        model.fields.push([6, 'vec_table', [{ fields: [[0, 'string', 'TFLITE_METADATA'],
                                                       [1, 'u32', buffers.length - 1]] }]]);
    }
    return serialize(model, 'TFL3');
}
