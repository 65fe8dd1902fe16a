// The hot loop of the backup's content-defined chunker (src/backup/repo/chunker.ts, scan()).
#pragma once

#include <napi.h>

Napi::Value ChunkScan(const Napi::CallbackInfo& info);
