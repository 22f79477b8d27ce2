#!/usr/bin/env node
// cut_layer_eval.mjs - which cut layer of the nsfwjs MobileNetV2 gives the best generic features?
// Nearest-class-mean accuracy on Fashion-MNIST with features from tfjs (cpu backend), per layer.
//
//   node tools/convert/cut_layer_eval.mjs [--train 20] [--test 30] [--data /usr/share/datasets/fashion-mnist]
//
// Protocol: the first --train images of each class from the training set give the class means,
// the first --test images of each class from the test set are classified. Each 28x28 grey image
// is replicated to RGB, scaled /255 and resized to 224x224 (tf.image.resizeBilinear with
// alignCorners, nsfwjs' own resize). A 4-D cut tensor is global-average-pooled to its channels
// (what the edgecl feature extractor does by default). The features are L2-normalised before NCM.
// Prints one line per layer (accuracy, feature size) and a JSON summary on stdout.

import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { loadNsfwjsModel } from './keras_graph.mjs';
import { loadTf, loadKerasModel } from './tfjs_util.mjs';

const LAYERS = ['block_3_expand_relu', 'block_6_expand_relu', 'block_8_expand_relu',
                'block_10_project_BN', 'block_11_expand_relu', 'block_12_expand_relu',
                'block_13_expand_relu', 'block_14_expand_relu', 'block_16_project_BN', 'out_relu',
                'dense_1', 'dense_3'];

function readIdx(file) {
    const b = zlib.gunzipSync(fs.readFileSync(file));
    const magic = b.readUInt32BE(0);
    const nd = magic & 0xff;
    const dims = [];
    for (let i = 0; i < nd; i++) dims.push(b.readUInt32BE(4 + 4 * i));
    return { dims, data: b.subarray(4 + 4 * nd) };
}

function pick(labels, perClass, nClasses = 10) {
    const cnt = new Array(nClasses).fill(0), idx = [];
    for (let i = 0; i < labels.length && idx.length < perClass * nClasses; i++)
        if (cnt[labels[i]] < perClass) {
            cnt[labels[i]]++;
            idx.push(i);
        }
    return idx;
}

async function main() {
    const argv = process.argv.slice(2);
    const a = { train: 20, test: 30, data: '/usr/share/datasets/fashion-mnist', batch: 10 };
    for (let i = 0; i < argv.length; i++) {
        const k = argv[i];
        if (k === '-h' || k === '--help') {
            process.stdout.write('usage: node tools/convert/cut_layer_eval.mjs [--train N] [--test N] [--data DIR]\n');
            return 0;
        }
        const v = argv[++i];
        if (v === undefined) throw new Error(`${k} needs a value`);
        if (k === '--train') a.train = Number(v);
        else if (k === '--test') a.test = Number(v);
        else if (k === '--data') a.data = v;
        else throw new Error(`unknown argument '${k}'`);
    }
    const load = (p) => readIdx(path.join(a.data, p));
    const tr = load('train-images-idx3-ubyte.gz'), trl = load('train-labels-idx1-ubyte.gz');
    const te = load('t10k-images-idx3-ubyte.gz'), tel = load('t10k-labels-idx1-ubyte.gz');
    const tf = await loadTf();
    const model = await loadKerasModel(tf, loadNsfwjsModel());
    const cut = tf.model({ inputs: model.inputs, outputs: LAYERS.map((n) => model.getLayer(n).output) });

    const features = (imgs, idx, label) => {
        const feats = LAYERS.map(() => []);
        for (let s = 0; s < idx.length; s += a.batch) {
            const ids = idx.slice(s, s + a.batch);
            const x = new Float32Array(ids.length * 784);
            ids.forEach((id, j) => {
                for (let p = 0; p < 784; p++) x[j * 784 + p] = imgs.data[id * 784 + p] / 255;
            });
            const outs = tf.tidy(() => {
                const g = tf.tensor(x, [ids.length, 28, 28, 1]).tile([1, 1, 1, 3]);
                const r = tf.image.resizeBilinear(g, [224, 224], true);
                return cut.predict(r).map((t) => (t.shape.length === 4 ? t.mean([1, 2]) : t));
            });
            outs.forEach((t, li) => {
                const d = t.dataSync(), c = t.shape[1];
                for (let j = 0; j < ids.length; j++) {
                    const v = d.slice(j * c, (j + 1) * c);
                    let n = 0;
                    for (const q of v) n += q * q;
                    n = Math.sqrt(n) || 1;
                    feats[li].push(v.map((q) => q / n));
                }
                t.dispose();
            });
            process.stderr.write(`\r${label}: ${Math.min(s + a.batch, idx.length)}/${idx.length}`);
        }
        process.stderr.write('\n');
        return feats;
    };
    const trIdx = pick(trl.data, a.train), teIdx = pick(tel.data, a.test);
    const ftr = features(tr, trIdx, 'train'), fte = features(te, teIdx, 'test');
    const res = [];
    LAYERS.forEach((name, li) => {
        const c = ftr[li][0].length;
        const means = Array.from({ length: 10 }, () => new Float64Array(c));
        const cnt = new Array(10).fill(0);
        trIdx.forEach((id, j) => {
            const y = trl.data[id];
            cnt[y]++;
            for (let k = 0; k < c; k++) means[y][k] += ftr[li][j][k];
        });
        means.forEach((m, y) => m.forEach((v, k) => (m[k] = v / cnt[y])));
        let ok = 0;
        teIdx.forEach((id, j) => {
            let best = -1, bd = Infinity;
            for (let y = 0; y < 10; y++) {
                let d = 0;
                for (let k = 0; k < c; k++) d += (fte[li][j][k] - means[y][k]) ** 2;
                if (d < bd) [bd, best] = [d, y];
            }
            if (best === tel.data[id]) ok++;
        });
        const acc = ok / teIdx.length;
        res.push({ layer: name, dim: c, ncm_accuracy: acc });
        process.stderr.write(`${name.padEnd(22)} dim ${String(c).padStart(5)}  NCM accuracy ${(100 * acc).toFixed(1)}%\n`);
    });
    process.stdout.write(JSON.stringify({ dataset: 'fashion-mnist', train_per_class: a.train,
                                          test_per_class: a.test, results: res }, null, 1) + '\n');
    return 0;
}

main().then((rc) => process.exit(rc), (e) => {
    process.stderr.write(`cut_layer_eval: ${e.message}\n`);
    process.exit(1);
});
