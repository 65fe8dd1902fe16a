#include "file-times.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <string>

#include "errno-error.h"

// setFileTimes(path: Buffer, atimeSec, atimeNsec, mtimeSec, mtimeNsec): the link itself, not
// its target, for a symlink (AT_SYMLINK_NOFOLLOW), as replication must preserve both.
Napi::Value SetFileTimes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsBuffer()) throw Napi::TypeError::New(env, "The path must be a Buffer");
  auto buffer = info[0].As<Napi::Buffer<char>>();
  const std::string path(buffer.Data(), buffer.Length());
  if (path.find('\0') != std::string::npos) throw Napi::TypeError::New(env, "The path must not contain a NUL byte");
  timespec times[2];
  for (int i = 0; i < 2; ++i) {
    if (!info[1 + 2 * i].IsNumber() || !info[2 + 2 * i].IsNumber()) {
      throw Napi::TypeError::New(env, "The times must be numbers (seconds, nanoseconds)");
    }
    times[i].tv_sec = static_cast<time_t>(info[1 + 2 * i].As<Napi::Number>().Int64Value());
    times[i].tv_nsec = static_cast<long>(info[2 + 2 * i].As<Napi::Number>().Int64Value());
    if (times[i].tv_nsec < 0 || times[i].tv_nsec > 999999999) {
      throw Napi::RangeError::New(env, "The nanoseconds must be in 0..999999999");
    }
  }
  if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) throw ErrnoError(env, errno, "utimensat");
  return env.Undefined();
}
