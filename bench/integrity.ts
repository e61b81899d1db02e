// What verifying the spool costs: a campaign's store work for N phones (folder store) from prepare
// to the final check, with the spool verified (sealed, every batch's slice proved, the report's ids
// checked) against the same work without it (bench/lib/integrity-work.ts), side by side in this run.
// Each side is a process of its own, timed from its spawn to its exit; the sides alternate,
// --repeat times each, and the median is compared.
//   npm run bench:integrity [-- --instances N] [--repeat R] [--out DIR]  → DIR/integrity.{json,md}
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/project-root';
import { cpuSeconds } from './lib/proc';
import { loadTracker, log, machine, round, versions } from './lib/env';

type Mode = 'plain' | 'verified';
interface Phases {
  prepareMs: number;
  lanesReadMs: number;
  reportMs: number;
  finalCheckMs: number;
  sealBytes: number;
  peakRssMb: number;
}
interface Side extends Phases {
  mode: Mode;
  wallSeconds: number;
  cpuSeconds: number;
}

const positiveInt = (flag: string, text: string): number => {
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`bench:integrity: ${flag} must be a positive integer, got "${text}"\n`);
    process.exit(2);
  }
  return n;
};

/** One side in its own process, from spawn to exit; its CPU read from /proc just before it is reaped. */
function runSide(mode: Mode, instances: number): Promise<Side> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join('bench', 'lib', 'integrity-work.ts'),
        '--mode',
        mode,
        '--instances',
        String(instances),
      ],
      { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    let cpu = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      // The JSON line is its last act: its CPU so far is (within a few ms) all of it.
      if (out.endsWith('\n')) cpu = cpuSeconds(child.pid!);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const wallSeconds = (performance.now() - t0) / 1000;
      if (code !== 0) return reject(new Error(`the ${mode} side exited ${code}`));
      const phases = JSON.parse(out) as Phases;
      resolve({ mode, wallSeconds: round(wallSeconds, 2), cpuSeconds: round(cpu, 2), ...phases });
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main() {
  const { values } = parseArgs({
    options: {
      instances: { type: 'string', default: '1000000' },
      repeat: { type: 'string', default: '3' },
      out: { type: 'string', default: join(projectRoot, 'bench', 'results') },
    },
  });
  const instances = positiveInt('--instances', values.instances!);
  const repeat = positiveInt('--repeat', values.repeat!);
  const load = loadTracker();
  const runs: Side[] = [];
  for (let r = 0; r < repeat; r++) {
    // Alternating, starting with the other side each round: neither always runs on a warmer disk.
    for (const mode of (r % 2 ? ['verified', 'plain'] : ['plain', 'verified']) as Mode[]) {
      log(`${mode} ${instances} phones, round ${r + 1} of ${repeat}`);
      const side = await runSide(mode, instances);
      log(`${mode}: ${side.wallSeconds} s wall, ${side.cpuSeconds} s CPU`);
      runs.push(side);
    }
  }
  const of = (mode: Mode) => runs.filter((s) => s.mode === mode);
  const med = (mode: Mode, key: keyof Omit<Side, 'mode'>) => round(median(of(mode).map((s) => s[key])), 2);
  const summary = (mode: Mode) => ({
    wallSeconds: med(mode, 'wallSeconds'),
    cpuSeconds: med(mode, 'cpuSeconds'),
    prepareMs: med(mode, 'prepareMs'),
    lanesReadMs: med(mode, 'lanesReadMs'),
    reportMs: med(mode, 'reportMs'),
    finalCheckMs: med(mode, 'finalCheckMs'),
    peakRssMb: med(mode, 'peakRssMb'),
  });
  const plain = summary('plain');
  const verified = summary('verified');
  const result = {
    instances,
    repeat,
    plain,
    verified,
    extraWallSeconds: round(verified.wallSeconds - plain.wallSeconds, 2),
    extraCpuSeconds: round(verified.cpuSeconds - plain.cpuSeconds, 2),
    wallRatio: round(verified.wallSeconds / plain.wallSeconds, 2),
    sealBytes: of('verified')[0]!.sealBytes,
    runs,
    load: load(),
    machine: machine(),
    versions: versions(),
    measuredAt: new Date().toISOString(),
  };
  mkdirSync(values.out!, { recursive: true });
  writeFileSync(join(values.out!, 'integrity.json'), JSON.stringify(result, null, 2) + '\n');
  const row = (name: string, s: typeof plain) =>
    `| ${name} | ${s.wallSeconds} | ${s.cpuSeconds} | ${s.prepareMs} | ${s.lanesReadMs} | ${s.reportMs} | ${s.finalCheckMs} | ${s.peakRssMb} |\n`;
  writeFileSync(
    join(values.out!, 'integrity.md'),
    `Verifying the spool, ${instances} phones (folder store), median of ${repeat} runs a side, ` +
      `load ${result.load.before.join(' ')} → ${result.load.after.join(' ')} on ${result.machine.cpus} CPUs, ${result.measuredAt}\n\n` +
      '| side | wall s (spawn → exit) | CPU s | prepare ms | lanes read ms | report ms | final id check ms | peak RSS MB |\n' +
      '|---|--:|--:|--:|--:|--:|--:|--:|\n' +
      row('plain (no seal)', plain) +
      row('verified', verified) +
      `\nVerified costs ${result.extraWallSeconds} s more wall (× ${result.wallRatio}) and ${result.extraCpuSeconds} s more CPU; ` +
      `the seal is ${result.sealBytes} bytes beside the spool.\n`,
  );
  console.log(
    JSON.stringify({
      instances,
      plain,
      verified,
      extraWallSeconds: result.extraWallSeconds,
      wallRatio: result.wallRatio,
    }),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:integrity: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
