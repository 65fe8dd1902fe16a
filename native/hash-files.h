// Content hashes of a directory's small files in one thread-pool job (file replication's tree
// digests): after a restart every file whose cached hash cannot be trusted is read again, and one
// job per directory instead of one per file is most of what that costs.
#pragma once

#include <napi.h>

Napi::Value HashFiles(const Napi::CallbackInfo& info);
