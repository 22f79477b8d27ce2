// no_xnnpack.mjs - makes the tfjs-tflite runtime run a model on TFLite's builtin kernels.
//
// The wasm runtime applies XNNPACK as the interpreter's default delegate and offers no option
// to turn it off (docs/backbone.md, "Against TFLite itself"). But when the delegate fails while
// creating its runtime, TFLite reverts it ("Restored original execution plan after delegate
// application failure.") and runs the whole graph with its own kernels. withoutXnnpack() adds
// one node that XNNPACK accepts when partitioning but cannot create: a 1x1 CONV_2D reading the
// subgraph's first input (4D uint8 or int8; a 4D float input is first quantised to uint8 by an
// added QUANTIZE node) whose requantisation scale (input scale * filter scale / output scale =
// 1000) is beyond XNNPACK's limit of 256. TFLite's own conv kernel runs it fine; its output is
// a new tensor nobody reads, so the model's outputs are unchanged.
//
// The flatbuffer is rewritten without a flatbuffers library: the original bytes are kept as
// they are (every offset in them is relative, so they stay valid) after a new head holding a
// new root table, new vectors (operator codes, subgraphs, buffers, tensors, operators) whose
// elements point forward into the old bytes or to the new tables, and the new node's tables.
// Returns null when the model's first input is not a 4D uint8/int8/float32 tensor.

const F32 = 0, I32 = 2, U8 = 3, I8 = 9; // TensorType
const CONV_2D = 3, QUANTIZE = 114, CONV2D_OPTIONS = 1, VALID = 1;

class Reader {
  constructor(b) { this.b = b; }
  u32(o) { return this.b.readUInt32LE(o); }
  i32(o) { return this.b.readInt32LE(o); }
  // absolute position of field idx of the table at tab, or 0 when absent
  field(tab, idx) {
    const vt = tab - this.i32(tab);
    const vlen = this.b.readUInt16LE(vt);
    if (4 + 2 * idx >= vlen) return 0;
    const off = this.b.readUInt16LE(vt + 4 + 2 * idx);
    return off ? tab + off : 0;
  }
  nfields(tab) { return (this.b.readUInt16LE(tab - this.i32(tab)) - 4) / 2; }
  deref(pos) { return pos + this.u32(pos); }
  // the positions of a vector of tables (the tables themselves), from the field's position
  tables(pos) {
    const v = this.deref(pos), n = this.u32(v);
    return Array.from({ length: n }, (_, i) => this.deref(v + 4 + 4 * i));
  }
  ints(pos) {
    const v = this.deref(pos), n = this.u32(v);
    return Array.from({ length: n }, (_, i) => this.i32(v + 4 + 4 * i));
  }
}

// A forward-only writer: items are laid out in order, offsets are resolved at the end
// (each referent is written after its referrer, as flatbuffers' uoffsets must point forward).
class Head {
  constructor() { this.bytes = []; this.fix = []; }
  get pos() { return this.bytes.length; }
  align(n) { while (this.bytes.length % n) this.bytes.push(0); }
  put(buf) { for (const x of buf) this.bytes.push(x); }
  u32(v) { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); this.put(b); }
  // a reference to a target resolved later: target() returns its absolute position
  ref(target) { this.fix.push([this.pos, target]); this.u32(0); }
  // table: fields = [[kind, value]] by field index (null = absent); kinds: u8, i32, f32, ref
  table(fields) {
    this.align(4);
    const n = fields.length, vt = this.pos;
    const layout = [];
    let size = 4;
    for (const f of fields) {
      if (!f) { layout.push(0); continue; }
      layout.push(size);
      size += 4; // every field takes 4 bytes (u8 padded): simple and aligned
    }
    const vtBytes = Buffer.alloc(4 + 2 * n);
    vtBytes.writeUInt16LE(4 + 2 * n, 0);
    vtBytes.writeUInt16LE(size, 2);
    layout.forEach((o, i) => vtBytes.writeUInt16LE(o, 4 + 2 * i));
    this.put(vtBytes);
    this.align(4);
    const tab = this.pos;
    const so = Buffer.alloc(4);
    so.writeInt32LE(tab - vt);
    this.put(so);
    for (const f of fields) {
      if (!f) continue;
      const [kind, v] = f;
      if (kind === 'ref') this.ref(v);
      else {
        const b = Buffer.alloc(4);
        if (kind === 'u8') b.writeUInt8(v);
        else if (kind === 'f32') b.writeFloatLE(v);
        else b.writeInt32LE(v);
        this.put(b);
      }
    }
    return tab;
  }
  // vector of references
  refs(targets) { this.align(4); const at = this.pos; this.u32(targets.length); for (const t of targets) this.ref(t); return at; }
  // vector of scalars: kind i32 / f32 / i64 / u8 (the elements of an i64 vector 8-aligned:
  // head positions are absolute minus 8, so a multiple of 8 here is one there too)
  scalars(kind, vals) {
    const w = { i32: 4, f32: 4, i64: 8, u8: 1 }[kind];
    this.align(4);
    if (w === 8 && this.pos % 8 === 0) this.u32(0); // length at 4 mod 8, elements at 0 mod 8
    const at = this.pos;
    this.u32(vals.length);
    const b = Buffer.alloc(w * vals.length);
    vals.forEach((v, i) => {
      if (kind === 'i32') b.writeInt32LE(v, 4 * i);
      else if (kind === 'f32') b.writeFloatLE(v, 4 * i);
      else if (kind === 'i64') b.writeBigInt64LE(BigInt(v), 8 * i);
      else b.writeUInt8(v, i);
    });
    this.put(b);
    return at;
  }
}

// outputs (optional): tensor indices that replace the subgraph's outputs (to read intermediate
// tensors when looking for where two runtimes part).
export function withoutXnnpack(model, outputs = null) {
  const buf = Buffer.from(model);
  const r = new Reader(buf);
  const root = r.deref(0);
  const fSub = r.field(root, 2), fCodes = r.field(root, 1), fBufs = r.field(root, 4);
  if (!fSub || !fCodes || !fBufs) return null;
  const subs = r.tables(fSub), sg = subs[0];
  const tensors = r.tables(r.field(sg, 0)), ops = r.tables(r.field(sg, 3));
  const inIdx = r.ints(r.field(sg, 1))[0];
  const t = tensors[inIdx];
  const type = r.field(t, 1) ? buf.readUInt8(r.field(t, 1)) : 0;
  const shape = r.field(t, 0) ? r.ints(r.field(t, 0)) : [];
  const q = r.field(t, 4) ? r.deref(r.field(t, 4)) : 0;
  const scPos = q && r.field(q, 2);
  if (shape.length !== 4) return null;
  if (type !== F32 && (type !== U8 && type !== I8 || !scPos)) return null;
  for (const b of r.tables(fBufs)) if (r.field(b, 1)) return null; // offset-based buffers
  const c = shape[3];
  // a float input is first quantised to uint8 (scale 1/64, zero point 128) by a QUANTIZE node
  const viaQ = type === F32;
  const qType = viaQ ? U8 : type;
  const inScale = viaQ ? 1 / 64 : buf.readFloatLE(r.deref(scPos) + 4);
  const nBufs = r.tables(fBufs).length, nTensors = tensors.length, nCodes = r.tables(fCodes).length;

  const h = new Head();
  const ALIGN = 16;
  let D = 0; // where the old bytes start, known at the end
  const old = (p) => () => D + p;
  const at = {}; // new items' positions, filled as they are written
  const mine = (k) => () => 8 + at[k];
  // header (root offset + identifier) is written at the end; head positions are relative to 8

  // root table: copy every field, replace operator_codes (1), subgraphs (2), buffers (4)
  const rootFields = [];
  for (let i = 0; i < r.nfields(root); i++) {
    const p = r.field(root, i);
    if (!p) rootFields.push(null);
    else if (i === 1) rootFields.push(['ref', mine('codes')]);
    else if (i === 2) rootFields.push(['ref', mine('subs')]);
    else if (i === 4) rootFields.push(['ref', mine('bufs')]);
    else if (i === 0) rootFields.push(['i32', r.i32(p)]);
    else rootFields.push(['ref', old(r.deref(p))]);
  }
  at.root = h.table(rootFields);
  at.codes = h.refs([...r.tables(fCodes).map(old), mine('code'), ...(viaQ ? [mine('codeQ')] : [])]);
  at.subs = h.refs([mine('sub'), ...subs.slice(1).map(old)]);
  at.bufs = h.refs([...r.tables(fBufs).map(old), mine('bufW'), mine('bufB')]);
  // subgraph 0: new tensors and operators, the rest as it was
  const sgFields = [];
  for (let i = 0; i < r.nfields(sg); i++) {
    const p = r.field(sg, i);
    if (i === 0) sgFields.push(['ref', mine('tensors')]);
    else if (i === 3) sgFields.push(['ref', mine('ops')]);
    else if (i === 2 && outputs) sgFields.push(['ref', mine('sgOut')]);
    else if (!p) sgFields.push(null);
    else if (i <= 4) sgFields.push(['ref', old(r.deref(p))]);
    else sgFields.push(['i32', r.i32(p)]);
  }
  at.sub = h.table(sgFields);
  at.tensors = h.refs([...tensors.map(old), mine('tW'), mine('tB'), mine('tO'), ...(viaQ ? [mine('tQ')] : [])]);
  at.ops = h.refs([...ops.map(old), ...(viaQ ? [mine('opQ')] : []), mine('op')]);
  at.code = h.table([['u8', CONV_2D], null, ['i32', 1], ['i32', CONV_2D]]);
  if (viaQ) at.codeQ = h.table([['u8', QUANTIZE], null, ['i32', 1], ['i32', QUANTIZE]]);
  // filter [1,1,1,C] scale 1, bias [1] scale = input scale, output [N,H,W,1] scale / 1000
  const zp = qType === U8 ? 128 : 0;
  const tensor = (name, ty, shapeK, bufIdx, qK) =>
    h.table([['ref', mine(shapeK)], ['u8', ty], ['i32', bufIdx], ['ref', mine(name)], ['ref', mine(qK)]]);
  at.tW = tensor('nW', qType, 'sW', nBufs, 'qW');
  at.tB = tensor('nB', I32, 'sB', nBufs + 1, 'qB');
  at.tO = tensor('nO', qType, 'sO', 0, 'qO');
  if (viaQ) at.tQ = tensor('nQ', U8, 'sQ', 0, 'qQ');
  const quant = (s, z) => h.table([null, null, ['ref', mine(s)], ['ref', mine(z)]]);
  at.qW = quant('scW', 'zW');
  at.qB = quant('scB', 'zB');
  at.qO = quant('scO', 'zO');
  if (viaQ) {
    at.qQ = quant('scQ', 'zQ');
    at.opQ = h.table([['i32', nCodes + 1], ['ref', mine('opQIn')], ['ref', mine('opQOut')]]);
  }
  at.op = h.table([['i32', nCodes], ['ref', mine('opIn')], ['ref', mine('opOut')], ['u8', CONV2D_OPTIONS], ['ref', mine('opt')]]);
  at.opt = h.table([['u8', VALID], ['i32', 1], ['i32', 1], ['u8', 0], ['i32', 1], ['i32', 1]]);
  at.bufW = h.table([['ref', mine('dW')]]);
  at.bufB = h.table([['ref', mine('dB')]]);
  at.sW = h.scalars('i32', [1, 1, 1, c]);
  at.sB = h.scalars('i32', [1]);
  at.sO = h.scalars('i32', [shape[0], shape[1], shape[2], 1]);
  if (viaQ) at.sQ = h.scalars('i32', shape);
  const names = [['nW', 'no_xnnpack/filter'], ['nB', 'no_xnnpack/bias'], ['nO', 'no_xnnpack/out']];
  if (viaQ) names.push(['nQ', 'no_xnnpack/quantized']);
  for (const [k, s] of names) {
    at[k] = h.scalars('u8', [...Buffer.from(s)]);
    h.put([0]); // strings end with a 0 byte
  }
  at.scW = h.scalars('f32', [1]);
  at.zW = h.scalars('i64', [zp]);
  at.scB = h.scalars('f32', [inScale]);
  at.zB = h.scalars('i64', [0]);
  at.scO = h.scalars('f32', [inScale / 1000]);
  at.zO = h.scalars('i64', [zp]);
  if (viaQ) {
    at.scQ = h.scalars('f32', [inScale]);
    at.zQ = h.scalars('i64', [zp]);
    at.opQIn = h.scalars('i32', [inIdx]);
    at.opQOut = h.scalars('i32', [nTensors + 3]);
  }
  // the conv reads the input, or the QUANTIZE node's output
  at.opIn = h.scalars('i32', [viaQ ? nTensors + 3 : inIdx, nTensors, nTensors + 1]);
  at.opOut = h.scalars('i32', [nTensors + 2]);
  if (outputs) at.sgOut = h.scalars('i32', outputs);
  h.align(ALIGN);
  at.dW = h.scalars('u8', Array(c).fill(zp + 1));
  h.align(ALIGN);
  at.dB = h.scalars('u8', [0, 0, 0, 0]);
  h.align(ALIGN);
  while ((8 + h.pos) % ALIGN) h.put([0]);
  D = 8 + h.pos;
  const head = Buffer.from(h.bytes);
  for (const [p, target] of h.fix) {
    const abs = target(), from = 8 + p;
    if (abs <= from) throw new Error('no_xnnpack: backward reference');
    head.writeUInt32LE(abs - from, p);
  }
  const pre = Buffer.alloc(8);
  pre.writeUInt32LE(8 + at.root, 0);
  buf.copy(pre, 4, 4, 8); // the file identifier ("TFL3")
  return Buffer.concat([pre, head, buf]);
}
