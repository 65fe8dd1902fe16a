#include "precise-timer.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdint>

#include "errno-error.h"

Napi::Function PreciseTimer::Define(Napi::Env env) {
  return DefineClass(env, "PreciseTimer",
                     {
                         InstanceMethod<&PreciseTimer::Arm>("arm"),
                         InstanceMethod<&PreciseTimer::Disarm>("disarm"),
                         InstanceMethod<&PreciseTimer::Close>("close"),
                     });
}

PreciseTimer::PreciseTimer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PreciseTimer>(info) {
  if (!info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "The timer callback must be a function");
  callback_ = Napi::Persistent(info[0].As<Napi::Function>());
  asyncContext_ = std::make_unique<Napi::AsyncContext>(info.Env(), "hsnet.PreciseTimer");
  fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd_ < 0) throw ErrnoError(info.Env(), errno, "timerfd_create");
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(info.Env(), &loop);
  poll_ = new uv_poll_t;
  if (uv_poll_init(loop, poll_, fd_) != 0) {
    delete poll_;
    poll_ = nullptr;
    throw Napi::Error::New(info.Env(), "uv_poll_init failed for the timerfd");
  }
  poll_->data = this;
}

PreciseTimer::~PreciseTimer() {
  StopPolling();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

// arm(delayMs): fires once after delayMs (fractions allowed); re-arming replaces the deadline.
void PreciseTimer::Arm(const Napi::CallbackInfo& info) {
  if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "The delay must be a number of milliseconds");
  if (fd_ < 0 || poll_ == nullptr) throw Napi::Error::New(info.Env(), "The timer is closed");
  double delayMs = info[0].As<Napi::Number>().DoubleValue();
  if (!(delayMs > 0.001)) delayMs = 0.001;  // an all-zero it_value would disarm instead
  const auto ns = static_cast<int64_t>(std::llround(delayMs * 1e6));
  itimerspec spec{};
  spec.it_value.tv_sec = ns / 1000000000;
  spec.it_value.tv_nsec = ns % 1000000000;
  if (::timerfd_settime(fd_, 0, &spec, nullptr) != 0) throw ErrnoError(info.Env(), errno, "timerfd_settime");
  armed_ = true;
  StartPolling();
  SetHeld(true);
}

void PreciseTimer::Disarm(const Napi::CallbackInfo& info) {
  if (fd_ < 0 || poll_ == nullptr) return;
  itimerspec spec{};
  ::timerfd_settime(fd_, 0, &spec, nullptr);
  armed_ = false;
  uv_poll_stop(poll_);
  polling_ = false;
  SetHeld(false);
}

void PreciseTimer::Close(const Napi::CallbackInfo& info) {
  StopPolling();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  SetHeld(false);
}

void PreciseTimer::OnPoll(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<PreciseTimer*>(handle->data);
  if (self != nullptr) self->Fire();
}

void PreciseTimer::Fire() {
  uint64_t expirations = 0;
  if (::read(fd_, &expirations, sizeof expirations) != sizeof expirations) return;  // spurious wake-up
  armed_ = false;
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  Napi::Object self = Value();  // keeps us alive through the callback
  try {
    callback_.Value().MakeCallback(self, {}, *asyncContext_);
  } catch (const Napi::Error& thrown) {
    napi_fatal_exception(env, thrown.Value());
  }
  // The callback nearly always re-arms (the next deadline): the fd then stays in epoll, which
  // saves the two epoll_ctl calls a stop and restart cost on every fire. Left unarmed, the
  // poll stops so that an idle timer does not keep the loop alive.
  if (!armed_ && poll_ != nullptr) {
    uv_poll_stop(poll_);
    polling_ = false;
    SetHeld(false);
  }
}

void PreciseTimer::StartPolling() {
  if (polling_) return;
  uv_poll_start(poll_, UV_READABLE, &PreciseTimer::OnPoll);
  polling_ = true;
}

void PreciseTimer::StopPolling() {
  if (poll_ == nullptr) return;
  uv_poll_stop(poll_);
  polling_ = false;
  armed_ = false;
  poll_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); });
  poll_ = nullptr;
}

void PreciseTimer::SetHeld(bool held) {
  if (held == held_) return;
  held_ = held;
  if (held) Ref();
  else Unref();
}
