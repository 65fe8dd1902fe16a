// Extended attributes (listxattr/getxattr/setxattr, the l* variants: never following a symlink),
// which restic stores in a node's extended_attributes.
#pragma once

#include <napi.h>

#include <string>
#include <vector>

struct Xattr {
  std::string name;
  std::vector<char> value;
};

// The call that failed, and the attribute it read (lgetxattr).
struct XattrFailure {
  const char* syscall = "";
  std::string attribute;
  // "'PATH'" or "'PATH' NAME", for ErrnoError.
  std::string Detail(const std::string& path) const { return "'" + path + "'" + (attribute.empty() ? "" : " " + attribute); }
};

// The attributes of `path` (not following a symlink) in the order llistxattr lists them, without
// touching JavaScript (safe on a worker thread); none where the filesystem has none. An attribute
// removed meanwhile is left out. Returns 0, or the errno with `failed` naming the call.
int ReadXattrs(const std::string& path, std::vector<Xattr>& out, XattrFailure& failed);

Napi::Value ListXattrs(const Napi::CallbackInfo& info);
Napi::Value SetXattr(const Napi::CallbackInfo& info);
Napi::Value RemoveXattr(const Napi::CallbackInfo& info);
