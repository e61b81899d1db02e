import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { findCoordinator } from '../../src/account/coordinator';
import { OUTCOMES } from '../../src/campaign/outcome';
import type { CampaignResult } from '../../src/campaign/status';
import { IAM_REFUSAL_PAUSE_MS } from '../../src/koophone';
import { FolderStore } from '../../src/report';
import { campaignResult } from '../../src/temporal/campaign-result';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { statusQuery, type resetCampaign } from '../../src/workflows';
import { accountQuery, ACCOUNT_WORKFLOW_ID } from '../../src/workflows/account-definitions';
import { operatorCli } from '../cli/run-cli';
import { campaignEnv, countBy, waitFor } from '../helpers/campaign-env';
import { TcpProxy } from '../helpers/tcp-proxy';
import { canMount, fillDisk, mountTmpfs, tmpFiles, unmountTmpfs } from '../helpers/tmpfs';
import { killHard, spawnWorker } from '../helpers/worker-process';
import {
  coordinatorGaps,
  describeWait,
  holdsShare,
  longWaits,
  reportProblems,
  type StatusSample,
} from './support/chaos-checks';
import {
  ANSWER_FAULTS,
  chaosPlan,
  describeEpisode,
  STEADY_FAULTS,
  stream,
  type AnswerFault,
  type Episode,
  type EpisodeKind,
} from './support/chaos-plan';
import { temporalJson } from './support/temporal-cli';

// The account limit both campaigns share, and its promise at the simulator: never more than
// limit + max(1, limit/10) batch-reset calls in any second, whatever dies (docs/campaign-engine.md,
// "The rate promise"). Each campaign's own --rate (12) is above it, so a lost limit shows.
const LIMIT = 8;
const PROMISE = LIMIT + Math.max(1, LIMIT / 10);
// KooPhone's own limit (429 above it), the headroom an operator would leave over the account's.
const API_LIMIT = 12;
const PHONES = { first: 1500, second: 750 };
const JOB_TIMEOUT_MS = 25_000;
const IAM_USER = 'reset-operator';
const IAM_PASSWORD = 'the-Password-1';
// A campaign may wait this long without a phone finished or a call sent and say nothing: the
// longest silent wait of a healthy campaign is its tail, when only a stuck job is left and it is
// tracked until --job-timeout (25 s), plus a poll interval and a killed worker's heartbeat
// timeout (5 s) before its batch is tracked again — 45 s leaves 10 s to a loaded machine. KooPhone
// unreachable or throttling shows as a trouble, a full disk or a lost coordinator as a blocking
// cause, well within it (the issue asks for `blocked` within 60 s).
const WAIT_BOUND_MS = 45_000;
// A worker replaced (a kill, the IAM episode's rolling restart) leaves a status query or two
// unanswered (5 s each) while the one that takes over replays the campaign: no silence. Longer
// without any answer is one, whatever status said before.
const SILENCE_MS = 15_000;
// Not a timing assertion: a chaos run that has not ended by then is stuck (runs take 3–7 minutes on a
// loaded 2-core machine: five episodes, one of them a minute of IAM refusing the workers).
const RUN_CAP_MS = 12 * 60_000;
// The disk must block a campaign within this of being filled, or the episode is a failure.
const STORE_BLOCKED_WITHIN_MS = 90_000;
// A campaign that had not joined the account coordinator when it went joins the re-created one
// within this (a campaign blocked by an own part resumes within a minute of it healing).
const JOIN_WITHIN_MS = 60_000;

interface Campaign {
  name: 'first' | 'second';
  ids: string[];
  handle: WorkflowHandle<typeof resetCampaign>;
  samples: StatusSample[];
  result?: CampaignResult;
  error?: unknown;
}

/**
 * Everything at once, for minutes, on one seed (CHAOS_SEED, printed): KooPhone's weather (refused,
 * lost and applied-then-ambiguous answers, odd cmd_jobs, failed and stuck jobs), workers
 * SIGKILLed and replaced, KooPhone unreachable, the report store's disk full, the account
 * coordinator terminated, a second campaign under the same account limit, and IAM refusing the
 * workers' password (they are restarted with a wrong one, then the right one). The checker judges
 * every phone by the simulator's own counts, every second of waiting by what `status` said, and
 * the account's calls per second at the simulator. Longer than the single-cause tests, and not
 * green yet: it runs when CHAOS_EPISODES=1.
 */
describe(
  'chaos: KooPhone faults, worker kills and our own parts failing together',
  // Not in CI yet (see test/histories/explained/README.md, "Open"): its wait-naming check fails
  // on a loaded machine; CHAOS_EPISODES=1 runs it.
  { skip: process.env.CHAOS_EPISODES !== '1' && 'set CHAOS_EPISODES=1' },
  () => {
    // The account coordinator is namespace-wide: a dev server of this file's own, so its limit
    // reaches no other file's campaigns and no other file's workers serve it.
    let server: DevServer | undefined;
    const harness = { address: process.env.TEMPORAL_TEST_ADDRESS };
    before(async () => {
      const namespace = process.env.TEMPORAL_TEST_NAMESPACE ?? 'default';
      server = await startDevServer({
        headless: true,
        moreNamespaces: namespace === 'default' ? [] : [namespace],
      });
      process.env.TEMPORAL_TEST_ADDRESS = server.address;
    });
    const env = campaignEnv(
      { instances: 20_000, jobDurationMs: '300..1500', iamUser: IAM_USER, iamPassword: IAM_PASSWORD },
      { worker: false },
    );
    const workers: ReturnType<typeof spawnWorker>[] = [];
    let proxy: TcpProxy | undefined;
    let mount: string | undefined;
    let ballast: string | undefined;
    before(() => {
      // REPORT_DIR on a tmpfs of its own, so its disk can be filled (mounting needs root: CI has it).
      if (!canMount) return;
      mount = mountTmpfs('48m');
      env.reportDir = join(mount, 'reports');
      mkdirSync(env.reportDir);
      env.store = new FolderStore(env.reportDir);
    });
    after(async () => {
      for (const w of workers) await killHard(w);
      await proxy?.stop();
      if (ballast) rmSync(ballast, { force: true });
    });
    after(async () => {
      await server?.stop();
      if (harness.address === undefined) delete process.env.TEMPORAL_TEST_ADDRESS;
      else process.env.TEMPORAL_TEST_ADDRESS = harness.address;
      if (mount) unmountTmpfs(mount);
    });

    it('every phone one line with resets ≥ the simulator’s, every wait named, the account limit kept', async () => {
      const plan = chaosPlan(Number(process.env.CHAOS_SEED ?? 7));
      const episodes = canMount ? plan.episodes : plan.episodes.filter((e) => e.kind !== 'store-full');
      console.log(
        `# chaos seed ${plan.seed} (repeat with CHAOS_SEED=${plan.seed}): ${episodes.map(describeEpisode).join('; ')}; ` +
          `account limit ${LIMIT}/s set from ${plan.limitFromElsewhere ? 'a shell on a task queue no worker polls' : "the workers' task queue"}` +
          (canMount ? '' : '; no store-full (not root: no tmpfs)'),
      );
      env.sim.reset();
      env.sim.setFaults({ ...STEADY_FAULTS, rateLimit: API_LIMIT });
      proxy = new TcpProxy(Number(new URL(env.sim.url).port));
      await proxy.start();
      // Workers run as under a supervisor (compose's `restart: unless-stopped`): one that exits
      // of itself is started again. The one exit expected is a worker refusing to start on a full
      // disk (it proves its store writable first); any other is a crash, a finding.
      const killed = new Set<ReturnType<typeof spawnWorker>>();
      const crashes: string[] = [];
      let restarts = 0;
      let refusedOnFullDisk = 0;
      let diskFilled = false;
      const bornAt = new Map<ReturnType<typeof spawnWorker>, number>();
      const diedAt = new Map<ReturnType<typeof spawnWorker>, number>();
      // Workers sign in to IAM (the simulator's) for their tokens; the iam-refusal episode
      // starts them with a wrong password for a while.
      let iamPassword = IAM_PASSWORD;
      const refusedBy = new Set<ReturnType<typeof spawnWorker>>();
      const spawn = () => {
        const w = spawnWorker(
          env.workerProcessEnv({
            KOOPHONE_ENDPOINT: proxy!.url,
            KOOPHONE_TOKEN: '',
            KOOPHONE_IAM_ENDPOINT: env.sim.url,
            KOOPHONE_IAM_USERNAME: IAM_USER,
            KOOPHONE_IAM_PASSWORD: iamPassword,
            KOOPHONE_IAM_DOMAIN: 'acme',
          }),
        );
        if (iamPassword !== IAM_PASSWORD) refusedBy.add(w);
        workers.push(w);
        bornAt.set(w, Date.now());
        w.once('exit', (code, signal) => {
          diedAt.set(w, Date.now());
          if (killed.has(w)) return;
          restarts += 1;
          // (Seen as it exits, the disk may just have been freed.)
          if (diskFilled && /cannot be written: ENOSPC/.test(w.output())) refusedOnFullDisk += 1;
          else crashes.push(`worker exited (${signal ?? code}): ${w.output().slice(-2000)}`);
        });
      };
      const alive = () => workers.filter((w) => w.exitCode === null && w.signalCode === null);
      spawn();
      spawn();

      // The limit, set once a worker serves the account's task queue (the CLI refuses before).
      const shell = operatorCli(env, (): Record<string, string> =>
        plan.limitFromElsewhere ? { TEMPORAL_TASK_QUEUE: 'laptop-shell' } : {},
      );
      let set = { code: -1, stdout: '', stderr: '' };
      await waitFor(
        async () => (set = await shell(['account', '--rate', String(LIMIT)])).code === 0,
        180_000,
        2000,
      ).catch(() =>
        assert.fail(
          `account --rate ${LIMIT}: ${set.stderr}${alive()
            .map((w) => w.output())
            .join('\n')}`,
        ),
      );
      const client = env.temporal.client;

      const campaigns: Campaign[] = [];
      let offset = 0;
      const startCampaign = async (name: Campaign['name'], n: number) => {
        const ids = env.ids(n, offset);
        offset += n;
        const handle = await env.start(
          {
            batchSize: 10,
            concurrency: 16,
            rate: 12,
            canary: 0,
            maxErrors: '100%',
            retryFailed: 1,
            retryDelayMs: 500,
            // Longer than the outage: tracking waits it out instead of timing jobs out.
            jobTimeoutMs: JOB_TIMEOUT_MS,
            submitBackoffMaxMs: 4000,
            heartbeatTimeoutMs: 5000,
          },
          { kind: 'inline', ids },
        );
        const c: Campaign = { name, ids, handle, samples: [] };
        campaignResult(handle).then(
          (r) => (c.result = r),
          (err: unknown) => (c.error = err),
        );
        campaigns.push(c);
      };
      const over = (c: Campaign) => c.result !== undefined || c.error !== undefined;
      const latest = (c: Campaign) => [...c.samples].reverse().find((s) => s.status)?.status;

      // ---- the episodes: each starts once, at its share of the first campaign's phones done ----
      const figures: string[] = [];
      const failures: string[] = [];
      const since = (t: number) => `${Math.round((Date.now() - t) / 1000)} s`;
      const started = Date.now();
      const at = () => `t+${Math.round((Date.now() - started) / 1000)} s`;
      /** Starts an episode; its tick says when it is over. */
      const EPISODES: Record<EpisodeKind, (e: Episode) => Promise<() => Promise<boolean>>> = {
        'koophone-outage': async (e) => {
          await proxy!.stop();
          const from = Date.now();
          figures.push(`KooPhone unreachable ${at()} for ${e.seconds} s`);
          return async () => {
            if (Date.now() - from < e.seconds * 1000) return false;
            await proxy!.start();
            return true;
          };
        },
        'store-full': async (e) => {
          ballast = fillDisk(env.reportDir);
          diskFilled = true;
          const filledAt = Date.now();
          let blockedAt: number | undefined;
          let freedAt: number | undefined;
          const blocked = () =>
            campaigns.map(latest).find((s) => s?.state === 'blocked' && s.blockingCause?.part === 'store');
          return async () => {
            if (freedAt === undefined) {
              const b = blocked();
              if (blockedAt === undefined && b) {
                blockedAt = Date.now();
                figures.push(
                  `disk full ${at()}: blocked after ${since(filledAt)} (${b.blockingCause!.code}: ${b.blockedBy})`,
                );
              }
              const timedOut = blockedAt === undefined && Date.now() - filledAt > STORE_BLOCKED_WITHIN_MS;
              if (timedOut)
                failures.push(`disk full for ${since(filledAt)}: no campaign said blocked by the store`);
              if (!timedOut && (blockedAt === undefined || Date.now() - blockedAt < e.seconds * 1000))
                return false;
              rmSync(ballast!, { force: true });
              ballast = undefined;
              freedAt = Date.now();
              return false;
            }
            if (blocked() && campaigns.some((c) => !over(c))) return false;
            figures.push(`disk freed ${e.seconds} s after the block: running again after ${since(freedAt)}`);
            return true;
          };
        },
        'coordinator-loss': async () => {
          const before = await findCoordinator(client);
          // The campaigns holding a share as it goes: the re-created coordinator must list them at once.
          const holding = campaigns.filter((c) => holdsShare(latest(c))).map((c) => c.handle.workflowId);
          await temporalJson(
            ['workflow', 'terminate', '--workflow-id', ACCOUNT_WORKFLOW_ID, '--reason', 'chaos'],
            env.temporal,
          );
          const terminatedAt = Date.now();
          let look: { at: number; joining: string[] } | undefined;
          const said = (id: string) => {
            const st = latest(campaigns.find((c) => c.handle.workflowId === id)!);
            return `${id} (${st ? `${st.state}${st.blockedBy ? `: ${st.blockedBy}` : ''}, share ${JSON.stringify(st.accountShare)}` : 'no status'})`;
          };
          return async () => {
            const now = await findCoordinator(client).catch(() => undefined);
            if (now?.status !== 'running' || (before.status === 'running' && now.runId === before.runId))
              return false;
            const running = () => campaigns.filter((c) => !over(c)).map((c) => c.handle.workflowId);
            const runningBefore = running();
            const view = await client.workflow
              .getHandle(ACCOUNT_WORKFLOW_ID)
              .query(accountQuery)
              .catch(() => undefined);
            if (!view) return false;
            const members = view.campaigns.map((c) => c.campaignId);
            const runningNow = runningBefore.filter((id) => running().includes(id));
            if (!look) {
              const gaps = coordinatorGaps({ holding, running: runningNow, members });
              if (gaps.lost.length > 0)
                failures.push(
                  `re-created coordinator without ${gaps.lost.map(said).join(', ')}, which held a share`,
                );
              if (view.limits.rate !== LIMIT)
                failures.push(`re-created coordinator limits ${JSON.stringify(view.limits)}`);
              figures.push(
                `coordinator terminated ${at()}: re-created after ${since(terminatedAt)}, limit ${view.limits.rate}/s, ` +
                  `members ${JSON.stringify(view.campaigns.map((c) => `${c.campaignId}@${c.share.rate}`))}` +
                  (gaps.joining.length ? `, ${gaps.joining.join(', ')} not joined yet` : ''),
              );
              look = { at: Date.now(), joining: gaps.joining };
            }
            // Those that had not joined yet join it within a minute, as a blocked campaign resumes.
            const joining = look.joining.filter((id) => runningNow.includes(id) && !members.includes(id));
            if (joining.length === 0) {
              if (look.joining.length)
                figures.push(
                  `${look.joining.join(', ')} joined it (or ended) ${since(look.at)} after the look`,
                );
              return true;
            }
            if (Date.now() - look.at <= JOIN_WITHIN_MS) return false;
            failures.push(
              `${joining.map(said).join(', ')} not among the re-created coordinator's campaigns ${since(look.at)} after it answered`,
            );
            return true;
          };
        },
        'second-campaign': async () => {
          await startCampaign('second', PHONES.second);
          figures.push(`second campaign started ${at()}`);
          return () => Promise.resolve(true);
        },
        'iam-refusal': async (e) => {
          // Workers restarted with a wrong password, then with the right one, each as a rolling
          // restart (the loop replaces a killed worker; the next goes once its replacement has
          // been up 3 s), so someone always answers the campaigns' status: a worker with a wrong
          // password still runs workflows, only its KooPhone calls are refused.
          iamPassword = 'not-the-Password';
          const from = Date.now();
          const roll = async (): Promise<boolean> => {
            const outdated = (w: ReturnType<typeof spawnWorker>) =>
              refusedBy.has(w) !== (iamPassword !== IAM_PASSWORD);
            const old = alive().filter(outdated);
            if (old.length === 0) return true;
            const freshUp = alive().some((w) => !outdated(w) && Date.now() - bornAt.get(w)! > 3000);
            if (freshUp || old.length === alive().length) {
              if (!freshUp && alive().some((w) => !outdated(w))) return false;
              killed.add(old[0]!);
              await killHard(old[0]!);
            }
            return false;
          };
          const blocked = () =>
            campaigns
              .map(latest)
              .find((s) => s?.state === 'blocked' && s.blockingCause?.part === 'credentials');
          let blockedAt: number | undefined;
          let fixedAt: number | undefined;
          return async () => {
            if (fixedAt === undefined) {
              await roll();
              const b = blocked();
              if (blockedAt === undefined && b) {
                blockedAt = Date.now();
                figures.push(`IAM refusing ${at()}: blocked after ${since(from)} (${b.blockedBy})`);
              }
              const timedOut = blockedAt === undefined && Date.now() - from > STORE_BLOCKED_WITHIN_MS;
              if (timedOut)
                failures.push(`IAM refusing for ${since(from)}: no campaign said blocked by credentials`);
              if (!timedOut && (blockedAt === undefined || Date.now() - blockedAt < e.seconds * 1000))
                return false;
              // At most one sign-in a minute per worker while IAM refuses it.
              const refused = env.sim.signIns(from).filter((s) => !s.granted).length;
              const allowed = [...refusedBy].reduce(
                (n, w) =>
                  n + 1 + Math.floor(((diedAt.get(w) ?? Date.now()) - bornAt.get(w)!) / IAM_REFUSAL_PAUSE_MS),
                0,
              );
              if (refused > allowed)
                failures.push(
                  `${refused} refused IAM sign-ins from ${refusedBy.size} workers in ${since(from)}`,
                );
              figures.push(
                `${refused} refused IAM sign-ins from ${refusedBy.size} workers in ${since(from)} (at most ${allowed})`,
              );
              iamPassword = IAM_PASSWORD;
              fixedAt = Date.now();
            }
            if (!(await roll())) return false;
            if (blocked() && campaigns.some((c) => !over(c))) return false;
            figures.push(`IAM password fixed: running again after ${since(fixedAt)}`);
            return true;
          };
        },
      };

      // ---- the run: one tick a second ----
      await startCampaign('first', PHONES.first);
      const victims = stream(plan.seed, 'victims');
      const waiting = [...episodes];
      const running: { episode: Episode; tick: () => Promise<boolean> }[] = [];
      const weatherSeen = Object.fromEntries(Object.keys(ANSWER_FAULTS).map((k) => [k, 0])) as Record<
        AnswerFault,
        number
      >;
      let weatherUntil = 0;
      let stretches = 0;
      let nextKillAt = started + plan.killGapMs();
      let kills = 0;
      let allOverAt: number | undefined;
      // CHAOS_TRACE=FILE: a line a second of what the campaigns and the episodes do, to follow a run.
      const trace = process.env.CHAOS_TRACE;
      const queries = new Set<Promise<unknown>>();
      while (campaigns.some((c) => !over(c)) || running.length > 0) {
        const tick = Date.now();
        assert.ok(tick - started < RUN_CAP_MS, `still running after ${RUN_CAP_MS / 60_000} minutes of chaos`);
        await Promise.all(
          campaigns
            .filter((c) => !over(c))
            .map(async (c) => {
              // Unanswered within 5 s (no worker up): the tick goes on, the sample says so. The
              // query goes on too: it is awaited before the test ends (a query left running when
              // the connection closes throws outside any promise: "Channel has been shut down").
              const query = c.handle.query(statusQuery).catch(() => undefined);
              queries.add(query);
              void query.finally(() => queries.delete(query));
              const status = await Promise.race([query, sleep(5000).then(() => undefined)]);
              c.samples.push({ at: tick, ...(status ? { status } : {}) });
            }),
        );
        assert.deepEqual(crashes, [], 'workers that died of themselves');
        while (alive().length < 2) spawn();
        if (trace) {
          const states = campaigns.map((c) => {
            const st = latest(c);
            return st
              ? `${c.name} ${st.state} ${st.total - st.pending - st.inFlight}/${st.total} calls ${st.batchResetCalls}` +
                  (st.blockedBy ? ` [${st.blockedBy.slice(0, 60)}]` : '')
              : `${c.name} ?`;
          });
          appendFileSync(
            trace,
            `${at()} workers ${alive().length} ${states.join(' | ')} | episodes ${running.map((r) => r.episode.kind).join(',')}\n`,
          );
        }
        if (campaigns.some((c) => !over(c))) {
          if (tick >= weatherUntil) {
            const w = plan.nextWeather();
            env.sim.setFaults({ ...STEADY_FAULTS, ...w.faults, rateLimit: API_LIMIT });
            weatherUntil = tick + w.seconds * 1000;
            stretches += 1;
            for (const [k, rate] of Object.entries(w.faults))
              if (rate > 0) weatherSeen[k as AnswerFault] += 1;
          }
          if (tick >= nextKillAt) {
            // A worker that has had time to start (a kill mid-start-up is no harder a fault).
            const living = alive().filter((w) => Date.now() - bornAt.get(w)! > 10_000);
            const victim = living[Math.floor(victims() * living.length)];
            if (victim) {
              killed.add(victim);
              await killHard(victim);
              kills += 1;
            }
            nextKillAt = Date.now() + plan.killGapMs();
          }
          const first = latest(campaigns[0]!);
          const done = first ? (first.total - first.pending - first.inFlight) / first.total : 0;
          // The disk full and IAM refusing never overlap: the IAM episode restarts every worker,
          // and a worker refuses to start on a full store (it proves it writable first), so with
          // both nobody would run the campaigns to say why they wait (a finding, issue 24 note).
          const apart = (e: Episode) =>
            !running.some(
              (r) =>
                (r.episode.kind === 'store-full') !== (e.kind === 'store-full') &&
                [r.episode.kind, e.kind].every((k) => k === 'store-full' || k === 'iam-refusal'),
            );
          for (const e of waiting.filter((w) => done >= w.atDone)) {
            // (Checked one by one: two due at the same tick must not start together.)
            if (!apart(e)) continue;
            waiting.splice(waiting.indexOf(e), 1);
            running.push({ episode: e, tick: await EPISODES[e.kind](e) });
          }
        }
        for (const r of [...running]) if (await r.tick()) running.splice(running.indexOf(r), 1);
        // Once the campaigns ended, a coordinator not yet re-created has a minute (every worker
        // re-creates it within 30 s); an episode still going after it fails the run below.
        if (campaigns.some((c) => !over(c))) allOverAt = undefined;
        else if ((allOverAt ??= tick) < tick - 60_000) break;
        await sleep(Math.max(0, 1000 - (Date.now() - tick)));
      }
      await Promise.allSettled([...queries]);
      // CHAOS_KEEP=DIR: each campaign's history (as `temporal workflow show` writes it) and store
      // folder, kept before the checks, to study a failure after the server and tmpfs are gone.
      const keep = process.env.CHAOS_KEEP;
      if (keep) {
        mkdirSync(keep, { recursive: true });
        for (const c of campaigns) {
          const id = c.handle.workflowId;
          writeFileSync(join(keep, `${id}.json`), await temporalJson(['workflow', 'show', '--workflow-id', id], env.temporal));
          cpSync(join(env.reportDir, id), join(keep, `${id}-store`), { recursive: true });
        }
      }
      // In the trace too: an earlier failed assertion (a wait) would hide them.
      if (trace)
        appendFileSync(trace, `FIGURES ${JSON.stringify(figures)}\nFAILURES ${JSON.stringify(failures)}\n`);
      const seconds = Math.round((Date.now() - started) / 1000);

      // ---- the checks ----
      const stats = env.sim.stats();
      const faults = Object.entries(stats.faults).filter(([, n]) => n > 0);
      const applied = (id: string) => env.sim.instance(id)?.resets ?? 0;
      const lines: string[] = [];
      for (const c of campaigns) {
        assert.equal(c.error, undefined, `${c.name}: ${String(c.error)}`);
        assert.equal(c.result?.state, 'completed', `${c.name}: ${JSON.stringify(c.result)}`);
        const report = await env.report(c.handle.workflowId);
        const problems = reportProblems(report, c.ids, applied);
        assert.deepEqual(problems.slice(0, 20), [], `${c.name}: ${problems.length} problems`);
        // An IAM refusal marks no phone: it blocks the campaign, nothing is sent.
        const markedByIam = report.filter((l) => /^IAM|IAM refused/.test(`${l.error_code} ${l.error_msg}`));
        assert.deepEqual(
          markedByIam.slice(0, 5),
          [],
          `${c.name}: ${markedByIam.length} lines marked by the IAM refusal`,
        );
        const outcomes = countBy(report, (l) => l.outcome);
        for (const o of Object.keys(outcomes)) assert.ok(OUTCOMES.includes(o as never), o);
        assert.ok((outcomes.succeeded ?? 0) > c.ids.length * 0.8, JSON.stringify(outcomes));
        const waits = longWaits(c.samples, WAIT_BOUND_MS, SILENCE_MS);
        const unnamed = waits.filter((w) => w.unnamed);
        assert.deepEqual(
          unnamed.map(describeWait),
          [],
          `${c.name}: waits longer than ${WAIT_BOUND_MS / 1000} s that status named no cause for`,
        );
        const status = await c.handle.query(statusQuery).catch(() => undefined);
        const longest = c.samples.length
          ? Math.max(...longWaits(c.samples, 0).map((w) => w.until - w.since))
          : 0;
        lines.push(
          `${c.name} campaign: ${c.ids.length} phones, outcomes ${JSON.stringify(outcomes)}, ` +
            `${report.filter((l) => l.resets > 1).length} lines counting more than one reset, ` +
            `${report.filter((l) => l.resets > applied(l.instance_id)).length} counting more than applied; ` +
            `longest wait ${Math.round(longest / 1000)} s, waits over ${WAIT_BOUND_MS / 1000} s: ` +
            `${waits.map(describeWait).join('; ') || 'none'}; ` +
            `${c.samples.filter((s) => !s.status).length}/${c.samples.length} status samples unanswered; ` +
            `anomalies ${JSON.stringify(status?.anomalies?.map((a) => a.text) ?? [])}`,
        );
      }
      assert.deepEqual(failures, []);
      assert.deepEqual(waiting.map(describeEpisode), [], 'episodes that never began');
      assert.deepEqual(
        running.map((r) => describeEpisode(r.episode)),
        [],
        'episodes that never ended',
      );
      // The applied-then-ambiguous answers and the odd ones did come.
      const ambiguous = [
        'appliedBadGateway',
        'applied9999',
        'applied9999Http200',
        'appliedTruncated',
        'appliedMissingJob',
      ] as const;
      assert.ok(
        ambiguous.some((k) => stats.faults[k] > 0),
        JSON.stringify(stats.faults),
      );
      assert.ok(stats.faults.foreignJob + stats.faults.duplicateJob > 0, JSON.stringify(stats.faults));
      assert.ok(
        stats.peakRequestsPerSecond <= PROMISE,
        `peak ${stats.peakRequestsPerSecond} batch-reset calls in a second over the account's ${PROMISE} (limit ${LIMIT})`,
      );
      console.log(
        [
          `# chaos seed ${plan.seed}: ${seconds} s, ${kills} worker kills, ${restarts} workers restarted after exiting ` +
            `(${refusedOnFullDisk} refused to start on the full disk), ${stretches} stretches of weather ` +
            `(stretches per family: ${JSON.stringify(weatherSeen)})`,
          `simulator: ${stats.calls.batchReset} batch-reset calls, peak ${stats.peakRequestsPerSecond}/s ` +
            `(account limit ${LIMIT}, promise ${PROMISE}), ${stats.resets.total} resets applied; ` +
            `faults ${JSON.stringify(Object.fromEntries(faults))}`,
          ...figures,
          ...lines,
          `${tmpFiles(env.reportDir).length} .tmp files left in REPORT_DIR (a SIGKILLed worker may leave one)`,
        ]
          .map((l) => `# ${l}`)
          .join('\n'),
      );
    });
  },
);
