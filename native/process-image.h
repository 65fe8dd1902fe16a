// The process image itself: replacing it with a re-launched node (execve, same pid) and giving
// back the pages of mapped files that start-up touched.
#pragma once

#include <napi.h>

Napi::Value Exec(const Napi::CallbackInfo& info);
Napi::Value ReleaseFilePages(const Napi::CallbackInfo& info);
