// Poly1305 (RFC 8439) through OpenSSL's EVP_MAC.
#pragma once

#include <napi.h>

Napi::Value Poly1305(const Napi::CallbackInfo& info);
