// Small files in one worker-thread job each (file replication): reading one on the source and
// writing the temporary of one on the replica cost one trip through the thread pool instead of
// five or six, which is most of the CPU a small file costs.
#pragma once

#include <napi.h>

Napi::Value ReadSmallFile(const Napi::CallbackInfo& info);
Napi::Value WriteNewFile(const Napi::CallbackInfo& info);
