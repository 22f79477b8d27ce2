// tflite_reader.mjs - minimal TFLite flatbuffer reader, back into the graph IR.
//
// Used by selftest.mjs to round-trip the writer's output (write -> read -> evaluate with tfjs ->
// compare with the Keras model), and by tools to inspect a .tflite. Bounds-checked; it reads only
// what the writer produces (builtin options of the supported ops, per-tensor/per-channel quant).
//
//   import { readTflite } from './tflite_reader.mjs';
//   const g = readTflite(fs.readFileSync('models/mobilenet_v2.tflite'));

import { BuiltinOp, TensorType } from './tflite_writer.mjs';

const opName = Object.fromEntries(Object.entries(BuiltinOp).map(([k, v]) => [v, k]));
const typeName = Object.fromEntries(Object.entries(TensorType).map(([k, v]) => [v, k]));
const PAD = ['SAME', 'VALID'];
const ACT = { 0: 'NONE', 1: 'RELU', 3: 'RELU6' };

class Fb {
    constructor(bytes) {
        this.b = bytes;
        this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    chk(pos, n) {
        if (pos < 0 || pos + n > this.b.length) throw new Error(`flatbuffer: offset ${pos}+${n} out of range`);
    }
    u32(p) { this.chk(p, 4); return this.dv.getUint32(p, true); }
    i32(p) { this.chk(p, 4); return this.dv.getInt32(p, true); }
    deref(p) { return p + this.u32(p); }
    // Field accessor for the table at t: returns the absolute field position or 0.
    field(t, id) {
        const vt = t - this.i32(t);
        this.chk(vt, 4);
        const vtBytes = this.dv.getUint16(vt, true);
        if (4 + 2 * id >= vtBytes) return 0;
        this.chk(vt + 4 + 2 * id, 2);
        const o = this.dv.getUint16(vt + 4 + 2 * id, true);
        return o ? t + o : 0;
    }
    scalar(t, id, kind, def = 0) {
        const p = this.field(t, id);
        if (!p) return def;
        const n = { i8: 1, u8: 1, i32: 4, u32: 4, f32: 4 }[kind];
        this.chk(p, n);
        return kind === 'i8' ? this.dv.getInt8(p) : kind === 'u8' ? this.dv.getUint8(p)
             : kind === 'i32' ? this.dv.getInt32(p, true) : kind === 'u32' ? this.dv.getUint32(p, true)
             : this.dv.getFloat32(p, true);
    }
    table(t, id) { const p = this.field(t, id); return p ? this.deref(p) : 0; }
    vec(t, id) {
        const p = this.field(t, id);
        if (!p) return null;
        const v = this.deref(p);
        return { pos: v + 4, len: this.u32(v) };
    }
    str(t, id) {
        const v = this.vec(t, id);
        if (!v) return null;
        this.chk(v.pos, v.len);
        return Buffer.from(this.b.subarray(v.pos, v.pos + v.len)).toString('utf8');
    }
    i32vec(t, id) {
        const v = this.vec(t, id);
        if (!v) return [];
        this.chk(v.pos, 4 * v.len);
        return Array.from({ length: v.len }, (_, i) => this.dv.getInt32(v.pos + 4 * i, true));
    }
    tables(t, id) {
        const v = this.vec(t, id);
        if (!v) return [];
        return Array.from({ length: v.len }, (_, i) => this.deref(v.pos + 4 * i));
    }
}

export function readTflite(bytes) {
    const fb = new Fb(bytes);
    if (bytes.length < 8) throw new Error('not a .tflite file (too short)');
    const ident = Buffer.from(bytes.subarray(4, 8)).toString('latin1');
    if (ident !== 'TFL3') throw new Error(`not a .tflite file (identifier '${ident}')`);
    const m = fb.deref(0);
    const version = fb.scalar(m, 0, 'u32');
    const codes = fb.tables(m, 1).map((c) => {
        const dep = fb.scalar(c, 0, 'i8');
        const code = Math.max(dep, fb.scalar(c, 3, 'i32'));
        return opName[code] || `BUILTIN_${code}`;
    });
    const buffers = fb.tables(m, 4).map((b) => {
        const v = fb.vec(b, 0);
        if (!v) return null;
        fb.chk(v.pos, v.len);
        return { pos: v.pos, len: v.len };
    });
    const sg = fb.tables(m, 2)[0];
    const g = { version, description: fb.str(m, 3), inputs: [], outputs: [], tensors: new Map(),
                ops: [] };
    const tnames = [];
    for (const t of fb.tables(sg, 0)) {
        const name = fb.str(t, 3);
        const shape = fb.i32vec(t, 0);
        const dtype = typeName[fb.scalar(t, 1, 'i8')];
        const b = buffers[fb.scalar(t, 2, 'u32')];
        const ten = { name, shape, dtype, aliases: [] };
        if (b && b.len) {
            const raw = Uint8Array.prototype.slice.call(bytes, b.pos, b.pos + b.len); // a copy, also for Buffers
            ten.data = dtype === 'float32' ? new Float32Array(raw.buffer)
                     : dtype === 'int32' ? new Int32Array(raw.buffer)
                     : dtype === 'int8' ? new Int8Array(raw.buffer) : raw;
        }
        const q = fb.table(t, 4);
        if (q) {
            const sv = fb.vec(q, 2), zv = fb.vec(q, 3);
            if (sv) {
                ten.quant = {
                    scale: Array.from({ length: sv.len }, (_, i) => fb.dv.getFloat32(sv.pos + 4 * i, true)),
                    zero_point: Array.from({ length: zv ? zv.len : 0 },
                                           (_, i) => Number(fb.dv.getBigInt64(zv.pos + 8 * i, true))),
                    axis: fb.scalar(q, 6, 'i32'),
                };
            }
        }
        tnames.push(name);
        g.tensors.set(name, ten);
    }
    g.inputs = fb.i32vec(sg, 1).map((i) => tnames[i]);
    g.outputs = fb.i32vec(sg, 2).map((i) => tnames[i]);
    for (const o of fb.tables(sg, 3)) {
        const type = codes[fb.scalar(o, 0, 'u32')];
        const inputs = fb.i32vec(o, 1).map((i) => tnames[i]);
        const outputs = fb.i32vec(o, 2).map((i) => tnames[i]);
        const ot = fb.table(o, 4);
        const opts = {};
        if (ot) {
            if (type === 'CONV_2D') {
                Object.assign(opts, { padding: PAD[fb.scalar(ot, 0, 'i8')],
                                      stride: [fb.scalar(ot, 2, 'i32'), fb.scalar(ot, 1, 'i32')],
                                      act: ACT[fb.scalar(ot, 3, 'i8')] });
            } else if (type === 'DEPTHWISE_CONV_2D') {
                Object.assign(opts, { padding: PAD[fb.scalar(ot, 0, 'i8')],
                                      stride: [fb.scalar(ot, 2, 'i32'), fb.scalar(ot, 1, 'i32')],
                                      depth_multiplier: fb.scalar(ot, 3, 'i32'),
                                      act: ACT[fb.scalar(ot, 4, 'i8')] });
            } else if (type === 'AVERAGE_POOL_2D' || type === 'MAX_POOL_2D') {
                Object.assign(opts, { padding: PAD[fb.scalar(ot, 0, 'i8')],
                                      stride: [fb.scalar(ot, 2, 'i32'), fb.scalar(ot, 1, 'i32')],
                                      filter: [fb.scalar(ot, 4, 'i32'), fb.scalar(ot, 3, 'i32')],
                                      act: ACT[fb.scalar(ot, 5, 'i8')] });
            } else if (type === 'FULLY_CONNECTED' || type === 'ADD') {
                opts.act = ACT[fb.scalar(ot, 0, 'i8')];
            } else if (type === 'SOFTMAX') {
                opts.beta = fb.scalar(ot, 0, 'f32');
            } else if (type === 'RESHAPE') {
                opts.new_shape = fb.i32vec(ot, 0);
            }
        }
        if (type === 'RESHAPE' && !opts.new_shape) opts.new_shape = Array.from(g.tensors.get(inputs[1]).data);
        g.ops.push({ type, inputs, outputs, opts });
    }
    return g;
}
