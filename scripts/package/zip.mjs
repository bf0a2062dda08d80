#!/usr/bin/env node
// Writes a .zip of the given files (stored flat, by base name, deflated), the Windows archive krew installs.
// Deterministic like the .tar.gz: fixed order, one fixed time, no extra fields, so the archive adds no variation
// of its own to the binary's. Node's zlib is enough for this; no zip tool needs to be installed.
//   node scripts/package/zip.mjs OUT.zip EPOCH_SECONDS FILE...
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';

const [out, epoch, ...files] = process.argv.slice(2);
if (!out || !/^\d+$/.test(epoch ?? '') || files.length === 0) {
  process.stderr.write('usage: zip.mjs OUT.zip EPOCH_SECONDS FILE...\n');
  process.exit(64);
}

// MS-DOS date and time, as zip stores them (local time of the archive; UTC here so it does not depend on TZ).
const d = new Date(Number(epoch) * 1000);
const dosTime = (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1);
const dosDate = (Math.max(d.getUTCFullYear() - 1980, 0) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate();

const locals = [];
const centrals = [];
let offset = 0;
for (const file of [...files].sort((a, b) => basename(a).localeCompare(basename(b)))) {
  const data = readFileSync(file);
  const packed = deflateRawSync(data, { level: 9 });
  const name = Buffer.from(basename(file), 'utf8');
  if (data.length >= 0xffffffff || packed.length >= 0xffffffff) throw new Error(`${file}: too large for zip32`);
  const crc = crc32(data) >>> 0;

  // The local header and the central directory entry share one run of fields: version needed, flags, method,
  // time, date, crc, sizes, name length.
  const common = (buf, at) => {
    buf.writeUInt16LE(20, at); // version needed: 2.0 (deflate)
    buf.writeUInt16LE(0x0800, at + 2); // UTF-8 names
    buf.writeUInt16LE(8, at + 4); // deflate
    buf.writeUInt16LE(dosTime, at + 6);
    buf.writeUInt16LE(dosDate, at + 8);
    buf.writeUInt32LE(crc, at + 10);
    buf.writeUInt32LE(packed.length, at + 14);
    buf.writeUInt32LE(data.length, at + 18);
    buf.writeUInt16LE(name.length, at + 22);
    return buf;
  };
  const local = common(Buffer.alloc(30), 4);
  local.writeUInt32LE(0x04034b50, 0);
  locals.push(local, name, packed);

  const central = common(Buffer.alloc(46), 6);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, so the mode below is read
  central.writeUInt32LE((0o100755 << 16) >>> 0, 38); // regular file, rwxr-xr-x
  central.writeUInt32LE(offset, 42);
  centrals.push(central, name);
  offset += local.length + name.length + packed.length;
}
const centralSize = centrals.reduce((n, b) => n + b.length, 0);
const end = Buffer.alloc(22);
end.writeUInt32LE(0x06054b50, 0);
end.writeUInt16LE(files.length, 8);
end.writeUInt16LE(files.length, 10);
end.writeUInt32LE(centralSize, 12);
end.writeUInt32LE(offset, 16);
writeFileSync(out, Buffer.concat([...locals, ...centrals, end]));
