// png.mjs - minimal PNG decoder (8-bit grey/RGB/RGBA/grey+alpha, non-interlaced) -> RGB8.
// Enough for the committed test images; anything else is refused with a clear error.
//
//   const { width, height, rgb } = decodePng(fs.readFileSync('tests/data/golden/chelsea.png'));

import zlib from 'node:zlib';

export function decodePng(buf) {
    const sig = [137, 80, 78, 71, 13, 10, 26, 10];
    if (buf.length < 8 || sig.some((b, i) => buf[i] !== b)) throw new Error('not a PNG file');
    let pos = 8, w = 0, h = 0, depth = 0, ctype = 0, interlace = 0;
    const idat = [];
    while (pos + 8 <= buf.length) {
        const len = buf.readUInt32BE(pos);
        const type = buf.toString('latin1', pos + 4, pos + 8);
        if (pos + 12 + len > buf.length) throw new Error('PNG truncated');
        const data = buf.subarray(pos + 8, pos + 8 + len);
        if (type === 'IHDR') {
            w = data.readUInt32BE(0);
            h = data.readUInt32BE(4);
            depth = data[8];
            ctype = data[9];
            interlace = data[12];
        } else if (type === 'IDAT') {
            idat.push(data);
        } else if (type === 'IEND') {
            break;
        }
        pos += 12 + len;
    }
    const chans = { 0: 1, 2: 3, 4: 2, 6: 4 }[ctype];
    if (depth !== 8 || !chans || interlace) throw new Error(`unsupported PNG (depth ${depth}, colour type ${ctype}, interlace ${interlace})`);
    if (!w || !h || w > 8192 || h > 8192) throw new Error(`bad PNG size ${w}x${h}`);
    const raw = zlib.inflateSync(Buffer.concat(idat));
    const stride = w * chans;
    if (raw.length < h * (stride + 1)) throw new Error('PNG data too short');
    const px = new Uint8Array(h * stride);
    for (let y = 0; y < h; y++) {
        const f = raw[y * (stride + 1)];
        const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
        const row = px.subarray(y * stride, (y + 1) * stride);
        const up = y ? px.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
        for (let x = 0; x < stride; x++) {
            const a = x >= chans ? row[x - chans] : 0, b = up[x], c = x >= chans ? up[x - chans] : 0;
            let p;
            switch (f) {
            case 0: p = 0; break;
            case 1: p = a; break;
            case 2: p = b; break;
            case 3: p = (a + b) >> 1; break;
            case 4: {
                const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
                p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
                break;
            }
            default: throw new Error(`bad PNG filter ${f}`);
            }
            row[x] = (src[x] + p) & 255;
        }
    }
    const rgb = new Uint8Array(w * h * 3);
    for (let i = 0; i < w * h; i++) {
        if (chans >= 3) {
            rgb[3 * i] = px[i * chans];
            rgb[3 * i + 1] = px[i * chans + 1];
            rgb[3 * i + 2] = px[i * chans + 2];
        } else {
            rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = px[i * chans];
        }
    }
    return { width: w, height: h, rgb };
}
