// Notices a process's exit at once, in any network namespace: a pidfd (pidfd_open, Linux 5.3)
// becomes readable when the process exits. The kernel's process connector only speaks to the
// initial network namespace; a daemon in a container or a lab namespace needs this.
#pragma once

#include <napi.h>
#include <uv.h>

#include <memory>

class PidWatch : public Napi::ObjectWrap<PidWatch> {
 public:
  static Napi::Function Define(Napi::Env env);

  explicit PidWatch(const Napi::CallbackInfo& info);
  ~PidWatch() override;

 private:
  void Close(const Napi::CallbackInfo& info);

  static void OnPoll(uv_poll_t* handle, int status, int events);
  void Fire();
  void Stop();

  int fd_ = -1;
  uv_poll_t* poll_ = nullptr;
  // Held strongly while watching: the exit must be reported even if JS dropped the object.
  bool held_ = false;
  Napi::FunctionReference callback_;
  std::unique_ptr<Napi::AsyncContext> asyncContext_;
};
