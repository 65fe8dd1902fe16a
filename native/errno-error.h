// Errors from failed system calls, shaped like Node's own: `code` is the errno name
// ("ENETUNREACH"), `errno` the number and `syscall` the call that failed.
#pragma once

#include <napi.h>

#include <string>

Napi::Error ErrnoError(Napi::Env env, int error, const char* syscall, const std::string& detail = "");

// The errno's name ("ENOSPC").
std::string ErrnoName(int error);
