#include "errno-error.h"

#include <uv.h>

#include <cstring>

std::string ErrnoName(int error) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  if (const char* name = strerrorname_np(error)) return name;
#endif
  // libuv knows the common names on every libc (it takes negated errno values on Unix).
  return uv_err_name(-error);
}

Napi::Error ErrnoError(Napi::Env env, int error, const char* syscall, const std::string& detail) {
  const std::string name = ErrnoName(error);
  std::string message = std::string(syscall);
  if (!detail.empty()) message += " " + detail;
  message += " failed: " + std::string(std::strerror(error)) + " (" + name + ")";
  Napi::Error result = Napi::Error::New(env, message);
  result.Set("code", Napi::String::New(env, name));
  result.Set("errno", Napi::Number::New(env, error));
  result.Set("syscall", Napi::String::New(env, syscall));
  return result;
}
