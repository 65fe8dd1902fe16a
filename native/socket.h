// A non-blocking, close-on-exec socket of any domain whose receives are libuv readiness events.
// Generic on purpose: sockaddr bytes, options and packet contents are all built in TypeScript.
#pragma once

#include <napi.h>
#include <uv.h>

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <vector>

class Socket : public Napi::ObjectWrap<Socket> {
 public:
  static Napi::Function Define(Napi::Env env);

  explicit Socket(const Napi::CallbackInfo& info);
  // Runs when the JS object is collected without close(): the fd must not leak.
  ~Socket() override;

 private:
  Napi::Value GetFd(const Napi::CallbackInfo& info);
  void SetOptionInt(const Napi::CallbackInfo& info);
  void SetOptionBuffer(const Napi::CallbackInfo& info);
  void AttachFilter(const Napi::CallbackInfo& info);
  void Bind(const Napi::CallbackInfo& info);
  Napi::Value SendTo(const Napi::CallbackInfo& info);
  void StartReceiving(const Napi::CallbackInfo& info);
  void StopReceiving(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);

  // CLOCK_REALTIME − CLOCK_MONOTONIC, read at most once per receive batch.
  struct ClockPair {
    bool read = false;
    int64_t realMinusMonoNs = 0;
  };

  static void OnPoll(uv_poll_t* handle, int status, int events);
  void Drain(int status);
  // The packet's kernel receive time (SO_TIMESTAMPNS) on CLOCK_MONOTONIC in ms, or 0 if unstamped.
  static double MonotonicReceiveMs(msghdr& message, ClockPair& clocks);
  // Calls fn; an exception it throws goes to onError, and one thrown there to Node's
  // uncaught-exception handling, never into libuv.
  void Invoke(const Napi::Object& self, const Napi::Function& fn, const Napi::Function& onError, napi_value argument);
  void StopPolling();
  void ForgetCallbacks();

  int fd_ = -1;
  // Heap-allocated so it can outlive this object until libuv's close callback frees it.
  uv_poll_t* poll_ = nullptr;
  // While receiving, the JS object is held strongly: a socket that delivers packets must not be
  // collected just because the caller kept only the callback.
  bool held_ = false;
  // True while JS runs from Drain: the async context in use must outlive that call, so
  // ForgetCallbacks leaves its release to Drain.
  bool inCallback_ = false;
  Napi::FunctionReference onMessages_;
  Napi::FunctionReference onError_;
  std::unique_ptr<Napi::AsyncContext> asyncContext_;
  std::vector<uint8_t> receiveBuffer_;
};
