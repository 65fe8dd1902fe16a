// A file path argument: a string, or a Buffer carrying a path that is not UTF-8 byte for byte.
#pragma once

#include <napi.h>

#include <string>

std::string PathArg(const Napi::CallbackInfo& info, size_t index);
