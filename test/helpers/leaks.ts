/**
 * Searches text (log files, captured stdout/stderr) for secrets in every encoding a careless log
 * line, error message or crash dump would use: hex (any case, contiguous or as a byte list such
 * as `<Buffer 0a 1b …>`), base64 and base64url (padded or not, and embedded at any byte offset of
 * a larger encoded buffer), decimal byte lists (JSON arrays, `{"type":"Buffer","data":[…]}`,
 * `util.inspect` of a Uint8Array, `JSON.stringify` of a Uint8Array as `{"0":…,"1":…}`), the text
 * itself for text secrets, and fragments (a truncated print such as the first 8 bytes in hex).
 */

/** One secret: its bytes, and its text form when it is text (a token, a webhook secret). */
export interface SecretItem {
  label: string;
  bytes: Uint8Array;
  /** Searched verbatim (and as text fragments of `TEXT_GRAM` characters if `textFragments`). */
  text?: string;
  /** Also flag any `TEXT_GRAM`-character piece of `text` (for random text secrets). */
  textFragments?: boolean;
  /** Also flag any `BINARY_GRAM`-character piece of its hex/base64/base64url encodings (default true). */
  binaryFragments?: boolean;
}

export interface Haystack {
  source: string;
  text: string;
}

export interface Finding {
  secret: string;
  encoding: string;
  source: string;
  offset: number;
  context: string;
}

/** 16 hex characters = 8 bytes; 16 base64 characters = 12 bytes. */
export const BINARY_GRAM = 16;
/** Pieces of random text secrets: V8's JSON.parse errors quote 10 characters of their input. */
export const TEXT_GRAM = 10;

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/**
 * The characters of the (unpadded) base64 encoding that depend only on the secret, when the
 * secret starts `offset` (0, 1 or 2) bytes into a larger encoded buffer. Any base64 text that
 * contains the secret's bytes at some position contains one of the three.
 */
export function base64Cores(b: Uint8Array, url: boolean): string[] {
  return [0, 1, 2].map((o) => {
    const enc = Buffer.concat([Buffer.alloc(o), b])
      .toString(url ? 'base64url' : 'base64')
      .replace(/=+$/, '');
    return enc.slice(Math.ceil((8 * o) / 6), Math.floor((8 * (o + b.length)) / 6));
  });
}

interface Needle {
  encoding: string;
  /** Plain strings are searched in the text as is, or lower-cased when `lower`. */
  find: string | RegExp;
  lower?: boolean;
}

/** Every whole-secret pattern searched for one secret. */
export function needlesOf(s: SecretItem): Needle[] {
  const b = Buffer.from(s.bytes);
  const out: Needle[] = [];
  if (s.text !== undefined) out.push({ encoding: 'text', find: s.text });
  out.push({ encoding: 'hex (any case)', find: hex(b), lower: true });
  out.push({ encoding: 'base64 (padded)', find: b.toString('base64') });
  out.push({
    encoding: 'base64url (padded)',
    find: b.toString('base64url').padEnd(4 * Math.ceil(b.length / 3), '='),
  });
  base64Cores(b, false).forEach((c, o) => {
    out.push({ encoding: `base64 (unpadded, byte offset ${o} mod 3)`, find: c });
  });
  base64Cores(b, true).forEach((c, o) => {
    out.push({ encoding: `base64url (unpadded, byte offset ${o} mod 3)`, find: c });
  });
  if (b.length <= 256) {
    const bytes = [...b];
    // [1, 2, 3] / 1,2,3 / Uint8Array(3) [ 1, 2, 3 ] / {"type":"Buffer","data":[1,2,3]} / {"0":1,"1":2,"2":3}
    const dec = bytes.map((v) => `(?:"?\\d+"?\\s*:\\s*)?${v}`).join('[\\s,;]+');
    out.push({ encoding: 'decimal byte list', find: new RegExp(`(?<![\\d.])${dec}(?!\\d)`) });
    // <Buffer 0a 1b …> / 0a:1b:… / 0x0a, 0x1b, …
    const hx = bytes.map((v) => v.toString(16).padStart(2, '0')).join('[\\s:,]+(?:0x)?');
    out.push({ encoding: 'hex byte list', find: new RegExp(`(?<![0-9a-f])(?:0x)?${hx}(?![0-9a-f])`, 'i') });
  }
  return out;
}

function grams(s: string, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i + n <= s.length; i++) out.push(s.slice(i, i + n));
  return out;
}

interface GramIndex {
  encoding: string;
  length: number;
  /** Runs of these characters are the only places a gram can be. */
  run: RegExp;
  lower: boolean;
  grams: Map<string, string>;
}

function gramIndexes(secrets: readonly SecretItem[]): GramIndex[] {
  const hexIdx: GramIndex = {
    encoding: 'hex fragment',
    length: BINARY_GRAM,
    run: new RegExp(`[0-9a-f]{${BINARY_GRAM},}`, 'g'),
    lower: true,
    grams: new Map(),
  };
  const b64Idx: GramIndex = {
    encoding: 'base64/base64url fragment',
    length: BINARY_GRAM,
    run: new RegExp(`[A-Za-z0-9+/_-]{${BINARY_GRAM},}`, 'g'),
    lower: false,
    grams: new Map(),
  };
  const textIdx: GramIndex = {
    encoding: 'text fragment',
    length: TEXT_GRAM,
    run: new RegExp(`[\\x21-\\x7e]{${TEXT_GRAM},}`, 'g'),
    lower: false,
    grams: new Map(),
  };
  for (const s of secrets) {
    if (s.binaryFragments !== false) {
      for (const g of grams(hex(s.bytes), BINARY_GRAM)) hexIdx.grams.set(g, s.label);
      for (const core of [...base64Cores(s.bytes, false), ...base64Cores(s.bytes, true)])
        for (const g of grams(core, BINARY_GRAM)) b64Idx.grams.set(g, s.label);
    }
    if (s.textFragments && s.text !== undefined)
      for (const g of grams(s.text, TEXT_GRAM)) textIdx.grams.set(g, s.label);
  }
  return [hexIdx, b64Idx, textIdx];
}

const around = (text: string, at: number, len: number) =>
  JSON.stringify(text.slice(Math.max(0, at - 40), at + len + 40));

/** Every place any secret appears in any haystack, in any encoding above. Empty means clean. */
export function findLeaks(secrets: readonly SecretItem[], haystacks: readonly Haystack[]): Finding[] {
  const found = new Map<string, Finding>();
  const add = (f: Finding) => {
    const key = `${f.secret}\0${f.encoding}\0${f.source}`;
    if (!found.has(key)) found.set(key, f);
  };
  const needles = secrets.map((s) => ({ s, needles: needlesOf(s) }));
  const indexes = gramIndexes(secrets);
  for (const h of haystacks) {
    const lower = h.text.toLowerCase();
    for (const { s, needles: list } of needles) {
      for (const n of list) {
        const text = n.lower ? lower : h.text;
        let at = -1;
        let len = 0;
        if (typeof n.find === 'string') {
          at = text.indexOf(n.find);
          len = n.find.length;
        } else {
          const m = n.find.exec(text);
          if (m) [at, len] = [m.index, m[0].length];
        }
        if (at >= 0)
          add({
            secret: s.label,
            encoding: n.encoding,
            source: h.source,
            offset: at,
            context: around(h.text, at, len),
          });
      }
    }
    for (const idx of indexes) {
      if (idx.grams.size === 0) continue;
      const text = idx.lower ? lower : h.text;
      for (const m of text.matchAll(idx.run)) {
        for (let i = 0; i + idx.length <= m[0].length; i++) {
          const label = idx.grams.get(m[0].slice(i, i + idx.length));
          if (label === undefined) continue;
          const at = m.index + i;
          add({
            secret: label,
            encoding: idx.encoding,
            source: h.source,
            offset: at,
            context: around(h.text, at, idx.length),
          });
          break;
        }
      }
    }
  }
  return [...found.values()];
}
