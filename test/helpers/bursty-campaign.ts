import { firstPollAfter } from '../../src/campaign/poll-schedule';

/**
 * A campaign as the operator watches it: 10 slots of 100 phones, each batch seen done by the
 * poll after its job (40..80 s), so 100 phones finish at once, then nothing for seconds; the
 * watcher samples every 2 s. 200 batches, 20 000 phones.
 */
export function burstyCampaign(): { at: number; finished: number }[] {
  const batches = 200;
  let seed = 16;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const slotFree = Array.from({ length: 10 }, (_, slot) => slot * 200);
  const finishes: number[] = [];
  for (let b = 0; b < batches; b += 1) {
    const slot = slotFree.indexOf(Math.min(...slotFree));
    const done = slotFree[slot]! + firstPollAfter(40_000 + random() * 40_000).atMs;
    finishes.push(done);
    slotFree[slot] = done;
  }
  const end = Math.max(...finishes);
  const samples: { at: number; finished: number }[] = [];
  for (let at = 0; at <= end; at += 2000) {
    samples.push({ at, finished: finishes.filter((f) => f <= at).length * 100 });
  }
  return samples;
}
