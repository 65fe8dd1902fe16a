// The replica's file work in a delta transfer (src/replicate/replica-applier.ts), one thread-pool
// job each and no byte through JavaScript: the block sums of the basis, and a range of the basis
// copied into the new version kernel-side.
#pragma once

#include <napi.h>

Napi::Value BlockSums(const Napi::CallbackInfo& info);
Napi::Value CopyFileRange(const Napi::CallbackInfo& info);
