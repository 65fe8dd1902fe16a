// A directory's entries with their lstat in one thread-pool job (file replication's tree digests):
// comparing an unchanged tree after a restart is a metadata walk of every file on both sides,
// and one job per directory instead of an lstat promise per file is most of what it costs.
#pragma once

#include <napi.h>

Napi::Value ScanDirectory(const Napi::CallbackInfo& info);
