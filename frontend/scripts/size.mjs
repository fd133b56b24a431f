// Prints the shell's JS + CSS size (raw and gzipped) and fails over the budget.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET_KB = 150;
const dist = new URL("../dist/", import.meta.url).pathname;

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const files = walk(dist).filter((f) => /\.(js|css)$/.test(f) && !/^sw\.m?js$/.test(f.slice(dist.length)));
let raw = 0;
let gz = 0;
for (const f of files) {
  const bytes = readFileSync(f);
  const z = gzipSync(bytes, { level: 9 }).length;
  raw += bytes.length;
  gz += z;
  console.log(`  ${f.slice(dist.length).padEnd(40)} ${(bytes.length / 1024).toFixed(1).padStart(7)} KB  ${(z / 1024).toFixed(1).padStart(6)} KB gzip`);
}
const sw = walk(dist).filter((f) => /\/sw\.js$/.test(f));
const swGz = sw.reduce((n, f) => n + gzipSync(readFileSync(f), { level: 9 }).length, 0);
console.log(`shell JS+CSS: ${(raw / 1024).toFixed(1)} KB, ${(gz / 1024).toFixed(1)} KB gzipped (budget ${BUDGET_KB} KB); service worker ${(swGz / 1024).toFixed(1)} KB gzipped`);
if (gz / 1024 > BUDGET_KB) {
  console.error(`over budget: ${(gz / 1024).toFixed(1)} KB > ${BUDGET_KB} KB`);
  process.exit(1);
}
