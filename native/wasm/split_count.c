/*
 * The seed's WordCount map side in WebAssembly with 128-bit SIMD: lines of UTF-8 bytes are split
 * on an ASCII separator and each distinct token is counted in an open-addressing table, all in
 * this module's own linear memory. The JavaScript kernel (src/exec/split-count.ts) is the
 * reference; src/exec/wasm-split-count.ts drives this one and must give the very same tokens,
 * counts and first-occurrence order.
 *
 * One instance per thread, with its own (unshared) memory: statics are per worker and nothing
 * else can see the shadow stack. Everything the caller touches is reached through exported
 * addresses, and every export may grow the memory (the caller re-reads memory.buffer after).
 *
 * Memory layout, a bump heap above __heap_base, rebuilt by sc_reset() at every task:
 *   [slots: cap × 32-byte entries][order: cap/2 + 1 × u32][arena: key bytes][input: bytes, offsets]
 * A region that must grow moves to the top of the heap; the hole it leaves is reclaimed at the
 * next reset. Keys are copied to the arena on first sight, so the input region is reused by every
 * range of a task.
 *
 * SIMD loads read up to 16 bytes past a token's end, and the 8-byte hash loads up to 7: every
 * region that is read that way (input, arena) is followed by PAD bytes of slack.
 *
 * Build: scripts/build-wasm.sh (clang --target=wasm32 -msimd128 -O3 -nostdlib, wasm-ld --no-entry).
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define PAD 32u
#define PAGE 65536u
#define MIN_CAP 4096u
#define MAX_SEP 256u

/* One table slot. `count` is 0 in an empty slot and at least 1 in a used one. `len` has bit 31
 * set when the key holds a byte >= 0x80 (it may then be invalid UTF-8): equal bytes give equal
 * fields, so the flag never affects matching. The first 16 key bytes are kept inline, zero-padded,
 * so most compares touch only the slot's own cache line. */
typedef struct {
  uint32_t hash;
  uint32_t len;
  uint32_t count;
  uint32_t key; /* offset of the key's bytes in the arena (which moves as it grows) */
  v128_t head;
} entry_t;

#define NONASCII 0x80000000u

extern unsigned char __heap_base;

static uint32_t top;        /* first free byte of the heap */
static entry_t *slots;
static uint32_t cap, mask, size;
static uint32_t *order;     /* slot numbers in first-occurrence order */
static uint8_t *arena;
static uint32_t arena_len, arena_cap;
static uint8_t *input;
static uint32_t input_cap;
static int32_t *offsets;
static uint32_t nonascii;   /* entries whose key has a byte >= 0x80 */
static uint8_t sep[MAX_SEP];

/* Grows linear memory so that [0, end) is addressable; 0 when memory cannot grow. */
static int reserve(uint32_t end) {
  uint32_t have = (uint32_t)__builtin_wasm_memory_size(0) * PAGE;
  if (end <= have) return 1;
  uint32_t pages = (end - have + PAGE - 1) / PAGE;
  return __builtin_wasm_memory_grow(0, pages) != (__SIZE_TYPE__)-1;
}

/* `n` bytes at the top of the heap, 16-aligned; 0 when memory cannot grow. */
static void *bump(uint32_t n) {
  uint32_t at = (top + 15u) & ~15u;
  if (!reserve(at + n)) return 0;
  top = at + n;
  return (void *)(uintptr_t)at;
}

static void fill_zero(void *p, uint32_t n) {
  v128_t z = wasm_i64x2_const(0, 0);
  uint8_t *b = p;
  for (uint32_t i = 0; i < n; i += 16) wasm_v128_store(b + i, z);
}

static void copy_bytes(uint8_t *dst, const uint8_t *src, uint32_t n) {
  for (uint32_t i = 0; i < n; i += 16) wasm_v128_store(dst + i, wasm_v128_load(src + i));
}

/* Bytes [0, n) of a 16-byte vector set, the rest 0. */
static inline v128_t head_mask(uint32_t n) {
  const v128_t iota = wasm_u8x16_make(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  return wasm_u8x16_lt(iota, wasm_u8x16_splat((uint8_t)(n > 16 ? 16 : n)));
}

/* A multiply-xor hash over 8 bytes at a time. */
static inline uint32_t hash_bytes(const uint8_t *p, uint32_t len) {
  uint64_t h = (uint64_t)len * 0x9E3779B97F4A7C15ull;
  uint32_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t x;
    __builtin_memcpy(&x, p + i, 8);
    h = (h ^ x) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 31;
  }
  if (i < len) {
    uint64_t x;
    __builtin_memcpy(&x, p + i, 8);
    x &= ~0ull >> (64 - 8 * (len - i));
    h = (h ^ x) * 0x94d049bb133111ebull;
  }
  h ^= h >> 32;
  return (uint32_t)h;
}

/* Whether key bytes past the first 16 equal the token's. */
static int tail_equal(const uint8_t *a, const uint8_t *b, uint32_t len) {
  for (uint32_t i = 16; i < len; i += 16) {
    v128_t d = wasm_v128_xor(wasm_v128_load(a + i), wasm_v128_load(b + i));
    uint32_t rest = len - i;
    if (rest < 16) d = wasm_v128_and(d, head_mask(rest));
    if (wasm_v128_any_true(d)) return 0;
  }
  return 1;
}

static int has_high_byte(const uint8_t *p, uint32_t len) {
  for (uint32_t i = 0; i < len; i += 16) {
    v128_t v = wasm_v128_load(p + i);
    uint32_t bits = (uint32_t)wasm_i8x16_bitmask(v);
    if (len - i < 16) bits &= (1u << (len - i)) - 1u;
    if (bits) return 1;
  }
  return 0;
}

/* A new, empty table of `n` slots; 0 when memory cannot grow. */
static int new_table(uint32_t n) {
  entry_t *s = bump(n * (uint32_t)sizeof(entry_t));
  if (!s) return 0;
  /* The table doubles once it holds more than n/2 entries, after the one that tipped it over. */
  uint32_t *o = bump((n / 2 + 1) * 4);
  if (!o) return 0;
  fill_zero(s, n * (uint32_t)sizeof(entry_t));
  slots = s;
  order = o;
  cap = n;
  mask = n - 1;
  return 1;
}

/* Doubles the table, keeping first-occurrence order. */
static int rehash(void) {
  entry_t *old = slots;
  uint32_t *old_order = order;
  if (!new_table(cap * 2)) return 0;
  for (uint32_t k = 0; k < size; k++) {
    entry_t *e = &old[old_order[k]];
    uint32_t s = e->hash & mask;
    while (slots[s].count) s = (s + 1) & mask;
    slots[s] = *e;
    order[k] = s;
  }
  return 1;
}

static int arena_room(uint32_t len) {
  if (arena_len + len + PAD <= arena_cap) return 1;
  uint32_t want = arena_cap * 2;
  if (want < arena_len + len + PAD) want = arena_len + len + PAD;
  uint8_t *a = bump(want);
  if (!a) return 0;
  copy_bytes(a, arena, arena_len);
  arena = a;
  arena_cap = want;
  return 1;
}

/* The slot of key p[0, len) (hash h, first 16 bytes `head`): its entry's, or the empty slot where
 * it would go (its `count` is 0). */
static inline uint32_t probe(const uint8_t *p, uint32_t len, uint32_t h, v128_t head) {
  uint32_t s = h & mask;
  for (;;) {
    const entry_t *e = &slots[s];
    if (!e->count) return s;
    if (e->hash == h && (e->len & ~NONASCII) == len && !wasm_v128_any_true(wasm_v128_xor(e->head, head)) &&
        (len <= 16 || tail_equal(arena + e->key, p, len))) {
      return s;
    }
    s = (s + 1) & mask;
  }
}

/* Counts token p[0, len); 0 when memory ran out. */
static inline int count(const uint8_t *p, uint32_t len) {
  uint32_t h = hash_bytes(p, len);
  v128_t head = wasm_v128_and(wasm_v128_load(p), head_mask(len));
  uint32_t s = probe(p, len, h, head);
  if (slots[s].count) {
    slots[s].count++;
    return 1;
  }
  if (!arena_room(len)) return 0;
  copy_bytes(arena + arena_len, p, len);
  int high = has_high_byte(p, len);
  nonascii += (uint32_t)high;
  entry_t *e = &slots[s];
  e->hash = h;
  e->len = len | (high ? NONASCII : 0);
  e->count = 1;
  e->key = arena_len;
  e->head = head;
  arena_len += len;
  order[size++] = s;
  if (size * 2 > cap) return rehash();
  return 1;
}

/* Starts a task: an empty table, an empty arena, the heap rewound. 0 when memory cannot grow. */
__attribute__((export_name("sc_reset"))) int sc_reset(void) {
  top = (uint32_t)(uintptr_t)&__heap_base;
  size = 0;
  nonascii = 0;
  arena_len = 0;
  arena_cap = 0;
  input_cap = 0;
  if (!new_table(MIN_CAP)) return 0;
  arena_cap = 64 * 1024;
  arena = bump(arena_cap);
  return arena != 0;
}

/* Where the separator's bytes go (at most 256). */
__attribute__((export_name("sc_separator"))) uint8_t *sc_separator(void) { return sep; }

/* Room for `bytes` bytes of lines and `lines + 1` int32 offsets; returns the bytes' address, the
 * offsets follow at sc_offsets(). 0 when memory cannot grow. */
__attribute__((export_name("sc_input"))) uint8_t *sc_input(uint32_t bytes, uint32_t lines) {
  uint32_t bytes_room = (bytes + PAD + 15u) & ~15u;
  uint32_t need = bytes_room + (lines + 1) * 4;
  if (need > input_cap) {
    uint8_t *in = bump(need);
    if (!in) return 0;
    input = in;
    input_cap = need;
  }
  offsets = (int32_t *)(input + bytes_room);
  fill_zero(input + bytes, PAD);
  return input;
}

__attribute__((export_name("sc_offsets"))) int32_t *sc_offsets(void) { return offsets; }

/*
 * Tokenises lines 0 … lines-1 of the input: line i is input[offsets[i] - base, offsets[i+1] - base).
 * Every line gives one more token than it has separators (as String.prototype.split: empty tokens
 * count). A multi-byte separator matches left to right without overlaps. 0 when memory ran out.
 */
__attribute__((export_name("sc_count_lines"))) int sc_count_lines(uint32_t lines, int32_t base, uint32_t sep_len) {
  const v128_t first = wasm_u8x16_splat(sep[0]);
  for (uint32_t i = 0; i < lines; i++) {
    uint32_t start = (uint32_t)(offsets[i] - base), end = (uint32_t)(offsets[i + 1] - base);
    uint32_t t = start;  /* current token's start */
    for (uint32_t pos = start; pos < end; pos += 16) {
      uint32_t bits = (uint32_t)wasm_i8x16_bitmask(wasm_i8x16_eq(wasm_v128_load(input + pos), first));
      if (end - pos < 16) bits &= (1u << (end - pos)) - 1u;
      while (bits) {
        uint32_t j = pos + (uint32_t)__builtin_ctz(bits);
        bits &= bits - 1u;
        if (sep_len > 1) {
          if (j < t || j + sep_len > end) continue;
          uint32_t k = 1;
          while (k < sep_len && input[j + k] == sep[k]) k++;
          if (k < sep_len) continue;
        }
        if (!count(input + t, j - t)) return 0;
        t = j + sep_len;
      }
    }
    if (!count(input + t, end - t)) return 0;
  }
  return 1;
}

/* Distinct tokens so far. */
__attribute__((export_name("sc_size"))) uint32_t sc_size(void) { return size; }

/* Distinct tokens holding a byte >= 0x80. */
__attribute__((export_name("sc_nonascii"))) uint32_t sc_nonascii(void) { return nonascii; }

/*
 * The table as `size` triples of u32 (key address, key length | NONASCII, count), in first-
 * occurrence order, at the returned address; 0 when memory cannot grow.
 */
__attribute__((export_name("sc_results"))) uint32_t *sc_results(void) {
  uint32_t *out = bump(size * 12 + 16);
  if (!out) return 0;
  for (uint32_t k = 0; k < size; k++) {
    entry_t *e = &slots[order[k]];
    out[3 * k] = (uint32_t)(uintptr_t)arena + e->key;
    out[3 * k + 1] = e->len;
    out[3 * k + 2] = e->count;
  }
  return out;
}

/* ---- The shuffle block, written here: no JavaScript per distinct word. ---- */

#define P1 0x9E3779B1u
#define P2 0x85EBCA77u
#define P3 0xC2B2AE3Du
#define P4 0x27D4EB2Fu
#define P5 0x165667B1u

static inline uint32_t rotl(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }
static inline uint32_t read32(const uint8_t *p) {
  uint32_t x;
  __builtin_memcpy(&x, p, 4);
  return x;
}

/* xxHash32, seed 0: the hash partitioner's (src/memory/xxhash.ts, h32Range). */
static uint32_t xxh32(const uint8_t *p, uint32_t len) {
  const uint8_t *end = p + len;
  uint32_t h;
  if (len >= 16) {
    uint32_t v1 = P1 + P2, v2 = P2, v3 = 0, v4 = 0u - P1;
    const uint8_t *limit = end - 16;
    do {
      v1 = rotl(v1 + read32(p) * P2, 13) * P1;
      v2 = rotl(v2 + read32(p + 4) * P2, 13) * P1;
      v3 = rotl(v3 + read32(p + 8) * P2, 13) * P1;
      v4 = rotl(v4 + read32(p + 12) * P2, 13) * P1;
      p += 16;
    } while (p <= limit);
    h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
  } else {
    h = P5;
  }
  h += len;
  for (; p + 4 <= end; p += 4) h = rotl(h + read32(p) * P3, 17) * P4;
  for (; p < end; p++) h = rotl(h + (uint32_t)*p * P5, 11) * P1;
  h ^= h >> 15;
  h *= P2;
  h ^= h >> 13;
  h *= P3;
  h ^= h >> 16;
  return h;
}

/* The value codec's tags (src/memory/value-codec.ts, native-layouts/README.md). */
#define TAG_INT32 4
#define TAG_FLOAT64 5
#define TAG_STRING 6
/* The partitioned block's header (src/memory/partitioned-block.ts). */
#define BLOCK_MAGIC 0x42504843u
#define BLOCK_VERSION 1u
#define BLOCK_HEADER_INTS 4u

static uint32_t block_len;

/* count × value as the codec writes a number: Int32 when it is one, else Float64. */
static inline uint32_t value_size(double v) {
  return v >= -2147483648.0 && v <= 2147483647.0 && (double)(int32_t)v == v ? 5 : 9;
}

static inline uint8_t *write_value(uint8_t *out, double v) {
  if (value_size(v) == 5) {
    int32_t i = (int32_t)v;
    *out = TAG_INT32;
    __builtin_memcpy(out + 1, &i, 4);
    return out + 5;
  }
  *out = TAG_FLOAT64;
  __builtin_memcpy(out + 1, &v, 8);
  return out + 9;
}

/* Writes key k's encoding (String tag, u32 length, bytes) at out, not a byte past it (the
 * sections of a block are written side by side); returns its end. */
static inline uint8_t *write_key(uint8_t *out, const entry_t *e) {
  uint32_t len = e->len & ~NONASCII;
  const uint8_t *src = arena + e->key;
  *out = TAG_STRING;
  __builtin_memcpy(out + 1, &len, 4);
  out += 5;
  uint32_t i = 0;
  for (; i + 16 <= len; i += 16) wasm_v128_store(out + i, wasm_v128_load(src + i));
  for (; i < len; i++) out[i] = src[i];
  return out + len;
}

/*
 * The shuffle map output of the counted tokens, every one valid UTF-8, as a partitioned block of
 * `parts` sections: the pairs [token, count × value], each in the section of its hash-partitioned
 * reduce partition (xxHash32 of the key's encoding, mod `parts`), in first-occurrence order within
 * a section. Byte for byte what the shuffle writer builds from the same records. Returns the
 * block's address, its length at sc_block_len(); 0 when memory cannot grow.
 */
__attribute__((export_name("sc_block"))) uint8_t *sc_block(uint32_t parts, double value) {
  if (parts == 0) return 0;
  uint32_t start = (BLOCK_HEADER_INTS + parts + 1 + parts) * 4;
  /* Per part: bytes, then records; then per entry its part. */
  uint32_t *part_bytes = bump(parts * 8 + size * 4 + 16);
  if (!part_bytes) return 0;
  uint32_t *part_count = part_bytes + parts;
  uint32_t *part_of = part_count + parts;
  for (uint32_t r = 0; r < parts; r++) part_bytes[r] = part_count[r] = 0;
  uint32_t longest = 0;
  for (uint32_t k = 0; k < size; k++) {
    uint32_t len = slots[order[k]].len & ~NONASCII;
    if (len > longest) longest = len;
  }
  uint8_t *scratch = bump(longest + 5 + PAD);
  if (!scratch) return 0;
  uint32_t total = 0;
  for (uint32_t k = 0; k < size; k++) {
    const entry_t *e = &slots[order[k]];
    uint32_t n = (uint32_t)(write_key(scratch, e) - scratch);
    uint32_t r = parts == 1 ? 0 : xxh32(scratch, n) % parts;
    part_of[k] = r;
    uint32_t bytes = n + value_size((double)e->count * value);
    part_bytes[r] += bytes;
    part_count[r]++;
    total += bytes;
  }
  uint8_t *block = bump(start + total + PAD);
  if (!block) return 0;
  uint32_t *ints = (uint32_t *)block;
  ints[0] = BLOCK_MAGIC;
  ints[1] = BLOCK_VERSION;
  ints[2] = parts;
  ints[3] = 0;
  uint8_t **at = bump(parts * 4); /* each section's write cursor (nothing on the shadow stack) */
  if (!at) return 0;
  uint32_t off = 0;
  for (uint32_t r = 0; r < parts; r++) {
    ints[BLOCK_HEADER_INTS + r] = off;
    ints[BLOCK_HEADER_INTS + parts + 1 + r] = part_count[r];
    at[r] = block + start + off;
    off += part_bytes[r];
  }
  ints[BLOCK_HEADER_INTS + parts] = off;
  for (uint32_t k = 0; k < size; k++) {
    const entry_t *e = &slots[order[k]];
    uint32_t r = part_of[k];
    at[r] = write_value(write_key(at[r], e), (double)e->count * value);
  }
  block_len = start + total;
  return block;
}

__attribute__((export_name("sc_block_len"))) uint32_t sc_block_len(void) { return block_len; }

/* ---- The reduce side: summing the [string, number] records of shuffle sections. ---- */

#define TAG_ARRAY 7

static double *sums;        /* per distinct key, in first-occurrence order: its sum */
static uint32_t sums_cap;

/* Adds v to key p[0, len)'s sum (a new key's sum is v); 0 when memory ran out. In merge mode a
 * slot's `count` is its key's rank + 1, so a match finds its sum. */
static inline int merge_key(const uint8_t *p, uint32_t len, double v) {
  uint32_t h = hash_bytes(p, len);
  v128_t head = wasm_v128_and(wasm_v128_load(p), head_mask(len));
  uint32_t s = probe(p, len, h, head);
  if (slots[s].count) {
    sums[slots[s].count - 1] += v;
    return 1;
  }
  if (!arena_room(len)) return 0;
  if (size == sums_cap) {
    uint32_t want = sums_cap * 2;
    double *grown = bump(want * 8);
    if (!grown) return 0;
    for (uint32_t k = 0; k < size; k++) grown[k] = sums[k];
    sums = grown;
    sums_cap = want;
  }
  copy_bytes(arena + arena_len, p, len);
  entry_t *e = &slots[s];
  e->hash = h;
  e->len = len;
  e->count = size + 1;
  e->key = arena_len;
  e->head = head;
  arena_len += len;
  sums[size] = v;
  order[size++] = s;
  if (size * 2 > cap) return rehash();
  return 1;
}

/* Starts a merge: sc_reset(), and room for the sums. 0 when memory cannot grow. */
__attribute__((export_name("sc_merge_reset"))) int sc_merge_reset(void) {
  if (!sc_reset()) return 0;
  sums_cap = MIN_CAP;
  sums = bump(sums_cap * 8);
  return sums != 0;
}

/*
 * Folds one shuffle section, copied to the input (sc_input(bytes, 0)), into the sums: `records`
 * pairs of a String-tagged key and an Int32- or Float64-tagged value, as the shuffle writer and
 * sc_block write them. Values are added in the order met, as the JavaScript merge's `a + b` does.
 * 1 when done; 0 when memory ran out; -1, having stopped at once, when the section holds anything
 * else (another tag, or bytes that run past the section): the caller then merges in JavaScript.
 */
__attribute__((export_name("sc_merge_section"))) int sc_merge_section(uint32_t bytes, uint32_t records) {
  uint32_t pos = 0;
  for (uint32_t i = 0; i < records; i++) {
    if (pos + 5 > bytes || input[pos] != TAG_STRING) return -1;
    uint32_t len;
    __builtin_memcpy(&len, input + pos + 1, 4);
    if (len > bytes - pos - 5) return -1;
    const uint8_t *key = input + pos + 5;
    pos += 5 + len;
    double v;
    if (pos + 5 <= bytes && input[pos] == TAG_INT32) {
      int32_t x;
      __builtin_memcpy(&x, input + pos + 1, 4);
      v = (double)x;
      pos += 5;
    } else if (pos + 9 <= bytes && input[pos] == TAG_FLOAT64) {
      __builtin_memcpy(&v, input + pos + 1, 8);
      pos += 9;
    } else {
      return -1;
    }
    if (!merge_key(key, len, v)) return 0;
  }
  return pos == bytes ? 1 : -1;
}

/*
 * The merged partition as a one-section block of [key, sum] pairs in first-occurrence order, each
 * an Array of 2 (tag, u32 2), the key as it was encoded, the sum as the codec writes a number:
 * byte for byte the block the JavaScript merge keeps. Returns its address, its length at
 * sc_block_len(); 0 when memory cannot grow.
 */
__attribute__((export_name("sc_merge_block"))) uint8_t *sc_merge_block(void) {
  uint32_t start = (BLOCK_HEADER_INTS + 1 + 1 + 1) * 4;
  uint32_t total = 0;
  for (uint32_t k = 0; k < size; k++) total += 5 + 5 + (slots[order[k]].len & ~NONASCII) + value_size(sums[k]);
  uint8_t *block = bump(start + total + PAD);
  if (!block) return 0;
  uint32_t *ints = (uint32_t *)block;
  ints[0] = BLOCK_MAGIC;
  ints[1] = BLOCK_VERSION;
  ints[2] = 1;
  ints[3] = 0;
  ints[BLOCK_HEADER_INTS] = 0;
  ints[BLOCK_HEADER_INTS + 1] = total;
  ints[BLOCK_HEADER_INTS + 2] = size;
  uint8_t *out = block + start;
  const uint32_t two = 2;
  for (uint32_t k = 0; k < size; k++) {
    *out = TAG_ARRAY;
    __builtin_memcpy(out + 1, &two, 4);
    out = write_value(write_key(out + 5, &slots[order[k]]), sums[k]);
  }
  block_len = start + total;
  return block;
}
