// Writes a gzip sibling (<file>.gz) of every compressible file of the build, which the node sends
// to clients that accept gzip (docs/ui.md#serving). Usage: node scripts/compress.mjs dist
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, constants } from 'node:zlib';

const compressible = /\.(js|mjs|css|html|svg|json|map|txt)$/;

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (compressible.test(name)) {
      const raw = readFileSync(path);
      const gz = gzipSync(raw, { level: constants.Z_BEST_COMPRESSION });
      if (gz.length < raw.length) writeFileSync(path + '.gz', gz);
    }
  }
}

walk(process.argv[2] ?? 'dist');
