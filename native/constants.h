// The kernel constants the TypeScript side needs, exported by their C names so nothing is
// hard-coded twice.
#pragma once

#include <napi.h>

Napi::Object KernelConstants(Napi::Env env);
