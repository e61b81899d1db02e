import type { CampaignStore } from '../report/campaign-store';
import { IdSetDigest } from '../report/id-set';
import { sealSpool } from '../report/verified-spool';
import type { PreparedSource } from '../campaign/prepared-source';

/**
 * The store as prepare writes through it: every line prepare writes itself (frozen, leased, phones
 * refused before any call) is counted into the seal's `answered` digest, and the spool is sealed
 * before it is written — the seal's bytes first, then the spool and the prepared record that
 * carries the seal — so a prepare that dies half-way leaves no spool without its seal. Whatever
 * parts prepare writes, and in whatever order it cuts the spool, the seal covers them; a part
 * written after the spool would escape it, and is refused.
 */
export function sealingStore(store: CampaignStore): CampaignStore {
  const answered = new Map<string, IdSetDigest>();
  let spooled = false;
  const writePart: CampaignStore['writePart'] = async (campaignId, name, lines) => {
    if (spooled) throw new Error(`prepare wrote part ${name} after the spool: its lines would escape the seal`);
    const digest = new IdSetDigest();
    for (const l of lines) digest.add(l.instance_id);
    answered.set(name, digest);
    await store.writePart(campaignId, name, lines);
  };
  const writeSpool: CampaignStore['writeSpool'] = async (campaignId, ids, prepared) => {
    if (!Array.isArray(ids)) throw new Error('prepare seals a spool it holds whole (an array of ids)');
    const list = ids as readonly string[];
    const { seal, bytes } = sealSpool(list);
    await store.writeSpoolSeal(campaignId, bytes);
    spooled = true;
    const all = new IdSetDigest();
    const parts = [...answered.keys()].sort();
    // Each part's digest re-summed: a multiset hash of the union is the sum of the parts'.
    for (const name of parts) all.merge(answered.get(name)!);
    return store.writeSpool(campaignId, list, (count): PreparedSource => ({
      ...prepared(count),
      seal: { ...seal, answered: { parts, count: all.count, digest: all.digest() } },
    }));
  };
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'writePart') return writePart;
      if (prop === 'writeSpool') return writeSpool;
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
