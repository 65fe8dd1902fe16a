// Poly1305 (RFC 8439) through OpenSSL's EVP_MAC: one-shot, and a context fed piece by piece.
#pragma once

#include <napi.h>

struct evp_mac_ctx_st;

Napi::Value Poly1305(const Napi::CallbackInfo& info);

// new Poly1305Context(key: Buffer(32)); update(bytes: Buffer) → this; digest() → Buffer(16), once.
// The replica's whole-file check (src/replicate/content-check.ts): a stream is hashed as it
// arrives, so the tag cannot be taken in one call.
class Poly1305Context : public Napi::ObjectWrap<Poly1305Context> {
 public:
  static Napi::Function Define(Napi::Env env);

  explicit Poly1305Context(const Napi::CallbackInfo& info);
  ~Poly1305Context() override;

 private:
  Napi::Value Update(const Napi::CallbackInfo& info);
  Napi::Value Digest(const Napi::CallbackInfo& info);

  // Freed (and its key cleansed by OpenSSL) once the tag is taken: a context gives one tag.
  evp_mac_ctx_st* ctx_ = nullptr;
};
