#!/usr/bin/env node
// nsfwjs2tflite.mjs - convert the pretrained MobileNetV2 shipped in npm nsfwjs@4.4.0 (Keras,
// tfjs layers format, uint8-quantised weights) into a standard float32 (or int8) .tflite file.
// See tools/convert/README.md.
//
//   node tools/convert/nsfwjs2tflite.mjs --out models/mobilenet_v2.tflite
//   node tools/convert/nsfwjs2tflite.mjs --out m13.tflite --until block_13_expand_relu
//   node tools/convert/nsfwjs2tflite.mjs --list

import fs from 'node:fs';
import path from 'node:path';
import { loadNsfwjsModel, buildGraph, listActivations } from './keras_graph.mjs';
import { writeTflite } from './tflite_writer.mjs';

const USAGE = `usage: node tools/convert/nsfwjs2tflite.mjs --out FILE.tflite [options]

Converts nsfwjs' Keras MobileNetV2 1.0 (third_party/npm/nsfwjs) into a TensorFlow Lite model.
BatchNorm is folded into the convolutions, ReLU6 fused; tensors are named after Keras layers.

options:
  --out FILE       output .tflite (required unless --list)
  --input N        square input side (default 224; the final average pool becomes global)
  --until LAYER    cut the model after this Keras layer; it becomes the only output
                   (default: the full model, output 'dense_3' = 5-class softmax)
  --int8           write an int8 model (per-channel symmetric int8 weights, int32 bias,
                   per-tensor asymmetric int8 activations); needs --calib
  --calib DIR      PNG images (224x224 RGB recommended) used to calibrate activation ranges;
                   use images that are not your test images (tests/data/calib)
  --calib-method M int8 activation ranges: minmax, pct (the [P, 1-P] quantiles) or mse
                   (clipping that minimises the squared quantisation error) (default minmax)
  --calib-pct P    with --calib-method pct: P (default 1e-4)
  --no-bias-correction   int8: keep the float biases (default: subtract the mean output shift
                   caused by weight rounding, estimated from the calibration images)
  --list           print the activation tensors (name, shape, aliases) and exit
  --model-dir DIR  nsfwjs model directory (default third_party/npm/nsfwjs/dist/models/mobilenet_v2)
  -h, --help       this help
`;

function parseArgs(argv) {
    const a = { input: 0, until: null, out: null, int8: false, calib: null, calibMethod: 'minmax', calibPct: 1e-4, biasCorrection: true, list: false, modelDir: null };
    for (let i = 0; i < argv.length; i++) {
        const k = argv[i];
        const val = () => {
            if (i + 1 >= argv.length) throw new Error(`${k} needs a value`);
            return argv[++i];
        };
        switch (k) {
        case '-h': case '--help': a.help = true; break;
        case '--out': a.out = val(); break;
        case '--input': {
            const v = val();
            a.input = Number(v);
            if (!Number.isInteger(a.input) || a.input < 32 || a.input > 1024)
                throw new Error(`--input ${v}: expected an integer in 32..1024`);
            break;
        }
        case '--until': a.until = val(); break;
        case '--int8': a.int8 = true; break;
        case '--calib': a.calib = val(); break;
        case '--calib-pct': {
            const v = val();
            a.calibPct = Number(v);
            if (!(a.calibPct >= 0 && a.calibPct < 0.5)) throw new Error(`--calib-pct ${v}: expected 0 <= P < 0.5`);
            break;
        }
        case '--calib-method': {
            a.calibMethod = val();
            if (!['minmax', 'pct', 'mse'].includes(a.calibMethod))
                throw new Error(`--calib-method ${a.calibMethod}: expected minmax, pct or mse`);
            break;
        }
        case '--no-bias-correction': a.biasCorrection = false; break;
        case '--list': a.list = true; break;
        case '--model-dir': a.modelDir = val(); break;
        default: throw new Error(`unknown argument '${k}' (see --help)`);
        }
    }
    return a;
}

async function main() {
    let a;
    try {
        a = parseArgs(process.argv.slice(2));
    } catch (e) {
        process.stderr.write(`nsfwjs2tflite: ${e.message}\n`);
        return 2;
    }
    if (a.help) {
        process.stdout.write(USAGE);
        return 0;
    }
    if (!a.out && !a.list) {
        process.stderr.write(`nsfwjs2tflite: --out is required\n${USAGE}`);
        return 2;
    }
    if (a.int8 && !a.calib) {
        process.stderr.write('nsfwjs2tflite: --int8 needs --calib DIR (images for calibration)\n');
        return 2;
    }
    process.stderr.write('loading nsfwjs MobileNetV2 weights...\n');
    const km = a.modelDir ? loadNsfwjsModel(a.modelDir) : loadNsfwjsModel();
    const g = buildGraph(km, { inputSize: a.input || undefined, until: a.until || undefined });
    if (a.list) {
        for (const t of listActivations(g))
            process.stdout.write(`${t.name}\t${t.shape.join('x')}${t.aliases.length ? '\t(also ' + t.aliases.join(', ') + ')' : ''}\n`);
        return 0;
    }
    let desc = `MobileNetV2 1.0 from npm nsfwjs@4.4.0 (Keras, ImageNet weights up to block_10, ` +
               `fine-tuned later); input RGB/255 NHWC; converted by edgecl tools/convert`;
    let model = g;
    if (a.int8) {
        const { quantizeGraph } = await import('./int8.mjs');
        process.stderr.write(`calibrating int8 ranges on ${a.calib}...\n`);
        model = await quantizeGraph(km, g, a.calib, (m) => process.stderr.write(m),
                                    { method: a.calibMethod, pct: a.calibPct,
                                      biasCorrection: a.biasCorrection });
        const [ne, nc] = model.weightChannelsExact;
        process.stderr.write(`int8 weights: ${ne}/${nc} channels exactly representable\n`);
        desc += `; int8 (per-channel weights, per-tensor activations, ${a.calibMethod} ranges` +
                `${a.biasCorrection ? ', bias correction' : ''}, calibrated on ${path.basename(path.resolve(a.calib))})`;
    }
    process.stderr.write(`writing ${model.ops.length} ops, ${model.tensors.size} tensors...\n`);
    const bytes = writeTflite(model, { description: desc });
    fs.mkdirSync(path.dirname(path.resolve(a.out)), { recursive: true });
    const tmp = `${a.out}.tmp${process.pid}`;
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, a.out);
    process.stderr.write(`wrote ${a.out} (${bytes.length} bytes; input ${model.inputs.join(',')} ` +
                         `${model.tensors.get(model.inputs[0]).shape.join('x')}, output ` +
                         `${model.outputs.join(',')})\n`);
    return 0;
}

main().then((rc) => process.exit(rc), (e) => {
    process.stderr.write(`nsfwjs2tflite: ${e.message}\n`);
    process.exit(1);
});
