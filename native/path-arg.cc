#include "path-arg.h"

std::string PathArg(const Napi::CallbackInfo& info, size_t index) {
  std::string path;
  if (info[index].IsBuffer()) {
    auto b = info[index].As<Napi::Buffer<char>>();
    path.assign(b.Data(), b.Length());
  } else if (info[index].IsString()) {
    path = info[index].As<Napi::String>().Utf8Value();
  } else {
    throw Napi::TypeError::New(info.Env(), "The path must be a string or a Buffer");
  }
  if (path.find('\0') != std::string::npos) throw Napi::TypeError::New(info.Env(), "The path contains a NUL byte");
  return path;
}
