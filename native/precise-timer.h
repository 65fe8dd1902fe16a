// A one-shot timer on the monotonic clock with microsecond precision (timerfd + uv_poll).
// libuv's own timers have millisecond granularity; VRRP at 10 ms intervals and a takeover
// measured in fractions of a millisecond need better. One instance serves a whole daemon:
// the TypeScript side keeps the deadlines and arms it for the earliest.
#pragma once

#include <napi.h>
#include <uv.h>

#include <memory>

class PreciseTimer : public Napi::ObjectWrap<PreciseTimer> {
 public:
  static Napi::Function Define(Napi::Env env);

  explicit PreciseTimer(const Napi::CallbackInfo& info);
  ~PreciseTimer() override;

 private:
  void Arm(const Napi::CallbackInfo& info);
  void Disarm(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);

  static void OnPoll(uv_poll_t* handle, int status, int events);
  void Fire();
  void StartPolling();
  void StopPolling();
  void SetHeld(bool held);

  int fd_ = -1;
  uv_poll_t* poll_ = nullptr;
  // The fd is registered with the loop (kept across fires while re-armed).
  bool polling_ = false;
  // The timerfd is set; cleared when it fires or is disarmed.
  bool armed_ = false;
  // Held strongly while armed: a pending timer must fire even if JS dropped the object.
  bool held_ = false;
  Napi::FunctionReference callback_;
  std::unique_ptr<Napi::AsyncContext> asyncContext_;
};
