// The file work of a delta transfer, one thread-pool job each and no byte through JavaScript: on
// the replica (src/replicate/replica-applier.ts) the block sums of the basis and a range of the
// basis copied into the new version kernel-side; on the source (source-sender.ts) the whole-file
// SHA-256, beside the main thread's roll over the same file.
#pragma once

#include <napi.h>

Napi::Value BlockSums(const Napi::CallbackInfo& info);
Napi::Value CopyFileRange(const Napi::CallbackInfo& info);
Napi::Value Sha256File(const Napi::CallbackInfo& info);
