// utimensat(2) with nanoseconds: Node's utimes takes seconds as a double, which cannot hold
// every nanosecond of a present-day time. Backups restore mtimes exactly, as restic does, and
// replication preserves them (of a symlink itself with noFollow).
#include "file-times.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <string>

#include "errno-error.h"
#include "path-arg.h"

namespace {

int64_t Int(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a number");
  return info[i].As<Napi::Number>().Int64Value();
}

}  // namespace

// setFileTimes(path, atimeSec, atimeNsec, mtimeSec, mtimeNsec, noFollow)
Napi::Value SetFileTimes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string path = PathArg(info, 0);
  struct timespec times[2];
  times[0].tv_sec = Int(info, 1, "atimeSec");
  times[0].tv_nsec = Int(info, 2, "atimeNsec");
  times[1].tv_sec = Int(info, 3, "mtimeSec");
  times[1].tv_nsec = Int(info, 4, "mtimeNsec");
  for (const timespec& t : times) {
    if (t.tv_nsec < 0 || t.tv_nsec > 999999999) throw Napi::RangeError::New(env, "The nanoseconds must be in 0..999999999");
  }
  const bool noFollow = info[5].ToBoolean().Value();
  if (utimensat(AT_FDCWD, path.c_str(), times, noFollow ? AT_SYMLINK_NOFOLLOW : 0) != 0) {
    throw ErrnoError(env, errno, "utimensat", "'" + path + "'");
  }
  return env.Undefined();
}
