/*
 * gzip decompression with ISA-L's inflate, which takes about half of zlib's CPU for the same stream: a
 * pull's layer is decompressed on its unpack thread as its bytes arrive, and inflate was the larger part
 * of that thread's work. A stream is the gzip members one after the other (a parallel compressor writes
 * one member per block), each member's header read here and its data inflated and CRC-32 and length checked
 * by ISA-L; zero bytes after a member are padding, as zlib's gunzip in Node.js reads them. Errors carry zlib's wording for the same fault.
 */
#include "gunzip.h"

#include <isa-l/igzip_lib.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Where a member's reading is: its header's parts (RFC 1952), then the deflate data and trailer. */
enum header_part { H_FIXED, H_XLEN, H_EXTRA, H_NAME, H_COMMENT, H_HCRC, H_BODY };

typedef struct {
  struct inflate_state state;
  /* No member is half-read: before the first, or after one ended (a stream may end only here). */
  bool between;
  /* Members that ended, so zero bytes after one are padding, not a header. */
  unsigned members;
  enum header_part part;
  uint8_t fixed[10];
  /* Bytes of `fixed` (or of the extra field's length) read; then of the extra field still to skip. */
  uint32_t got, skip;
} gunzip_t;

/*
 * The member's header is read here, not by ISA-L: its own parser loses its place when optional fields
 * (FEXTRA, FNAME, FCOMMENT, FHCRC: `gzip file.tar` writes FNAME) are cut between two chunks. ISA-L then
 * inflates the deflate data and checks the trailer (CRC-32 and length); the header's own CRC-16 (FHCRC, which
 * no layer tool writes) is skipped, not checked. Returns NULL when the header is
 * read or needs more input, else zlib's words for what is wrong with it.
 */
static const char *read_header(gunzip_t *g, struct inflate_state *s) {
  while (g->part != H_BODY && s->avail_in > 0) {
    uint8_t flags = g->fixed[3];
    switch (g->part) {
      case H_FIXED:
      case H_XLEN: {
        uint32_t want = g->part == H_FIXED ? 10 : 2;
        while (g->got < want && s->avail_in > 0) {
          g->fixed[g->part == H_FIXED ? g->got : 4 + g->got] = *s->next_in++;
          s->avail_in--;
          g->got++;
        }
        if (g->got < want) return NULL;
        g->got = 0;
        if (g->part == H_FIXED) {
          if (g->fixed[0] != 0x1f || g->fixed[1] != 0x8b) return "incorrect header check";
          if (g->fixed[2] != 8) return "unknown compression method";
          if (g->fixed[3] & 0xe0) return "unknown header flags set";
          g->part = (g->fixed[3] & 4) ? H_XLEN : H_EXTRA;
        } else {
          g->skip = (uint32_t)g->fixed[4] | (uint32_t)g->fixed[5] << 8;
          g->part = H_EXTRA;
        }
        break;
      }
      case H_EXTRA: {
        uint32_t n = g->skip < s->avail_in ? g->skip : s->avail_in;
        s->next_in += n;
        s->avail_in -= n;
        g->skip -= n;
        if (g->skip == 0) g->part = (flags & 8) ? H_NAME : (flags & 16) ? H_COMMENT : (flags & 2) ? H_HCRC : H_BODY;
        break;
      }
      case H_NAME:
      case H_COMMENT: {
        const uint8_t *nul = memchr(s->next_in, 0, s->avail_in);
        uint32_t n = nul ? (uint32_t)(nul - s->next_in) + 1 : s->avail_in;
        s->next_in += n;
        s->avail_in -= n;
        if (nul) g->part = (g->part == H_NAME && (flags & 16)) ? H_COMMENT : (flags & 2) ? H_HCRC : H_BODY;
        break;
      }
      case H_HCRC:
        s->next_in++;
        s->avail_in--;
        if (++g->got == 2) {
          g->got = 0;
          g->part = H_BODY;
        }
        break;
      case H_BODY:
        break;
    }
  }
  if (g->part == H_BODY) {
    /* The deflate data follows: ISA-L inflates it and checks the gzip trailer after it. */
    isal_inflate_reset(s);
    s->crc_flag = ISAL_GZIP_NO_HDR_VER;
  }
  return NULL;
}

static void gunzip_free(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

/* zlib's messages for the faults ISA-L reports, so a corrupt layer reads the same whichever inflated it. */
static const char *inflate_error(int ret) {
  switch (ret) {
    case ISAL_INVALID_BLOCK: return "invalid block type";
    case ISAL_INVALID_SYMBOL: return "invalid literal/length code";
    case ISAL_INVALID_LOOKBACK: return "invalid distance too far back";
    case ISAL_INVALID_WRAPPER: return "incorrect header check";
    case ISAL_UNSUPPORTED_METHOD: return "unknown compression method";
    case ISAL_INCORRECT_CHECKSUM: return "incorrect data check";
    default: return "invalid deflate data";
  }
}

/* gunzipNew() -> state: a decompressor for one gzip stream. */
napi_value js_gunzip_new(napi_env env, napi_callback_info info) {
  (void)info;
  gunzip_t *g = malloc(sizeof *g);
  if (!g) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  isal_inflate_init(&g->state);
  g->between = true;
  g->members = 0;
  g->part = H_FIXED;
  g->got = g->skip = 0;
  napi_value ext;
  if (napi_create_external(env, g, gunzip_free, NULL, &ext) != napi_ok) {
    free(g);
    return NULL;
  }
  return ext;
}

/*
 * gunzip(state, input: Buffer, output: Buffer) -> [read, written, between]: decompress from input into
 * output until the input is used up or the output is full. Call again with the rest of the input, and with
 * an empty input while the output comes back full (ISA-L may hold decompressed bytes back); the stream
 * may end where `between` is 1.
 */
napi_value js_gunzip(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  gunzip_t *g;
  uint8_t *in, *out;
  size_t in_len, out_len;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      napi_get_value_external(env, argv[0], (void **)&g) != napi_ok ||
      napi_get_buffer_info(env, argv[1], (void **)&in, &in_len) != napi_ok ||
      napi_get_buffer_info(env, argv[2], (void **)&out, &out_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "gunzip(state, input: Buffer, output: Buffer)");
    return NULL;
  }
  if (in_len > UINT32_MAX || out_len > UINT32_MAX) {
    napi_throw_range_error(env, NULL, "gunzip: buffers are limited to 4 GiB");
    return NULL;
  }
  struct inflate_state *s = &g->state;
  s->next_in = in;
  s->avail_in = (uint32_t)in_len;
  s->next_out = out;
  s->avail_out = (uint32_t)out_len;
  while (s->avail_out > 0) {
    if (g->between) {
      if (g->members > 0) {
        while (s->avail_in > 0 && *s->next_in == 0) {
          s->next_in++;
          s->avail_in--;
        }
      }
      if (s->avail_in == 0) break;
      g->between = false;
      g->part = H_FIXED;
    }
    if (g->part != H_BODY) {
      const char *bad = read_header(g, s);
      if (bad) {
        napi_throw_error(env, NULL, bad);
        return NULL;
      }
      if (g->part != H_BODY) break; /* the input ended inside the header */
    }
    uint32_t avail_in = s->avail_in, avail_out = s->avail_out;
    int ret = isal_inflate(s);
    if (ret != ISAL_DECOMP_OK) {
      napi_throw_error(env, NULL, inflate_error(ret));
      return NULL;
    }
    if (s->block_state == ISAL_BLOCK_FINISH) {
      g->between = true;
      g->members++;
      continue;
    }
    if (s->avail_in == 0) break;
    /* Input and room left, yet nothing moved: never seen, but the caller's loop must not spin on it. */
    if (s->avail_in == avail_in && s->avail_out == avail_out) {
      napi_throw_error(env, NULL, "invalid deflate data: inflate made no progress");
      return NULL;
    }
  }
  napi_value result, n;
  napi_create_array_with_length(env, 3, &result);
  napi_create_uint32(env, (uint32_t)(in_len - s->avail_in), &n);
  napi_set_element(env, result, 0, n);
  napi_create_uint32(env, (uint32_t)(out_len - s->avail_out), &n);
  napi_set_element(env, result, 1, n);
  napi_create_uint32(env, g->between ? 1 : 0, &n);
  napi_set_element(env, result, 2, n);
  return result;
}
