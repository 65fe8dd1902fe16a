// An integer argument from JavaScript, checked: a number, whole, and non-negative (up to
// Number.MAX_SAFE_INTEGER) or within [min, max]. Throws TypeError / RangeError naming `what`.
#pragma once

#include <napi.h>

#include <cstdint>

constexpr int64_t kMaxSafeInteger = 9007199254740991LL;

int64_t IntArg(const Napi::CallbackInfo& info, size_t index, const char* what);
int64_t IntArg(const Napi::CallbackInfo& info, size_t index, const char* what, int64_t min, int64_t max);

// A file descriptor argument: an integer from 0 to INT32_MAX.
int FdArg(const Napi::CallbackInfo& info, size_t index, const char* what);
