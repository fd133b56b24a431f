// Draws the app icons (a clipboard with a check mark) as PNGs with no dependencies.
// Run `npm run icons`; the PNGs are committed under public/icons/.
import { writeFileSync, mkdirSync } from "node:fs";
import { deflateSync } from "node:zlib";

const NAVY = [29, 53, 87, 255];
const WHITE = [255, 255, 255, 255];
const GOLD = [233, 196, 106, 255];

function crc32(buf) {
  let c;
  let crc = 0xffffffff;
  for (let n = 0; n < buf.length; n++) {
    c = (crc ^ buf[n]) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

function png(size, pixel) {
  const raw = Buffer.alloc((size * 4 + 1) * size);
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel(x / size, y / size);
      const o = y * (size * 4 + 1) + 1 + x * 4;
      raw[o] = r;
      raw[o + 1] = g;
      raw[o + 2] = b;
      raw[o + 3] = a;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  const sig = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
  return Buffer.concat([sig, chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw, { level: 9 })), chunk("IEND", Buffer.alloc(0))]);
}

function distToSegment(px, py, ax, ay, bx, by) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** inset: 0 for a full-bleed icon, larger for the maskable safe zone. */
function drawer(inset) {
  const s = (v) => inset + v * (1 - 2 * inset);
  return (x, y) => {
    // board
    if (x > s(0.22) && x < s(0.78) && y > s(0.18) && y < s(0.86)) {
      // clip at the top
      if (x > s(0.38) && x < s(0.62) && y > s(0.13) && y < s(0.26)) return GOLD;
      const d = Math.min(
        distToSegment(x, y, s(0.34), s(0.54), s(0.46), s(0.68)),
        distToSegment(x, y, s(0.46), s(0.68), s(0.68), s(0.38)),
      );
      if (d < 0.045 * (1 - 2 * inset)) return NAVY;
      return WHITE;
    }
    if (x > s(0.38) && x < s(0.62) && y > s(0.13) && y < s(0.26)) return GOLD;
    return NAVY;
  };
}

mkdirSync("public/icons", { recursive: true });
writeFileSync("public/icons/icon-192.png", png(192, drawer(0.04)));
writeFileSync("public/icons/icon-512.png", png(512, drawer(0.04)));
writeFileSync("public/icons/maskable-512.png", png(512, drawer(0.14)));
writeFileSync("public/icons/apple-touch-icon.png", png(180, drawer(0.06)));
console.log("icons written to public/icons/");
