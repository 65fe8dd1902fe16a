// An inotify instance whose events reach JS in batches through libuv readiness (uv_poll), as
// socket.cc does for sockets. Deliberately thin: watches are added and removed by wd, and every
// event (IN_Q_OVERFLOW included, wd -1) is passed on as the kernel wrote it. Recursion, the
// new-directory race and coalescing are policy and live in TypeScript (src/replicate/).
#pragma once

#include <napi.h>
#include <uv.h>

#include <memory>
#include <vector>

class Inotify : public Napi::ObjectWrap<Inotify> {
 public:
  static Napi::Function Define(Napi::Env env);

  // new Inotify(onEvents, onError): starts reading at once.
  explicit Inotify(const Napi::CallbackInfo& info);
  ~Inotify() override;

 private:
  Napi::Value AddWatch(const Napi::CallbackInfo& info);
  void RemoveWatch(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);

  static void OnPoll(uv_poll_t* handle, int status, int events);
  void Drain(int status);
  void Call(const Napi::Function& fn, napi_value argument);
  void Stop();

  int fd_ = -1;
  uv_poll_t* poll_ = nullptr;
  // Held strongly while open: events must be reported even if JS kept only the callbacks.
  bool held_ = false;
  Napi::FunctionReference onEvents_;
  Napi::FunctionReference onError_;
  std::unique_ptr<Napi::AsyncContext> asyncContext_;
  std::vector<uint8_t> buffer_;
};
