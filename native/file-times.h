// File times with nanosecond precision (utimensat).
#pragma once

#include <napi.h>

Napi::Value SetFileTimes(const Napi::CallbackInfo& info);
