#include "pid-watch.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "errno-error.h"
#include "uv-poll.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

Napi::Function PidWatch::Define(Napi::Env env) {
  return DefineClass(env, "PidWatch", {InstanceMethod<&PidWatch::Close>("close")});
}

// new PidWatch(pid, onExit): onExit() is called once when the process exits. Throws with code
// ESRCH when there is no such process (it already exited).
PidWatch::PidWatch(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PidWatch>(info) {
  if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "The pid must be a number");
  if (!info[1].IsFunction()) throw Napi::TypeError::New(info.Env(), "The exit callback must be a function");
  const int pid = info[0].As<Napi::Number>().Int32Value();
  if (pid <= 0) throw Napi::RangeError::New(info.Env(), "The pid must be positive");
  fd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd_ < 0) throw ErrnoError(info.Env(), errno, "pidfd_open");
  callback_ = Napi::Persistent(info[1].As<Napi::Function>());
  asyncContext_ = std::make_unique<Napi::AsyncContext>(info.Env(), "hsnet.PidWatch");
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(info.Env(), &loop);
  poll_ = new uv_poll_t;
  if (uv_poll_init(loop, poll_, fd_) != 0 || uv_poll_start(poll_, UV_READABLE, &PidWatch::OnPoll) != 0) {
    delete poll_;
    poll_ = nullptr;
    ::close(fd_);
    fd_ = -1;
    throw Napi::Error::New(info.Env(), "uv_poll failed for the pidfd");
  }
  poll_->data = this;
  Ref();
  held_ = true;
}

PidWatch::~PidWatch() { Stop(); }

void PidWatch::Close(const Napi::CallbackInfo& info) { Stop(); }

void PidWatch::OnPoll(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<PidWatch*>(handle->data);
  if (self != nullptr) self->Fire();
}

void PidWatch::Fire() {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  Napi::Object self = Value();
  Napi::Function callback = callback_.Value();
  Stop();  // one exit, one call
  try {
    callback.MakeCallback(self, {}, *asyncContext_);
  } catch (const Napi::Error& thrown) {
    napi_fatal_exception(env, thrown.Value());
  }
}

void PidWatch::Stop() {
  ClosePoll(poll_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (held_) {
    held_ = false;
    Unref();
  }
}
