// ir_eval.mjs - run the graph IR of keras_graph.mjs with tfjs ops (cpu backend).
//
// This is an independent check of the conversion (BN folding, layouts, padding): the IR, evaluated
// op by op, must reproduce the Keras model run by tfjs itself (make_goldens.mjs --check does it).
//
//   import { loadTf } from './tfjs_util.mjs';
//   const tf = await loadTf();
//   const vals = evalGraph(tf, g, inputFloat32NHWC, ['block_13_expand_relu']);  // Map name -> Float32Array

function toTfConv(tf, w) {
    // TFLite [out,kh,kw,in] -> tfjs [kh,kw,in,out]
    return tf.tensor(w.data, w.shape).transpose([1, 2, 3, 0]);
}
function toTfDw(tf, w, mult) {
    // TFLite [1,kh,kw,in*mult] -> tfjs [kh,kw,in,mult]
    const [, kh, kw, c] = w.shape;
    return tf.tensor(w.data, [kh, kw, c / mult, mult]);
}

function act(tf, x, a) {
    if (a === 'RELU') return tf.relu(x);
    if (a === 'RELU6') return tf.clipByValue(x, 0, 6);
    return x;
}

// Quantised tensors (int8 models read back by tflite_reader.mjs) are simulated: constants are
// dequantised, and every quantised activation is rounded to its int8 grid ("fake quant"), which
// approximates an int8 interpreter up to its requantisation rounding.
function deq(t) {
    if (!t.quant || t.dtype === 'float32') return t;
    const { scale, zero_point } = t.quant;
    const nch = scale.length;
    const axis = nch > 1 ? t.quant.axis : 0;
    const inner = nch > 1 ? t.shape.slice(axis + 1).reduce((a, b) => a * b, 1) : t.data.length;
    const data = Float32Array.from(t.data, (q, i) => {
        const c = nch > 1 ? Math.floor(i / inner) % nch : 0;
        return scale[c] * (q - (zero_point[c] || 0));
    });
    return { ...t, dtype: 'float32', data };
}

function fakeQuant(tf, y, t) {
    if (!t || !t.quant || t.dtype !== 'int8') return y;
    const s = t.quant.scale[0], z = t.quant.zero_point[0];
    return tf.tidy(() => tf.clipByValue(tf.round(tf.div(y, s)).add(z), -128, 127).sub(z).mul(s));
}

export function evalGraph(tf, g, input, want = g.outputs) {
    const env = new Map();
    const inT = g.tensors.get(g.inputs[0]);
    const inShape = inT.shape;
    env.set(g.inputs[0], fakeQuant(tf, tf.tensor(input, inShape), inT));
    const wantSet = new Set(want);
    const out = new Map();
    for (const op of g.ops) {
        const x = env.get(op.inputs[0]);
        const t = (i) => deq(g.tensors.get(op.inputs[i]));
        let y;
        const o = op.opts;
        switch (op.type) {
        case 'PAD': {
            const p = t(1).data;
            y = tf.pad(x, [[p[0], p[1]], [p[2], p[3]], [p[4], p[5]], [p[6], p[7]]]);
            break;
        }
        case 'CONV_2D':
            y = tf.conv2d(x, toTfConv(tf, t(1)), o.stride, o.padding.toLowerCase());
            y = act(tf, tf.add(y, tf.tensor(t(2).data)), o.act);
            break;
        case 'DEPTHWISE_CONV_2D':
            y = tf.depthwiseConv2d(x, toTfDw(tf, t(1), o.depth_multiplier), o.stride,
                                   o.padding.toLowerCase());
            y = act(tf, tf.add(y, tf.tensor(t(2).data)), o.act);
            break;
        case 'ADD':
            y = act(tf, tf.add(x, env.get(op.inputs[1])), o.act);
            break;
        case 'AVERAGE_POOL_2D':
            y = act(tf, tf.avgPool(x, o.filter, o.stride, o.padding.toLowerCase()), o.act);
            break;
        case 'MEAN':
            y = tf.mean(x, [1, 2], true);
            break;
        case 'RESHAPE':
            y = tf.reshape(x, o.new_shape);
            break;
        case 'FULLY_CONNECTED': {
            const w = t(1);
            y = tf.matMul(x, tf.tensor(w.data, w.shape), false, true);
            y = act(tf, tf.add(y, tf.tensor(t(2).data)), o.act);
            break;
        }
        case 'SOFTMAX':
            y = tf.softmax(tf.mul(x, o.beta));
            break;
        default:
            throw new Error(`ir_eval: op ${op.type} not supported`);
        }
        y = fakeQuant(tf, y, g.tensors.get(op.outputs[0]));
        env.set(op.outputs[0], y);
        if (wantSet.has(op.outputs[0])) out.set(op.outputs[0], y.dataSync().slice());
    }
    for (const v of env.values()) v.dispose();
    return out;
}
