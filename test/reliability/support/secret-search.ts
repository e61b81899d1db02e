import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface Needle {
  /** What the needle is, for the report ("IAM password"); never the value itself. */
  label: string;
  value?: string;
  pattern?: RegExp;
}

export interface Hit {
  place: string;
  label: string;
  /** How the value was found: as is, or inside a base64 payload. */
  via: 'text' | 'base64' | 'encoded';
}

// Temporal's JSON history carries payloads as base64: a secret there is not visible as text.
const BASE64_RUN = /[A-Za-z0-9+/]{12,}={0,2}/g;

/** Every base64 run in `text`, decoded, when the decoding is mostly printable text. */
function decodedRuns(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(BASE64_RUN)) {
    let run = m[0];
    run = run.slice(0, run.length - (run.replace(/=+$/, '').length % 4 === 1 ? 1 : 0));
    const decoded = Buffer.from(run, 'base64').toString('utf8');
    const printable = decoded.replace(/[^\x20-\x7e\n\r\t]/g, '').length;
    if (decoded.length > 0 && printable / decoded.length > 0.8) out.push(decoded);
  }
  return out;
}

/**
 * Searches texts for secrets: the values as typed, URL- or form-encoded, and inside base64 (two levels:
 * a payload may hold JSON that holds another encoded payload). Counts every place it searched.
 */
export class SecretSearch {
  readonly places: string[] = [];
  readonly hits: Hit[] = [];

  constructor(private readonly needles: Needle[]) {
    for (const n of needles) {
      if (n.value !== undefined && n.value.length < 6)
        throw new Error(`needle "${n.label}" is too short to search for`);
    }
  }

  /** The value as typed, then as a URL or a form would carry it. */
  private static variants(value: string): { text: string; encoded: boolean }[] {
    const encoded = new Set([
      encodeURIComponent(value),
      new URLSearchParams({ v: value }).toString().slice(2),
    ]);
    encoded.delete(value);
    return [{ text: value, encoded: false }, ...[...encoded].map((text) => ({ text, encoded: true }))];
  }

  private matches(text: string): { needle: Needle; encoded: boolean }[] {
    const found: { needle: Needle; encoded: boolean }[] = [];
    for (const needle of this.needles) {
      if (needle.value !== undefined) {
        const v = SecretSearch.variants(needle.value).find((variant) => text.includes(variant.text));
        if (v) found.push({ needle, encoded: v.encoded });
      } else if (
        needle.pattern &&
        new RegExp(needle.pattern.source, needle.pattern.flags.replace('g', '')).test(text)
      ) {
        found.push({ needle, encoded: false });
      }
    }
    return found;
  }

  /** Searches one place; returns its hits (also kept in `hits`). */
  search(place: string, text: string): Hit[] {
    this.places.push(place);
    const found: Hit[] = [];
    const seen = new Set<string>();
    const record = (label: string, via: Hit['via']) => {
      if (seen.has(label)) return;
      seen.add(label);
      found.push({ place, label, via });
    };
    for (const m of this.matches(text)) record(m.needle.label, m.encoded ? 'encoded' : 'text');
    for (const level1 of decodedRuns(text)) {
      for (const m of this.matches(level1)) record(m.needle.label, 'base64');
      for (const level2 of decodedRuns(level1))
        for (const m of this.matches(level2)) record(m.needle.label, 'base64');
    }
    this.hits.push(...found);
    return found;
  }

  /** Every regular file under `dir`, recursively (report stores, --out files). */
  searchTree(dir: string, label = dir): number {
    let files = 0;
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const s = statSync(path);
      if (s.isDirectory()) files += this.searchTree(path, `${label}/${name}`);
      else if (s.isFile()) {
        this.search(`file ${path}`, readFileSync(path).toString('latin1'));
        files += 1;
      }
    }
    return files;
  }
}
