// setFileTimes: utimensat(2) with nanoseconds. Node's fs.utimes takes seconds as a double,
// which cannot carry nanoseconds at today's epoch (2^53 ns is only ~104 days).
#pragma once

#include <napi.h>

Napi::Value SetFileTimes(const Napi::CallbackInfo& info);
