#!/usr/bin/env node
// tests/opt/ort_int8_check.mjs - the int8 ONNX export (tools/convert/onnx_int8_export.mjs) against
// edgecl's int8 model: ONNX Runtime must fuse it into int8 kernels (no float Conv/Add/Gemm/pool
// left in its optimised graph), and on the test images (tests/data/golden/*.png, 224x224) the
// 1280-d features, the logits and the softmax output (exported with --cut) must stay within
// MAX_LSB LSBs of edgecl's (`edgecl extract --cut`, raw pixels -> int8 as the model's input
// quantisation says), with the same top-1 class. Prints the differences in LSBs.
//
//   node tests/opt/ort_int8_check.mjs EDGECL_BINARY SOURCE_DIR     (exit 77: skipped)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import Module, { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [binArg, srcArg] = process.argv.slice(2);
if (!binArg || !srcArg) { console.error('usage: ort_int8_check.mjs EDGECL_BINARY SOURCE_DIR'); process.exit(2); }
const bin = path.resolve(binArg), src = path.resolve(srcArg);
const skip = (why) => { console.log(`SKIP: ${why}`); process.exit(77); };
let fail = 0;
const check = (what, ok, detail = '') => {
    console.log(`${ok ? 'ok' : 'FAIL'}: ${what}${detail ? ` (${detail})` : ''}`);
    if (!ok) fail = 1;
};
// The exporter's command line (needs only node).
const exporter = path.join(src, 'tools/convert/onnx_int8_export.mjs');
const runExport = (...a) => spawnSync('node', [exporter, ...a], { encoding: 'utf8' });
{
    let r = runExport('--help');
    check('onnx_int8_export --help', r.status === 0 && r.stdout.includes('usage:'));
    r = runExport('--frobnicate');
    check('onnx_int8_export: unknown argument refused', r.status === 2 && r.stderr.includes("'--frobnicate'"));
    r = runExport('--model', '/nonexistent/m.tflite', '--out', '/dev/null');
    check('onnx_int8_export: missing model, one-line error', r.status === 1 &&
          r.stderr.includes('cannot read /nonexistent/m.tflite') && r.stderr.trim().split('\n').length === 1);
}
if (fail) process.exit(1);
const npmDir = path.join(src, 'third_party/npm');
const tflite = path.join(src, 'models/mobilenet_v2_int8.tflite');
if (!fs.existsSync(path.join(npmDir, 'onnxruntime-node/package.json')) ||
    !fs.existsSync(path.join(npmDir, 'onnxruntime-common/package.json')))
    skip('onnxruntime-node missing (scripts/fetch-npm.sh onnxruntime-node onnxruntime-common)');
if (!fs.existsSync(tflite)) skip(`${tflite} not generated (setup.sh)`);

// ORT requantises with float multipliers, edgecl (as TFLite) with fixed-point ones: a few LSBs
// of drift through 50+ layers; more means a wrong scale, zero point or layout.
const MAX_LSB = 12;

process.env.NODE_PATH = [npmDir, process.env.NODE_PATH].filter(Boolean).join(path.delimiter);
Module._initPaths();
const ort = createRequire(import.meta.url)(path.join(npmDir, 'onnxruntime-node'));
const { decodePng } = await import(pathToFileURL(path.join(src, 'tools/convert/png.mjs')).href);
const { readTflite } = await import(pathToFileURL(path.join(src, 'tools/convert/tflite_reader.mjs')).href);

// op types of an ONNX graph (domain:op), from the protobuf: ModelProto.graph(7).node(1).op_type(4)
function opTypes(buf) {
    function* fields(b) {
        let p = 0;
        const varint = () => { let x = 0n, s = 0n; for (;;) { const c = b[p++]; x |= BigInt(c & 127) << s; s += 7n; if (!(c & 128)) return x; } };
        while (p < b.length) {
            const k = Number(varint()), f = k >> 3, w = k & 7;
            if (w === 0) yield [f, varint()];
            else if (w === 2) { const n = Number(varint()); yield [f, b.subarray(p, p + n)]; p += n; }
            else if (w === 5 || w === 1) { p += w === 5 ? 4 : 8; yield [f, null]; }
            else throw new Error(`protobuf wire type ${w}`);
        }
    }
    const count = {};
    for (const [f, g] of fields(buf)) if (f === 7)
        for (const [gf, n] of fields(g)) if (gf === 1) {
            let op = '', dom = '';
            for (const [nf, v] of fields(n)) { if (nf === 4) op = v.toString(); if (nf === 7) dom = v.toString(); }
            const key = dom ? `${dom}:${op}` : op;
            count[key] = (count[key] || 0) + 1;
        }
    return count;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ecl_ort_int8_'));
try {
    const onnx = path.join(tmp, 'm.onnx'), optimised = path.join(tmp, 'opt.onnx');
    execFileSync('node', [path.join(src, 'tools/convert/onnx_int8_export.mjs'), '--model', tflite, '--out', onnx],
                 { stdio: ['ignore', 'ignore', 'inherit'] });
    check('onnx_int8_export.mjs writes a model', fs.statSync(onnx).size > 0);

    const sess = await ort.InferenceSession.create(onnx, {
        graphOptimizationLevel: 'all', intraOpNumThreads: 1, executionProviders: ['cpu'],
        optimizedModelFilePath: optimised, logSeverityLevel: 3,
    });
    const ir = readTflite(fs.readFileSync(tflite));
    const nConv = ir.ops.filter((o) => o.type === 'CONV_2D' || o.type === 'DEPTHWISE_CONV_2D').length;
    const ops = opTypes(fs.readFileSync(optimised));
    console.log(`ORT optimised graph: ${JSON.stringify(ops)}`);
    const floatLeft = ['Conv', 'Add', 'Gemm', 'GlobalAveragePool', 'MatMul'].filter((k) => ops[k]);
    check('ORT runs every conv as QLinearConv', ops['com.microsoft:QLinearConv'] === nConv,
          `${ops['com.microsoft:QLinearConv'] || 0} of ${nConv}`);
    check('no float Conv/Add/Gemm/pool left', floatLeft.length === 0, floatLeft.join(' '));

    await sess.release();

    const imgDir = path.join(src, 'tests/data/golden');
    const imgs = fs.readdirSync(imgDir).filter((f) => f.endsWith('.png')).sort().map((f) => path.join(imgDir, f));
    check('test images found', imgs.length > 0, imgDir);
    const inputs = imgs.map((f) => {
        const { width, height, rgb } = decodePng(fs.readFileSync(f));
        const x = new Float32Array(3 * width * height);
        for (let c = 0; c < 3; c++) for (let i = 0; i < width * height; i++) x[c * width * height + i] = rgb[i * 3 + c] / 255;
        return new ort.Tensor('float32', x, [1, 3, height, width]);
    });
    const argmax = (v) => v.reduce((b, x, i) => (x > v[b] ? i : b), 0);
    // The 1280-d features the learners use, the logits, the softmax output (the model's).
    for (const cut of ['average_pooling2d_1', 'dense_3/logits', ir.outputs[0]]) {
        const m = path.join(tmp, 'cut.onnx'), csv = path.join(tmp, 'f.csv');
        execFileSync('node', [path.join(src, 'tools/convert/onnx_int8_export.mjs'), '--model', tflite, '--cut', cut,
                              '--out', m], { stdio: ['ignore', 'ignore', 'inherit'] });
        execFileSync(bin, ['extract', '-q', '--model', tflite, '--cut', cut, '--no-pool', '--out', csv, ...imgs],
                     { stdio: ['ignore', 'ignore', 'inherit'] });
        const rows = fs.readFileSync(csv, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'))
            .map((l) => l.split(',').slice(1).map(Number));
        check(`${cut}: edgecl extract gives one vector per image`, rows.length === imgs.length);
        const cs = await ort.InferenceSession.create(m, { graphOptimizationLevel: 'all', intraOpNumThreads: 1,
                                                          executionProviders: ['cpu'], logSeverityLevel: 3 });
        const lsb = ir.tensors.get(cut).quant.scale[0];
        let worst = 0, nDiff = 0, nVal = 0;
        for (let k = 0; k < imgs.length && k < rows.length; k++) {
            const o = Array.from((await cs.run({ [cs.inputNames[0]]: inputs[k] }))[cs.outputNames[0]].data);
            const e = rows[k];
            if (o.length !== e.length) { check(`${cut}: sizes agree`, false, `${o.length} vs ${e.length}`); break; }
            const d = o.map((v, i) => Math.round(Math.abs(v - e[i]) / lsb));
            worst = Math.max(worst, ...d);
            nDiff += d.filter((x) => x > 0).length;
            nVal += d.length;
            if (o.length <= 16) // class scores: the decision must be the same
                check(`${path.basename(imgs[k])} ${cut}: same top-1`, argmax(o) === argmax(e),
                      `ORT ${argmax(o)}, edgecl ${argmax(e)}`);
        }
        await cs.release();
        console.log(`${cut}: ORT vs edgecl int8 on ${imgs.length} images: max diff ${worst} LSB (scale ${lsb}),` +
                    ` ${nDiff} of ${nVal} values differ`);
        check(`${cut}: within ${MAX_LSB} LSB`, worst <= MAX_LSB);
    }
} finally {
    fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(fail);
