// Dropping a file's clean pages from the page cache (posix_fadvise POSIX_FADV_DONTNEED).
#pragma once

#include <napi.h>

Napi::Value DropFileCache(const Napi::CallbackInfo& info);
