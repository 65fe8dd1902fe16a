// Extended attributes for backups and file replication: read as restic 0.14 reads them (llistxattr,
// then lgetxattr of each name in the order the filesystem lists them), written with lsetxattr and
// removed with lremovexattr (a replica drops the names its source no longer has).
#include "xattr.h"

#include <sys/xattr.h>

#include <cerrno>
#include <string>
#include <vector>

#include "errno-error.h"
#include "path-arg.h"

namespace {

bool Unsupported(int e) { return e == ENOTSUP || e == EOPNOTSUPP; }

}  // namespace

int ReadXattrs(const std::string& path, std::vector<Xattr>& out, XattrFailure& failed) {
  std::vector<char> names;
  for (;;) {
    ssize_t n = llistxattr(path.c_str(), nullptr, 0);
    if (n < 0) {
      if (Unsupported(errno)) return 0;
      failed = {"llistxattr", ""};
      return errno;
    }
    names.resize(static_cast<size_t>(n));
    if (n == 0) break;
    n = llistxattr(path.c_str(), names.data(), names.size());
    if (n >= 0) {
      names.resize(static_cast<size_t>(n));
      break;
    }
    if (errno != ERANGE) {
      failed = {"llistxattr", ""};
      return errno;
    }
  }
  for (size_t i = 0; i < names.size();) {
    std::string name(&names[i]);
    i += name.size() + 1;
    if (name.empty()) continue;
    std::vector<char> value;
    bool gone = false;
    for (;;) {
      ssize_t n = lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
      if (n < 0) {
        if (errno == ENODATA) { gone = true; break; }  // removed meanwhile
        failed = {"lgetxattr", name};
        return errno;
      }
      value.resize(static_cast<size_t>(n));
      if (n == 0) break;
      n = lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
      if (n >= 0) {
        value.resize(static_cast<size_t>(n));
        break;
      }
      if (errno != ERANGE) {
        failed = {"lgetxattr", name};
        return errno;
      }
    }
    if (!gone) out.push_back({std::move(name), std::move(value)});
  }
  return 0;
}

// listXattrs(path) -> [{ name, value: Buffer }]; [] where the filesystem has none.
Napi::Value ListXattrs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string path = PathArg(info, 0);
  std::vector<Xattr> attrs;
  XattrFailure failed;
  if (const int error = ReadXattrs(path, attrs, failed); error != 0) throw ErrnoError(env, error, failed.syscall, failed.Detail(path));
  Napi::Array out = Napi::Array::New(env);
  uint32_t k = 0;
  for (const Xattr& a : attrs) {
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("name", Napi::String::New(env, a.name));
    entry.Set("value", Napi::Buffer<char>::Copy(env, a.value.data(), a.value.size()));
    out.Set(k++, entry);
  }
  return out;
}

// setXattr(path, name, value: Buffer)
Napi::Value SetXattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string path = PathArg(info, 0);
  if (!info[1].IsString()) throw Napi::TypeError::New(env, "The name must be a string");
  if (!info[2].IsBuffer()) throw Napi::TypeError::New(env, "The value must be a Buffer");
  const std::string name = info[1].As<Napi::String>().Utf8Value();
  auto value = info[2].As<Napi::Buffer<char>>();
  if (lsetxattr(path.c_str(), name.c_str(), value.Data(), value.Length(), 0) != 0) {
    throw ErrnoError(env, errno, "lsetxattr", "'" + path + "' " + name);
  }
  return env.Undefined();
}

// removeXattr(path, name); a name already absent (ENODATA) is not an error.
Napi::Value RemoveXattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string path = PathArg(info, 0);
  if (!info[1].IsString()) throw Napi::TypeError::New(env, "The name must be a string");
  const std::string name = info[1].As<Napi::String>().Utf8Value();
  if (lremovexattr(path.c_str(), name.c_str()) != 0 && errno != ENODATA) {
    throw ErrnoError(env, errno, "lremovexattr", "'" + path + "' " + name);
  }
  return env.Undefined();
}
