// The replica's streamed file data written with O_DIRECT from an aligned staging buffer, the
// unaligned head and tail through the page cache (src/replicate/replica-applier.ts data()).
#pragma once

#include <napi.h>

Napi::Value WriteDirect(const Napi::CallbackInfo& info);
