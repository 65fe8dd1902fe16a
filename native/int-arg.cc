#include "int-arg.h"

#include <climits>
#include <string>

namespace {

// The value, or throws RangeError with `range` ("a non-negative integer", "an integer from 1 to 9").
int64_t Checked(const Napi::CallbackInfo& info, size_t index, const char* what, int64_t min, int64_t max, const std::string& range) {
  if (!info[index].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a number");
  const double value = info[index].As<Napi::Number>().DoubleValue();
  if (!(value >= static_cast<double>(min) && value <= static_cast<double>(max)) || value != static_cast<double>(static_cast<int64_t>(value))) {
    throw Napi::RangeError::New(info.Env(), std::string(what) + " must be " + range);
  }
  return static_cast<int64_t>(value);
}

}  // namespace

int64_t IntArg(const Napi::CallbackInfo& info, size_t index, const char* what) {
  return Checked(info, index, what, 0, kMaxSafeInteger, "a non-negative integer");
}

int64_t IntArg(const Napi::CallbackInfo& info, size_t index, const char* what, int64_t min, int64_t max) {
  return Checked(info, index, what, min, max, "an integer from " + std::to_string(min) + " to " + std::to_string(max));
}

int FdArg(const Napi::CallbackInfo& info, size_t index, const char* what) {
  return static_cast<int>(IntArg(info, index, what, 0, INT32_MAX));
}
