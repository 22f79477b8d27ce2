#!/usr/bin/env node
// bench/ort_bench.mjs - ONNX Runtime latency of an ONNX model (the speed peer of bench_backbone).
//
//   node bench/ort_bench.mjs [--model models/mobilenet_v2.onnx] [--threads 1,2] [--runs 30]
//                            [--warmup 5] [--input FILE.f32] [--dump-output FILE.f32]
//                            [--save-optimized FILE.onnx] [--profile FILE.tsv]
//
// Prints one machine-readable line per thread count on stdout:
//   ort threads=1 median_ms=12.345 min_ms=12.000 cpu_ms=12.300 runs=30
// (cpu_ms: median process CPU time per run, user+system; robust to preemption on a busy box,
// meaningful for threads=1 only)
// Session options: graphOptimizationLevel 'all', intraOpNumThreads = N, interOpNumThreads 1,
// sequential execution. The input is deterministic pseudo-random in [0,1) unless --input gives
// raw little-endian float32 NCHW data; --dump-output writes the first thread count's output;
// --save-optimized writes the graph ORT runs after its optimisations (e.g. to see that an int8
// QDQ model became QLinearConv/QLinearAdd/QGemm nodes; NCHWc/NHWC layouts are this CPU's);
// --profile turns on ORT's profiler for the first thread count (its timings then include the
// profiler's cost) and writes per node: name, op, min and median kernel microseconds over the
// timed runs, as tab-separated lines (the per-layer side of a comparison with edgecl).
// Uses onnxruntime-node@1.30.0 from third_party/npm (scripts/fetch-npm.sh onnxruntime-node
// onnxruntime-common); its native libonnxruntime.so ships inside that package.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Module, { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const npmDir = path.join(root, 'third_party/npm');

function usage(code) {
    (code ? process.stderr : process.stdout).write(
        'usage: node bench/ort_bench.mjs [--model FILE.onnx] [--threads 1,2] [--runs N] [--warmup N]\n' +
        '                                [--input FILE.f32] [--dump-output FILE.f32]\n' +
        '                                [--save-optimized FILE.onnx] [--profile FILE.tsv]\n' +
        '  Median ONNX Runtime (CPU EP, graph optimisation "all") latency per thread count.\n');
    process.exit(code);
}

let model = path.join(root, 'models/mobilenet_v2.onnx'), threads = [1, 2], runs = 30, warmup = 5;
let inputFile = null, dumpFile = null, optFile = null, profFile = null;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
    const a = args[i], v = args[i + 1];
    if (a === '--help' || a === '-h') usage(0);
    else if (v === undefined) { process.stderr.write(`ort_bench: '${a}' needs a value\n`); usage(2); }
    else if (a === '--model') { model = v; i++; }
    else if (a === '--threads') { threads = v.split(',').map(Number); i++; }
    else if (a === '--runs') { runs = Number(v); i++; }
    else if (a === '--warmup') { warmup = Number(v); i++; }
    else if (a === '--input') { inputFile = v; i++; }
    else if (a === '--dump-output') { dumpFile = v; i++; }
    else if (a === '--save-optimized') { optFile = v; i++; }
    else if (a === '--profile') { profFile = v; i++; }
    else { process.stderr.write(`ort_bench: unknown argument '${a}'\n`); usage(2); }
}
if (!threads.every((t) => Number.isInteger(t) && t > 0) || !(runs > 0) || !(warmup >= 0)) {
    process.stderr.write('ort_bench: --threads/--runs/--warmup must be positive integers\n');
    process.exit(2);
}
if (!fs.existsSync(model)) {
    process.stderr.write(`ort_bench: ${model} not found (node tools/convert/onnx_export.mjs)\n`);
    process.exit(1);
}
if (!fs.existsSync(path.join(npmDir, 'onnxruntime-node/package.json')) ||
    !fs.existsSync(path.join(npmDir, 'onnxruntime-common/package.json'))) {
    process.stderr.write('ort_bench: onnxruntime-node missing: scripts/fetch-npm.sh onnxruntime-node onnxruntime-common\n');
    process.exit(1);
}
// onnxruntime-node does require('onnxruntime-common'): resolve it from third_party/npm.
process.env.NODE_PATH = [npmDir, process.env.NODE_PATH].filter(Boolean).join(path.delimiter);
Module._initPaths();
const ort = createRequire(import.meta.url)(path.join(npmDir, 'onnxruntime-node'));

const median = (a) => { const s = [...a].sort((x, y) => x - y); const n = s.length;
    return n % 2 ? s[n >> 1] : 0.5 * (s[n / 2 - 1] + s[n / 2]); };

// ORT's profile (a JSON trace, removed after reading) -> per-node min/median over the timed runs.
function writeProfile(sess, skipRuns) {
    const trace = sess.endProfiling();
    const file = typeof trace === 'string' && fs.existsSync(trace) ? trace
        : fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith(`ort_bench_${process.pid}`))
            .map((f) => path.join(os.tmpdir(), f))[0];
    if (!file) throw new Error('--profile: ORT wrote no profile');
    const nodes = new Map();
    for (const e of JSON.parse(fs.readFileSync(file, 'utf8'))) {
        if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
        const name = e.name.slice(0, -'_kernel_time'.length);
        if (!nodes.has(name)) nodes.set(name, { op: e.args && e.args.op_name, us: [] });
        nodes.get(name).us.push(e.dur);
    }
    fs.unlinkSync(file);
    let out = 'node\top\tmin_us\tmedian_us\n', sumMin = 0, sumMed = 0;
    for (const [name, { op, us }] of nodes) {
        const timed = us.length > skipRuns ? us.slice(skipRuns) : us;
        const mn = Math.min(...timed), md = median(timed);
        sumMin += mn; sumMed += md;
        out += `${name}\t${op}\t${mn}\t${md}\n`;
    }
    out += `total\t-\t${sumMin}\t${sumMed}\n`;
    fs.writeFileSync(profFile, out);
}

let dumped = false;
try {
    for (const t of threads) {
        const sess = await ort.InferenceSession.create(model, {
            graphOptimizationLevel: 'all', intraOpNumThreads: t, interOpNumThreads: 1,
            executionMode: 'sequential', executionProviders: ['cpu'],
            ...(optFile && t === threads[0] ? { optimizedModelFilePath: optFile } : {}),
            ...(profFile && t === threads[0] ? { enableProfiling: true,
                profileFilePrefix: path.join(os.tmpdir(), `ort_bench_${process.pid}`) } : {}),
        });
        const inName = sess.inputNames[0];
        const meta = sess.inputMetadata ? sess.inputMetadata[0] : null;
        const dims = meta && meta.shape ? meta.shape.map((d) => (typeof d === 'number' ? d : 1)) : [1, 3, 224, 224];
        const n = dims.reduce((a, b) => a * b, 1);
        let data;
        if (inputFile) {
            const b = fs.readFileSync(inputFile);
            if (b.length !== n * 4) {
                process.stderr.write(`ort_bench: ${inputFile} has ${b.length} bytes, want ${n * 4}\n`);
                process.exit(1);
            }
            data = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
        } else {
            data = new Float32Array(n);
            let s = 12345;
            for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) >>> 0; data[i] = (s >>> 8) / 16777216; }
        }
        const feeds = { [inName]: new ort.Tensor('float32', data, dims) };
        for (let i = 0; i < warmup; i++) await sess.run(feeds);
        const ms = [], cpu = [];
        let out;
        for (let i = 0; i < runs; i++) {
            const c0 = process.cpuUsage();
            const t0 = process.hrtime.bigint();
            out = await sess.run(feeds);
            ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
            const c1 = process.cpuUsage(c0);
            cpu.push((c1.user + c1.system) / 1e3);
            if ((i + 1) % 10 === 0) process.stderr.write(`ort_bench: threads=${t} run ${i + 1}/${runs}\r`);
        }
        process.stderr.write('\n');
        if (dumpFile && !dumped) {
            const o = out[sess.outputNames[0]].data;
            fs.writeFileSync(dumpFile, Buffer.from(o.buffer, o.byteOffset, o.byteLength));
            dumped = true;
        }
        console.log(`ort threads=${t} median_ms=${median(ms).toFixed(3)} min_ms=${Math.min(...ms).toFixed(3)} ` +
                    `cpu_ms=${median(cpu).toFixed(3)} runs=${runs}`);
        if (profFile && t === threads[0]) writeProfile(sess, warmup);
        await sess.release();
    }
} catch (e) {
    process.stderr.write(`ort_bench: ${model}: ${e && e.message ? e.message : e}\n`);
    process.exit(1);
}
