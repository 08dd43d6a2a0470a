/**
 * The benchmark corpus: seeded, English-like text with a Zipf word distribution, cached on disk.
 *
 *   node --import tsx bench/corpus.ts [--mb 64] [--seed 42] [--input FILE]   # prints its stats
 *
 * Generated corpus (no `--input`): a vocabulary of {@link VOCABULARY} distinct pronounceable
 * lower-case words built from syllables (onset + vowel + coda) with a seeded mulberry32 PRNG,
 * shorter words at the frequent ranks (as in English); each word is drawn with probability
 * ∝ 1/rank (Zipf, s = 1). About 2 % of the drawn words carry multi-byte UTF-8: words outside the
 * top 100 ranks get, with probability {@link ACCENT_P}, an accented letter (á, é, ñ, ü, ç …) and,
 * one time in ten, an emoji. Lines of 5–30 words, single spaces, `\n` after every line, until
 * `--mb` × 10^6 bytes are reached. Same seed and size, same bytes: the file is cached under
 * `bench/.cache/` (with a `.json` of its stats) and generated only once.
 *
 * With `--input FILE`: that file as is, or repeated to about `--mb` MB if `--mb` is given too (the
 * copy goes to the caller's temporary directory).
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** Distinct words in the generated vocabulary. */
export const VOCABULARY = 60_000;
/** Chance that a word outside the top 100 ranks is multi-byte: ≈ 2 % of drawn words (ranks > 100 carry ≈ 55 % of the mass). */
export const ACCENT_P = 0.036;
const VERSION = 1;
const CACHE = fileURLToPath(new URL('./.cache/', import.meta.url));

export interface Corpus {
  file: string;
  /** What it is, for reports: `zipf(seed 42, 60000 words)` or the input path. */
  source: string;
  bytes: number;
  lines: number;
  /** Only known for a generated corpus. */
  words?: number;
  distinct?: number;
  multibyteWordShare?: number;
}

/** Seeded PRNG (mulberry32): floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ONSETS = ['', '', 'b', 'c', 'd', 'f', 'g', 'h', 'j', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'w', 'y', 'z', 'br', 'ch', 'cl', 'cr', 'dr', 'fl', 'fr', 'gl', 'gr', 'pl', 'pr', 'qu', 'sc', 'sh', 'sl', 'sp', 'st', 'str', 'th', 'tr', 'wh'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'a', 'e', 'i', 'o', 'ai', 'ea', 'ee', 'ie', 'oo', 'ou', 'y'];
const CODAS = ['', '', '', '', '', '', '', 'n', 'r', 's', 't', 'l', 'm', 'd', 'nd', 'ng', 'nt', 'rd', 'st', 'ck', 'sh', 'th', 'x', 'ss'];
const ACCENTS: Record<string, string[]> = { a: ['á', 'à', 'â', 'ä'], e: ['é', 'è', 'ê', 'ë'], i: ['í', 'ï'], o: ['ó', 'ô', 'ö'], u: ['ú', 'ü'], n: ['ñ'], c: ['ç'] };
const EMOJI = ['🙂', '🔥', '🚀', '🎉', '🌱', '✨', '❤️'];

/** The vocabulary, most frequent first. */
export function vocabulary(rng: () => number, size = VOCABULARY): string[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];
  const seen = new Set<string>();
  const words: string[] = [];
  while (words.length < size) {
    const rank = words.length + 1;
    // 1 short syllable for the top ranks ("the", "of"), up to 4 in the tail.
    const syllables = Math.min(4, 1 + Math.floor((Math.log(rank) / Math.log(size)) * 2.2 + rng() * 0.7));
    let w = '';
    for (let s = 0; s < syllables; s++) {
      w += rank <= 60 ? pick(ONSETS).slice(0, 1) + pick(VOWELS).slice(0, 1) + pick(CODAS).slice(0, 1) : pick(ONSETS) + pick(VOWELS) + pick(CODAS);
    }
    if (rank > 100 && rng() < ACCENT_P) {
      const at = [...w].findIndex((ch, i) => i >= rng() * w.length && ch in ACCENTS);
      if (at >= 0) w = w.slice(0, at) + pick(ACCENTS[w[at]]) + w.slice(at + 1);
      if (at < 0 || rng() < 0.1) w += pick(EMOJI);
    }
    if (!seen.has(w)) {
      seen.add(w);
      words.push(w);
    }
  }
  return words;
}

/** Generates (or finds in the cache) the seeded corpus of about `mb` × 10^6 bytes. */
export function generatedCorpus(mb: number, seed: number): Corpus {
  if (!(mb > 0)) throw new Error(`--mb must be positive, got ${mb}`);
  const file = join(CACHE, `zipf-v${VERSION}-seed${seed}-${mb}mb.txt`);
  const metaFile = file.replace(/\.txt$/, '.json');
  if (existsSync(file) && existsSync(metaFile)) return JSON.parse(readFileSync(metaFile, 'utf8')) as Corpus;

  const rng = mulberry32(seed);
  const vocab = vocabulary(rng).map((w) => Buffer.from(w, 'utf8'));
  const multibyte = vocab.map((b) => b.some((x) => x >= 0x80));
  const cdf = new Float64Array(vocab.length);
  let total = 0;
  for (let r = 0; r < vocab.length; r++) cdf[r] = total += 1 / (r + 1);
  const draw = (): number => {
    const u = rng() * total;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };

  mkdirSync(CACHE, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  const target = Math.round(mb * 1e6);
  const chunk = Buffer.allocUnsafe(1 << 22);
  const used = new Uint8Array(vocab.length);
  let fill = 0; // bytes in `chunk`
  let flushed = 0; // bytes written to the file
  let lines = 0;
  let words = 0;
  let mbWords = 0;
  try {
    while (flushed + fill < target) {
      const n = 5 + Math.floor(rng() * 26);
      if (fill + n * 64 > chunk.length) {
        writeSync(fd, chunk, 0, fill);
        flushed += fill;
        fill = 0;
      }
      for (let i = 0; i < n; i++) {
        const r = draw();
        used[r] = 1;
        if (multibyte[r]) mbWords++;
        fill += vocab[r].copy(chunk, fill);
        chunk[fill++] = i === n - 1 ? 0x0a : 0x20;
      }
      words += n;
      lines++;
    }
    writeSync(fd, chunk, 0, fill);
    flushed += fill;
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const corpus: Corpus = {
    file,
    source: `zipf(seed ${seed}, ${VOCABULARY} words, s = 1)`,
    bytes: flushed,
    lines,
    words,
    distinct: used.reduce((a, b) => a + b, 0),
    multibyteWordShare: mbWords / words,
  };
  writeFileSync(metaFile, JSON.stringify(corpus, null, 2) + '\n');
  return corpus;
}

/** `input` as is, or repeated to about `mb` MB into `tmpDir` (copies never glue two lines). */
export function inputCorpus(input: string, mb: number | undefined, tmpDir: string): Corpus {
  let text = readFileSync(input);
  let file = input;
  if (mb !== undefined) {
    if (text.length > 0 && text[text.length - 1] !== 0x0a) text = Buffer.concat([text, Buffer.from('\n')]);
    text = Buffer.concat(Array(Math.max(1, Math.round((mb * 1e6) / text.length))).fill(text));
    file = join(tmpDir, basename(input));
    writeFileSync(file, text);
  }
  return { file, source: mb === undefined ? input : `${input} repeated to ~${mb} MB`, bytes: text.length, lines: countLines(text) };
}

/** Lines as the feeder and the consumers count them: ended by `\n`, `\r\n` or a lone `\r`, plus a final unterminated one. */
export function countLines(buf: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (b === 0x0a || (b === 0x0d && buf[i + 1] !== 0x0a)) n++;
  }
  const last = buf.length > 0 ? buf[buf.length - 1] : 0x0a;
  return last === 0x0a || last === 0x0d ? n : n + 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { mb: { type: 'string' }, seed: { type: 'string', default: '42' }, input: { type: 'string' } } });
  const t0 = performance.now();
  const c = values.input
    ? inputCorpus(values.input, values.mb === undefined ? undefined : Number(values.mb), CACHE)
    : generatedCorpus(Number(values.mb ?? 64), Number(values.seed));
  console.log(JSON.stringify({ ...c, ms: Math.round(performance.now() - t0) }, null, 2));
}
