// The inner loop of restic's Rabin chunker (github.com/restic/chunker; src/backup/repo/chunker.ts
// says what it computes), run natively: in JavaScript it held the digest as two int32 halves and
// cost some 3.3 ns a byte, most of a large file's CPU in a backup. Same arithmetic on one uint64,
// so the cut points are the same bit for bit (the TypeScript scan() stays as the fallback).
#include "chunk-scan.h"

#include <cstdint>

#include "int-arg.h"

namespace {

constexpr int64_t kWindowSize = 64;
constexpr uint64_t kDigestMask = (uint64_t{1} << 53) - 1;  // the polynomial has degree 53
constexpr uint64_t kSplitMask = (uint64_t{1} << 20) - 1;
// chunker.ts's interleaved table: out[b] at 2b (hi, lo), mod[b] at 512 + 2b (hi, lo).
constexpr size_t kModBase = 512;
constexpr size_t kTableLength = 2 * kModBase;

uint64_t Join(int32_t hi, int32_t lo) {
  return (uint64_t{static_cast<uint32_t>(hi)} << 32) | static_cast<uint32_t>(lo);
}

Napi::TypedArray TypedArg(const Napi::CallbackInfo& info, size_t index, napi_typedarray_type type, const char* what) {
  if (!info[index].IsTypedArray() || info[index].As<Napi::TypedArray>().TypedArrayType() != type) {
    throw Napi::TypeError::New(info.Env(), std::string("chunkScan: ") + what + " has the wrong type");
  }
  return info[index].As<Napi::TypedArray>();
}

}  // namespace

// chunkScan(buf: Uint8Array, from, bound, firstCut, digest: Int32Array(2), table: Int32Array(1024))
//   → the index of the first byte in [from, bound) after which the digest's low 20 bits are zero,
//     at or after firstCut, or -1; digest (hi, lo) updated to that byte or to bound. The byte
//     sliding out is the one 64 places back in buf, so from must be at least 64.
Napi::Value ChunkScan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto buf = TypedArg(info, 0, napi_uint8_array, "the buffer").As<Napi::Uint8Array>();
  const int64_t length = static_cast<int64_t>(buf.ElementLength());
  const int64_t from = IntArg(info, 1, "chunkScan: from", kWindowSize, length);
  const int64_t bound = IntArg(info, 2, "chunkScan: bound", from, length);
  if (!info[3].IsNumber()) throw Napi::TypeError::New(env, "chunkScan: firstCut must be a number");
  const double firstCut = info[3].As<Napi::Number>().DoubleValue();
  auto digest = TypedArg(info, 4, napi_int32_array, "the digest").As<Napi::Int32Array>();
  auto table = TypedArg(info, 5, napi_int32_array, "the table").As<Napi::Int32Array>();
  if (digest.ElementLength() != 2) throw Napi::RangeError::New(env, "chunkScan: the digest must hold 2 numbers");
  if (table.ElementLength() != kTableLength) throw Napi::RangeError::New(env, "chunkScan: the table must hold 1024 numbers");

  uint64_t out[256];
  uint64_t mod[256];
  const int32_t* t = table.Data();
  for (size_t b = 0; b < 256; b++) {
    out[b] = Join(t[2 * b], t[2 * b + 1]);
    mod[b] = Join(t[kModBase + 2 * b], t[kModBase + 2 * b + 1]);
  }
  const uint8_t* p = buf.Data();
  // Compared as an index: below 0 every byte may cut, past bound none may.
  const int64_t first = firstCut < 0 ? 0 : firstCut > static_cast<double>(bound) ? bound : static_cast<int64_t>(firstCut);
  uint64_t d = Join(digest[0], digest[1]);
  int64_t i = from;
  for (; i < bound; i++) {
    d ^= out[p[i - kWindowSize]];
    const uint64_t index = d >> 45;  // the digest's top 8 bits (bits 45–52)
    d = (((d << 8) | p[i]) & kDigestMask) ^ mod[index];
    if ((d & kSplitMask) == 0 && i >= first) break;
  }
  digest[0] = static_cast<int32_t>(static_cast<uint32_t>(d >> 32));
  digest[1] = static_cast<int32_t>(static_cast<uint32_t>(d));
  return Napi::Number::New(env, i < bound ? static_cast<double>(i) : -1);
}
