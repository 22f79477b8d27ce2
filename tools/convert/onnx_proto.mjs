// tools/convert/onnx_proto.mjs - the small ONNX protobuf subset the exporters write
// (onnx_export.mjs: float MobileNetV2; onnx_int8_export.mjs: its int8 .tflite as QDQ ONNX).
//
//   import { Graph, DT_INT8 } from './onnx_proto.mjs';
//   const g = new Graph();
//   g.init('w', [2, 3], [1, 2, 3, 4, 5, 6]);                  // float32 initializer
//   g.node('MatMul', ['x', 'w'], ['y']);
//   fs.writeFileSync('m.onnx', g.model('x', [1, 2], 'y', [1, 3]));
//
// Why a hand-written protobuf encoder: no protobuf/onnx package is available offline, and the
// subset needed (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto)
// is ~20 fields. Encoding rules: varint for int32/int64/enum, length-delimited for strings,
// bytes and sub-messages, fixed32 for float.

export class PB {
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

// TensorProto.DataType values and the typed arrays their raw_data is written from.
export const DT_FLOAT = 1, DT_UINT8 = 2, DT_INT8 = 3, DT_INT32 = 6, DT_INT64 = 7;
const AT_FLOAT = 1, AT_INT = 2, AT_INTS = 7;

function rawData(data, dtype) {
    switch (dtype) {
    case DT_FLOAT: return Buffer.from(Float32Array.from(data).buffer);
    case DT_UINT8: return Buffer.from(Uint8Array.from(data).buffer);
    case DT_INT8: return Buffer.from(Int8Array.from(data).buffer);
    case DT_INT32: return Buffer.from(Int32Array.from(data).buffer);
    case DT_INT64: return Buffer.from(BigInt64Array.from(Array.from(data, BigInt)).buffer);
    default: throw new Error(`onnx_proto: data type ${dtype} not supported`);
    }
}

export function tensorProto(name, dims, data, dtype = DT_FLOAT) {
    const t = new PB();
    for (const d of dims) t.int(1, d);
    t.int(2, dtype);
    t.str(8, name);
    t.bytes(9, rawData(data, dtype));
    return t;
}

export function valueInfo(name, dims, dtype = DT_FLOAT) {
    const shape = new PB();
    for (const d of dims) { const dim = new PB(); dim.int(1, d); shape.msg(1, dim); }
    const tt = new PB(); tt.int(1, dtype); tt.msg(2, shape);
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

// Graph builder: nodes + initializers, serialised by model(). Integer attribute values are
// written as INT, others as FLOAT, arrays as INTS.
export class Graph {
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
    // ir_version 7 (ONNX 1.8), default domain opset 13; float32 input and output.
    model(inputName, inDims, outName, outDims,
          { graphName = 'edgecl_mobilenet_v2', producer = 'edgecl onnx_export.mjs' } = {}) {
        const g = new PB();
        for (const n of this.nodes) g.msg(1, n);
        g.str(2, graphName);
        for (const t of this.inits) g.msg(5, t);
        g.msg(11, valueInfo(inputName, inDims));
        g.msg(12, valueInfo(outName, outDims));
        const m = new PB();
        m.int(1, 7);
        m.str(2, producer);
        m.str(3, '0.1');
        m.msg(7, g);
        const os = new PB(); os.str(1, ''); os.int(2, 13);
        m.msg(8, os);
        return m.finish();
    }
}
