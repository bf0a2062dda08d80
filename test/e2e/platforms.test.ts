// Every krew platform that `npm run package` builds on this linux/amd64 machine, run wherever emulation allows:
// linux/arm64 under qemu-user and windows/amd64 under Wine diagnose the real control plane through a kubeconfig
// and must answer exactly as the native build does; the darwin builds cannot run here, so their Mach-O structure,
// the injected blob and the ad-hoc signature are checked instead. A platform is skipped only when its emulator is
// missing, with the reason in the test's name; .ci/run installs both emulators, so CI never skips.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/report.js';
import { cluster, diagnose, useScenario } from './harness.js';
import { blockerIds } from './report-shape.js';
import {
  archive,
  archiveName,
  ensurePackaged,
  executable,
  exeName,
  out,
  type Platform,
  PLATFORMS,
  pkgVersion,
  root,
  runFile,
  runFileOk,
} from './packaged.js';

const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const SEA_BLOB_MAGIC = 0x143da20; // node/src/node_sea.h kMagic

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(join(dir, name))) return join(dir, name);
  return undefined;
}

// qemu-user runs the aarch64 binary; the aarch64 dynamic loader and libc/libstdc++ come from Debian's cross packages.
const qemu = onPath('qemu-aarch64-static') ?? onPath('qemu-aarch64');
const aarch64Root = '/usr/aarch64-linux-gnu';
const qemuMissing = !qemu
  ? 'qemu-aarch64 is not installed (apt-get install qemu-user-static)'
  : !existsSync(join(aarch64Root, 'lib/ld-linux-aarch64.so.1'))
    ? `no aarch64 libraries in ${aarch64Root} (apt-get install libc6-arm64-cross libstdc++6-arm64-cross)`
    : undefined;

interface Emulated {
  platform: Platform;
  how: string;
  missing: string | undefined;
  run(args: string[], env: NodeJS.ProcessEnv, timeoutMs?: number): ReturnType<typeof runFile>;
  /** The kubeconfig as this platform's program is given it. */
  kubeconfig(kubeconfig: string, dir: string): string;
}

const winePath = (p: string) => `Z:${p.replace(/\//g, '\\')}`;

const emulated: Emulated[] = [
  {
    platform: 'linux/arm64',
    how: 'qemu-user',
    missing: qemuMissing,
    run: (args, env, timeoutMs) => runFile(qemu!, ['-L', aarch64Root, executable('linux/arm64'), ...args], env, timeoutMs),
    kubeconfig: (k) => k,
  },
  {
    platform: 'windows/amd64',
    how: 'Wine',
    missing: undefined, // decided in beforeAll: wine.sh --available
    run: (args, env, timeoutMs) =>
      runFile('bash', [join(root, 'scripts/package/wine.sh'), executable('windows/amd64'), ...args], env, timeoutMs),
    // What a Windows user has: a kubeconfig at a drive-letter path, naming its certificate files by drive-letter
    // paths (Wine shows / as Z:).
    kubeconfig: (k, dir) => {
      const text = readFileSync(k, 'utf8').replace(
        /^(\s*(?:certificate-authority|client-certificate|client-key):\s*)(\/\S+)$/gm,
        (_, key: string, path: string) => `${key}${winePath(path)}`,
      );
      if (!text.includes('Z:\\')) throw new Error(`${k}: no file paths to translate for Wine`);
      const file = join(dir, 'windows.kubeconfig');
      writeFileSync(file, text, { mode: 0o600 });
      return winePath(file);
    },
  },
];
{
  const r = await runFile('bash', [join(root, 'scripts/package/wine.sh'), '--available']);
  if (r.code !== 0) emulated[1].missing = r.stdout.trim() || r.stderr.trim();
}

// Without what differs between any two runs (timing), whatever binary runs.
function comparable(report: Report): Partial<Report> {
  const { stats: _s, terminatingForSeconds: _t, progress: _p, ...rest } = report;
  return { ...rest, summary: rest.summary.replace(/Terminating for \S+/, 'Terminating for <t>') };
}

const ns = 'e2e-platforms';
let work: string;
let native: Report;

// A namespace stuck on a spec.finalizers token: a real diagnosis with a blocker, evidence and fixes.
useScenario('ns-finalizer', ns);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ns-doctor-platforms-'));
  await ensurePackaged();
  const { result, report } = await diagnose(ns);
  expect(result.code, result.stderr).toBe(1);
  native = report;
}, 900_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

for (const e of emulated) {
  const title = `${e.platform} under ${e.how}${e.missing ? ` — SKIPPED: ${e.missing}` : ''}`;
  describe.skipIf(e.missing !== undefined)(title, () => {
    const env = (kubeconfig?: string): NodeJS.ProcessEnv => ({
      PATH: process.env.PATH,
      HOME: process.env.HOME, // wine.sh finds its prepared Wine under ~/.cache
      NO_COLOR: '1',
      ...(kubeconfig ? { KUBECONFIG: kubeconfig } : {}),
    });

    it('the archive holds this platform’s executable and LICENSE, and its sha256 file matches', async () => {
      const listing =
        e.platform === 'windows/amd64'
          ? await runFileOk('unzip', ['-Z1', archive(e.platform)])
          : await runFileOk('tar', ['-tzf', archive(e.platform)]);
      expect(listing.trim().split('\n').sort()).toEqual(['LICENSE', exeName(e.platform)].sort());
      const head = readFileSync(executable(e.platform)).subarray(0, 512);
      if (e.platform === 'linux/arm64') {
        expect(head.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
        expect(head.readUInt16LE(18)).toBe(183); // e_machine EM_AARCH64
      } else {
        expect(head.subarray(0, 2).toString('latin1')).toBe('MZ');
        const pe = head.readUInt32LE(0x3c);
        expect(head.subarray(pe, pe + 4).toString('latin1')).toBe('PE\0\0');
        expect(head.readUInt16LE(pe + 4)).toBe(0x8664); // IMAGE_FILE_MACHINE_AMD64
      }
      const check = await runFile('bash', ['-c', 'cd "$1" && sha256sum --check --strict "$2"', 'sh', out, `${archiveName(e.platform)}.sha256`]);
      expect(check.code, check.stderr).toBe(0);
    }, 60_000);

    it('--version prints the package version', async () => {
      const r = await e.run(['--version'], env());
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(pkgVersion);
    }, 120_000);

    it('--help exits 0 and prints the usage', async () => {
      const r = await e.run(['--help'], env());
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('kubectl ns-doctor <namespace>');
      expect(r.stdout).toContain('--all');
    }, 120_000);

    it('an unknown flag: exit 64 and a one-line error, no stack trace', async () => {
      const r = await e.run(['--no-such-flag'], env());
      expect(r.code).toBe(64);
      expect(r.stderr).toContain('no-such-flag');
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }, 120_000);

    it('diagnoses the stuck namespace through a kubeconfig exactly as the native build does', async () => {
      const c = cluster();
      const kubeconfig = e.kubeconfig(c.kubeconfig, work);
      const r = await e.run([ns, '-o', 'json'], env(kubeconfig), 180_000);
      expect(r.code, r.stderr).toBe(1);
      const report = JSON.parse(r.stdout) as Report;
      expect(report.verdict).toBe('Blocked');
      expect(blockerIds(report)).toContain('NamespaceFinalizerRemaining');
      expect(report.stats.requests).toBeGreaterThan(0);
      expect(comparable(report)).toEqual(comparable(native));
    }, 240_000);

    it('a namespace that does not exist: exit 3, verdict NotFound', async () => {
      const kubeconfig = e.kubeconfig(cluster().kubeconfig, work);
      const r = await e.run(['no-such-namespace-platforms', '-o', 'json'], env(kubeconfig), 180_000);
      expect(r.code, r.stderr).toBe(3);
      expect((JSON.parse(r.stdout) as Report).verdict).toBe('NotFound');
    }, 240_000);
  });
}

describe('darwin builds (no emulator exists for macOS: structure, blob and signature checked)', () => {
  let machoSign: string;
  beforeAll(async () => {
    machoSign = (await runFileOk('bash', ['scripts/package/build-macho-sign.sh', '--print-bin'], process.env, 600_000)).trim();
  }, 600_000);

  for (const [platform, cpu, cputype] of [
    ['darwin/amd64', 'Amd64', 0x01000007],
    ['darwin/arm64', 'AARCH64', 0x0100000c],
  ] as const) {
    it(`${platform}: a 64-bit Mach-O executable for its CPU, the SEA blob in its own segment, signed ad hoc`, async () => {
      const bin = readFileSync(executable(platform));
      expect(bin.readUInt32LE(0)).toBe(0xfeedfacf); // MH_MAGIC_64
      expect(bin.readUInt32LE(4)).toBe(cputype);
      expect(bin.readUInt32LE(12)).toBe(2); // MH_EXECUTE
      // The fuse Node reads at start to know a blob is there: flipped, and no unflipped copy left.
      expect(bin.includes(`${FUSE}:1`)).toBe(true);
      expect(bin.includes(`${FUSE}:0`)).toBe(false);

      const v = JSON.parse(await runFileOk(machoSign, ['verify', executable(platform)]));
      expect(v).toMatchObject({ cpu, id: 'kubectl-ns_doctor', flags: 'adhoc', hashType: 'Sha256', seaSegment: true });
      const blob = bin.subarray(v.seaBlobOffset, v.seaBlobOffset + v.seaBlobBytes);
      expect(blob.readUInt32LE(0)).toBe(SEA_BLOB_MAGIC);
      // The blob carries the very bundle the other platforms run.
      expect(blob.includes(readFileSync(join(root, 'dist/ns-doctor.cjs')))).toBe(true);
    }, 120_000);
  }

  it('the signature check fails on a binary changed after signing', async () => {
    const copy = join(work, 'tampered');
    const bin = readFileSync(executable('darwin/arm64'));
    bin[0x4000 + 17] ^= 0xff; // a byte in __TEXT, covered by a page hash
    writeFileSync(copy, bin);
    const r = await runFile(machoSign, ['verify', copy]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/page 4 .* does not match its hash/);
  }, 120_000);
});

describe('the five-platform krew manifest', () => {
  it('out/ns-doctor.yaml names every archive with its sha256, and krew’s validator accepts it', async () => {
    const manifest = readFileSync(join(out, 'ns-doctor.yaml'), 'utf8');
    for (const p of PLATFORMS) {
      const sha = readFileSync(`${archive(p)}.sha256`, 'utf8').split(/\s+/)[0];
      const block = manifest.split('- selector:').find((b) => b.includes(`os: ${p.split('/')[0]}`) && b.includes(`arch: ${p.split('/')[1]}`));
      expect(block, p).toBeDefined();
      expect(block).toContain(`/v${pkgVersion}/${archive(p).split('/').pop()}`);
      expect(block).toContain(`sha256: "${sha}"`);
      expect(block).toContain(`bin: ${exeName(p)}`);
    }
    const krewBin = (await runFileOk('bash', ['scripts/package/build-krew.sh', '--print-bin-dir'], process.env, 600_000)).trim();
    const copy = join(work, 'ns-doctor.yaml'); // the validator wants the file named after the plugin
    writeFileSync(copy, manifest);
    const r = await runFile(join(krewBin, 'validate-krew-manifest'), ['-manifest', copy, '-skip-install']);
    expect(r.stderr).toContain('structural validation OK');
    expect(r.code, r.stderr).toBe(0);
  }, 600_000);
});
