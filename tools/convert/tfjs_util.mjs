// tfjs_util.mjs - load @tensorflow/tfjs (pure-JS cpu backend) and the nsfwjs Keras model into it.
//
//   const tf = await loadTf();
//   const model = await loadKerasModel(tf, loadNsfwjsModel());
//   const cut = tf.model({ inputs: model.inputs, outputs: model.getLayer('block_13_expand_relu').output });

import { createRequire } from 'node:module';
import { TFJS_PATH } from './keras_graph.mjs';

const require = createRequire(import.meta.url);

export async function loadTf() {
    // tfjs prints a hint about tfjs-node on load; it is irrelevant here (cpu backend on purpose:
    // it is the reference we compare against).
    const warn = console.warn, log = console.log;
    console.warn = () => {};
    console.log = () => {};
    let tf;
    try {
        tf = require(TFJS_PATH);
        await tf.setBackend('cpu');
        await tf.ready();
    } catch (e) {
        throw new Error(`cannot load tfjs from ${TFJS_PATH} (run scripts/fetch-npm.sh): ${e.message}`);
    } finally {
        console.warn = warn;
        console.log = log;
    }
    return tf;
}

// km: the result of keras_graph.loadNsfwjsModel(). tfjs dequantises the weights itself, so this is
// independent of keras_graph's own dequantisation.
export async function loadKerasModel(tf, km) {
    const raw = km.rawWeights;
    const weightData = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length);
    const handler = tf.io.fromMemory({ modelTopology: km.topology, weightSpecs: km.specs, weightData });
    return tf.loadLayersModel(handler);
}
