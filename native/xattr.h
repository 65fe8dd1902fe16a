// Extended attributes (listxattr/getxattr/setxattr, the l* variants: never following a symlink),
// which restic stores in a node's extended_attributes.
#pragma once

#include <napi.h>

Napi::Value ListXattrs(const Napi::CallbackInfo& info);
Napi::Value SetXattr(const Napi::CallbackInfo& info);
Napi::Value RemoveXattr(const Napi::CallbackInfo& info);
