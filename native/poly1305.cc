// Poly1305 through the OpenSSL inside the node process (EVP_MAC "POLY1305", OpenSSL 3): Node's
// crypto module has no standalone Poly1305, and restic's MAC is Poly1305-AES over every blob.
#include "poly1305.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>

namespace {

EVP_MAC* FetchPoly1305() {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "POLY1305", nullptr);
  return mac;
}

constexpr size_t kKeyLength = 32;
constexpr size_t kTagLength = 16;

}  // namespace

// poly1305(key: Buffer(32), message: Buffer) → Buffer(16)
Napi::Value Poly1305(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsBuffer() || !info[1].IsBuffer()) throw Napi::TypeError::New(env, "poly1305(key, message) takes two Buffers");
  auto key = info[0].As<Napi::Buffer<uint8_t>>();
  auto message = info[1].As<Napi::Buffer<uint8_t>>();
  if (key.Length() != kKeyLength) throw Napi::RangeError::New(env, "The Poly1305 key must be 32 bytes");
  EVP_MAC* mac = FetchPoly1305();
  if (mac == nullptr) throw Napi::Error::New(env, "OpenSSL has no POLY1305 MAC");
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  if (ctx == nullptr) throw Napi::Error::New(env, "EVP_MAC_CTX_new failed");
  unsigned char tag[kTagLength];
  size_t tagLength = 0;
  const bool ok = EVP_MAC_init(ctx, key.Data(), key.Length(), nullptr) == 1 &&
                  EVP_MAC_update(ctx, message.Data(), message.Length()) == 1 &&
                  EVP_MAC_final(ctx, tag, &tagLength, sizeof tag) == 1 && tagLength == sizeof tag;
  EVP_MAC_CTX_free(ctx);
  if (!ok) throw Napi::Error::New(env, "Poly1305 through OpenSSL failed");
  return Napi::Buffer<uint8_t>::Copy(env, tag, sizeof tag);
}

Napi::Function Poly1305Context::Define(Napi::Env env) {
  return DefineClass(env, "Poly1305Context",
                     {InstanceMethod<&Poly1305Context::Update>("update"), InstanceMethod<&Poly1305Context::Digest>("digest")});
}

Poly1305Context::Poly1305Context(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Poly1305Context>(info) {
  Napi::Env env = info.Env();
  if (!info[0].IsBuffer()) throw Napi::TypeError::New(env, "new Poly1305Context(key) takes the key as a Buffer");
  auto key = info[0].As<Napi::Buffer<uint8_t>>();
  if (key.Length() != kKeyLength) {
    throw Napi::RangeError::New(env, "The Poly1305 key must be 32 bytes, got " + std::to_string(key.Length()));
  }
  EVP_MAC* mac = FetchPoly1305();
  if (mac == nullptr) throw Napi::Error::New(env, "OpenSSL has no POLY1305 MAC");
  ctx_ = EVP_MAC_CTX_new(mac);
  if (ctx_ == nullptr) throw Napi::Error::New(env, "EVP_MAC_CTX_new failed");
  if (EVP_MAC_init(ctx_, key.Data(), key.Length(), nullptr) != 1) {
    EVP_MAC_CTX_free(ctx_);
    ctx_ = nullptr;
    throw Napi::Error::New(env, "Poly1305 through OpenSSL failed (init)");
  }
}

Poly1305Context::~Poly1305Context() {
  EVP_MAC_CTX_free(ctx_);
}

Napi::Value Poly1305Context::Update(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (ctx_ == nullptr) throw Napi::Error::New(env, "Poly1305Context: update() after digest() (a context gives one tag)");
  if (!info[0].IsBuffer()) throw Napi::TypeError::New(env, "Poly1305Context: update() takes a Buffer");
  auto bytes = info[0].As<Napi::Buffer<uint8_t>>();
  if (EVP_MAC_update(ctx_, bytes.Data(), bytes.Length()) != 1) throw Napi::Error::New(env, "Poly1305 through OpenSSL failed (update)");
  return info.This();
}

Napi::Value Poly1305Context::Digest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (ctx_ == nullptr) throw Napi::Error::New(env, "Poly1305Context: digest() called twice (a context gives one tag)");
  unsigned char tag[kTagLength];
  size_t tagLength = 0;
  const bool ok = EVP_MAC_final(ctx_, tag, &tagLength, sizeof tag) == 1 && tagLength == sizeof tag;
  EVP_MAC_CTX_free(ctx_);
  ctx_ = nullptr;
  if (!ok) throw Napi::Error::New(env, "Poly1305 through OpenSSL failed (final)");
  return Napi::Buffer<uint8_t>::Copy(env, tag, sizeof tag);
}
