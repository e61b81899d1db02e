// A workflow whose next command depends on its clock, for activation-clock.test.ts: the smallest
// shape of the campaign engine's planning (a retry due → a lane, not due yet → a timer).
import { condition, defineQuery, defineSignal, proxyActivities, setHandler, sleep } from '@temporalio/workflow';

export const go = defineSignal('go');
export const age = defineQuery<number>('age');
export const LATE_MS = 3000;

const { probeLane } = proxyActivities<{ probeLane(): Promise<void> }>({ startToCloseTimeout: '10s' });

export async function clockProbe(): Promise<'lane' | 'timer'> {
  const startedAt = Date.now();
  let going = false;
  setHandler(go, () => void (going = true));
  setHandler(age, () => Date.now() - startedAt);
  await condition(() => going);
  // Decided on the clock of the task that applies the signal.
  if (Date.now() - startedAt >= LATE_MS) {
    await probeLane();
    return 'lane';
  }
  await sleep(1);
  return 'timer';
}
