#include "inotify.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "errno-error.h"
#include "uv-poll.h"

namespace {

// Reads per readable event before yielding to the loop; level-triggered polling calls us again.
constexpr int kMaxReads = 16;
// Many events per read(2): an event is 16 bytes plus its NUL-padded name (at most NAME_MAX + 1).
constexpr size_t kBufferSize = 256 * 1024;

std::string PathArgument(const Napi::Value& value) {
  if (!value.IsBuffer()) throw Napi::TypeError::New(value.Env(), "The path must be a Buffer");
  auto buffer = value.As<Napi::Buffer<char>>();
  std::string path(buffer.Data(), buffer.Length());
  if (path.find('\0') != std::string::npos) {
    throw Napi::TypeError::New(value.Env(), "The path must not contain a NUL byte");
  }
  return path;
}

}  // namespace

Napi::Function Inotify::Define(Napi::Env env) {
  return DefineClass(env, "Inotify",
                     {
                         InstanceMethod<&Inotify::AddWatch>("addWatch"),
                         InstanceMethod<&Inotify::RemoveWatch>("removeWatch"),
                         InstanceMethod<&Inotify::Close>("close"),
                     });
}

Inotify::Inotify(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Inotify>(info) {
  Napi::Env env = info.Env();
  if (!info[0].IsFunction() || !info[1].IsFunction()) {
    throw Napi::TypeError::New(env, "new Inotify needs an onEvents and an onError function");
  }
  fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) throw ErrnoError(env, errno, "inotify_init1");
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  poll_ = new uv_poll_t;
  int status = uv_poll_init(loop, poll_, fd_);
  if (status == 0) status = uv_poll_start(poll_, UV_READABLE, &Inotify::OnPoll);
  if (status != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
    ::close(fd_);
    fd_ = -1;
    throw ErrnoError(env, -status, "uv_poll_start");
  }
  poll_->data = this;
  buffer_.resize(kBufferSize);
  onEvents_ = Napi::Persistent(info[0].As<Napi::Function>());
  onError_ = Napi::Persistent(info[1].As<Napi::Function>());
  asyncContext_ = std::make_unique<Napi::AsyncContext>(env, "hsnet.Inotify", Value());
  Ref();
  held_ = true;
}

Inotify::~Inotify() { Stop(); }

// addWatch(path: Buffer, mask) → wd. The path is bytes: file names need not be UTF-8.
Napi::Value Inotify::AddWatch(const Napi::CallbackInfo& info) {
  const std::string path = PathArgument(info[0]);
  if (!info[1].IsNumber()) throw Napi::TypeError::New(info.Env(), "The mask must be a number");
  const uint32_t mask = info[1].As<Napi::Number>().Uint32Value();
  if (fd_ < 0) throw ErrnoError(info.Env(), EBADF, "inotify_add_watch", "on a closed watcher");
  const int wd = ::inotify_add_watch(fd_, path.c_str(), mask);
  if (wd < 0) throw ErrnoError(info.Env(), errno, "inotify_add_watch");
  return Napi::Number::New(info.Env(), wd);
}

// removeWatch(wd): a wd the kernel already dropped (EINVAL) is not an error.
void Inotify::RemoveWatch(const Napi::CallbackInfo& info) {
  if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "The wd must be a number");
  if (fd_ < 0) return;
  if (::inotify_rm_watch(fd_, info[0].As<Napi::Number>().Int32Value()) != 0 && errno != EINVAL) {
    throw ErrnoError(info.Env(), errno, "inotify_rm_watch");
  }
}

void Inotify::Close(const Napi::CallbackInfo& info) { Stop(); }

void Inotify::Stop() {
  ClosePoll(poll_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (held_) {
    held_ = false;
    Unref();
  }
}

void Inotify::OnPoll(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<Inotify*>(handle->data);
  if (self != nullptr) self->Drain(status);
}

void Inotify::Drain(int status) {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  [[maybe_unused]] Napi::Object self = Value();  // keeps us alive if a callback closes us
  Napi::Function onEvents = onEvents_.Value();
  Napi::Function onError = onError_.Value();
  if (status < 0) {
    Call(onError, ErrnoError(env, -status, "uv_poll").Value());
    return;
  }
  Napi::Array batch = Napi::Array::New(env);
  uint32_t count = 0;
  int error = 0;
  for (int reads = 0; reads < kMaxReads && fd_ >= 0; ++reads) {
    const ssize_t length = ::read(fd_, buffer_.data(), buffer_.size());
    if (length < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) error = errno;
      break;
    }
    for (ssize_t offset = 0; offset + static_cast<ssize_t>(sizeof(inotify_event)) <= length;) {
      inotify_event event;
      std::memcpy(&event, buffer_.data() + offset, sizeof event);
      const char* name = reinterpret_cast<const char*>(buffer_.data() + offset + sizeof event);
      Napi::Object item = Napi::Object::New(env);
      item.Set("wd", Napi::Number::New(env, event.wd));
      item.Set("mask", Napi::Number::New(env, event.mask));
      item.Set("cookie", Napi::Number::New(env, event.cookie));
      // The name is NUL-padded to an alignment; its bytes end at the first NUL.
      if (event.len > 0) item.Set("name", Napi::Buffer<char>::Copy(env, name, ::strnlen(name, event.len)));
      batch.Set(count++, item);
      offset += static_cast<ssize_t>(sizeof event + event.len);
    }
  }
  if (count > 0) Call(onEvents, batch);
  if (error != 0 && fd_ >= 0) Call(onError, ErrnoError(env, error, "read").Value());
}

// An exception thrown by a callback becomes an uncaught exception, never unwinds into libuv.
void Inotify::Call(const Napi::Function& fn, napi_value argument) {
  if (fn.IsEmpty() || asyncContext_ == nullptr) return;
  try {
    fn.MakeCallback(Value(), {argument}, *asyncContext_);
  } catch (const Napi::Error& thrown) {
    napi_fatal_exception(Env(), thrown.Value());
  }
}
