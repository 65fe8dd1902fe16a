#include "socket.h"

#include <linux/filter.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "errno-error.h"
#include "uv-poll.h"

namespace {

// Receives per readable event before yielding back to the loop (level-triggered polling
// calls us again if more is queued), so one busy socket cannot starve the others.
constexpr int kMaxBatch = 64;
// Largest IPv4/IPv6 datagram payload a raw socket can return; netlink messages fit as well.
constexpr size_t kReceiveSize = 65536;
// Room for IP_PKTINFO + IP_TTL or IPV6_PKTINFO + IPV6_HOPLIMIT and a few more.
constexpr size_t kControlSize = 512;

struct Bytes {
  const uint8_t* data;
  size_t length;
};

Bytes ByteArgument(const Napi::Value& value, const char* what) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(value.Env(), std::string(what) + " must be a Buffer");
  }
  auto array = value.As<Napi::Uint8Array>();
  return {array.Data(), array.ByteLength()};
}

Bytes AddressArgument(const Napi::Value& value) {
  Bytes address = ByteArgument(value, "The address");
  if (address.length > sizeof(sockaddr_storage)) {
    throw Napi::RangeError::New(value.Env(), "The address is " + std::to_string(address.length) +
                                                 " bytes, more than a sockaddr can hold");
  }
  return address;
}

int IntArgument(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (!info[index].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a number");
  }
  return info[index].As<Napi::Number>().Int32Value();
}

}  // namespace

Napi::Function Socket::Define(Napi::Env env) {
  return DefineClass(env, "Socket",
                     {
                         InstanceAccessor<&Socket::GetFd>("fd"),
                         InstanceMethod<&Socket::SetOptionInt>("setOptionInt"),
                         InstanceMethod<&Socket::SetOptionBuffer>("setOptionBuffer"),
                         InstanceMethod<&Socket::AttachFilter>("attachFilter"),
                         InstanceMethod<&Socket::Bind>("bind"),
                         InstanceMethod<&Socket::SendTo>("sendTo"),
                         InstanceMethod<&Socket::StartReceiving>("startReceiving"),
                         InstanceMethod<&Socket::StopReceiving>("stopReceiving"),
                         InstanceMethod<&Socket::Close>("close"),
                     });
}

Socket::Socket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Socket>(info) {
  const int domain = IntArgument(info, 0, "The domain");
  const int type = IntArgument(info, 1, "The type");
  const int protocol = IntArgument(info, 2, "The protocol");
  fd_ = ::socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd_ < 0) throw ErrnoError(info.Env(), errno, "socket");
}

Socket::~Socket() {
  StopPolling();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Napi::Value Socket::GetFd(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), fd_);
}

void Socket::SetOptionInt(const Napi::CallbackInfo& info) {
  const int level = IntArgument(info, 0, "The level");
  const int name = IntArgument(info, 1, "The option name");
  const int value = IntArgument(info, 2, "The option value");
  if (::setsockopt(fd_, level, name, &value, sizeof value) != 0) {
    throw ErrnoError(info.Env(), errno, "setsockopt");
  }
}

void Socket::SetOptionBuffer(const Napi::CallbackInfo& info) {
  const int level = IntArgument(info, 0, "The level");
  const int name = IntArgument(info, 1, "The option name");
  const Bytes value = ByteArgument(info[2], "The option value");
  if (::setsockopt(fd_, level, name, value.data, static_cast<socklen_t>(value.length)) != 0) {
    throw ErrnoError(info.Env(), errno, "setsockopt");
  }
}

// SO_ATTACH_FILTER takes a sock_fprog, which points at the program: JavaScript cannot build that
// pointer, so the program (struct sock_filter[], host order, linux/filter.h) comes as a buffer.
// The kernel copies it; the buffer is free again when this returns.
void Socket::AttachFilter(const Napi::CallbackInfo& info) {
  const Bytes program = ByteArgument(info[0], "The filter program");
  if (program.length == 0 || program.length % sizeof(sock_filter) != 0 || program.length / sizeof(sock_filter) > BPF_MAXINSNS) {
    throw Napi::RangeError::New(info.Env(), "A filter program is 1 to 4096 instructions of 8 bytes");
  }
  sock_fprog fprog{};
  fprog.len = static_cast<unsigned short>(program.length / sizeof(sock_filter));
  fprog.filter = reinterpret_cast<sock_filter*>(const_cast<uint8_t*>(program.data));
  if (::setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) != 0) {
    throw ErrnoError(info.Env(), errno, "setsockopt(SO_ATTACH_FILTER)");
  }
}

void Socket::Bind(const Napi::CallbackInfo& info) {
  const Bytes address = AddressArgument(info[0]);
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(address.data), static_cast<socklen_t>(address.length)) != 0) {
    throw ErrnoError(info.Env(), errno, "bind");
  }
}

Napi::Value Socket::SendTo(const Napi::CallbackInfo& info) {
  const Bytes data = ByteArgument(info[0], "The data");
  Bytes address{nullptr, 0};
  if (!info[1].IsNull() && !info[1].IsUndefined()) address = AddressArgument(info[1]);
  ssize_t sent;
  do {
    sent = ::sendto(fd_, data.data, data.length, 0, reinterpret_cast<const sockaddr*>(address.data),
                    static_cast<socklen_t>(address.length));
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    // A full queue is ordinary back-pressure for datagrams: the caller counts the drop.
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) return Napi::Number::New(info.Env(), -1);
    throw ErrnoError(info.Env(), errno, "sendto");
  }
  return Napi::Number::New(info.Env(), static_cast<double>(sent));
}

void Socket::StartReceiving(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsFunction() || !info[1].IsFunction()) {
    throw Napi::TypeError::New(env, "startReceiving needs an onMessages and an onError function");
  }
  if (fd_ < 0) throw ErrnoError(env, EBADF, "startReceiving", "on a closed socket");
  if (poll_ == nullptr) {
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
      throw Napi::Error::New(env, "The libuv loop of this environment is not available");
    }
    auto* poll = new uv_poll_t;
    int status = uv_poll_init_socket(loop, poll, fd_);
    if (status != 0) {
      delete poll;
      throw ErrnoError(env, -status, "uv_poll_init");
    }
    poll->data = this;
    status = uv_poll_start(poll, UV_READABLE, &Socket::OnPoll);
    if (status != 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(poll), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      throw ErrnoError(env, -status, "uv_poll_start");
    }
    poll_ = poll;
    receiveBuffer_.resize(kReceiveSize);
  }
  // Kept if a callback restarts receiving from inside itself: that call is still using it.
  if (asyncContext_ == nullptr) asyncContext_ = std::make_unique<Napi::AsyncContext>(env, "hsnet.Socket", Value());
  onMessages_ = Napi::Persistent(info[0].As<Napi::Function>());
  onError_ = Napi::Persistent(info[1].As<Napi::Function>());
  if (!held_) {
    Ref();
    held_ = true;
  }
}

void Socket::StopReceiving(const Napi::CallbackInfo& info) {
  StopPolling();
  ForgetCallbacks();
}

void Socket::Close(const Napi::CallbackInfo& info) {
  StopPolling();
  ForgetCallbacks();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void Socket::StopPolling() {
  ClosePoll(poll_);
}

void Socket::ForgetCallbacks() {
  onMessages_.Reset();
  onError_.Reset();
  if (!inCallback_) asyncContext_.reset();
  if (held_) {
    held_ = false;
    Unref();
  }
}

void Socket::OnPoll(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<Socket*>(handle->data);
  if (self != nullptr) self->Drain(status);
}

namespace {
int64_t Nanoseconds(const timespec& t) { return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec; }
}  // namespace

// The kernel stamps packets (SO_TIMESTAMPNS) on CLOCK_REALTIME; timers run on CLOCK_MONOTONIC.
// The offset between the two is read once per batch, when the first stamped packet needs it.
double Socket::MonotonicReceiveMs(msghdr& message, ClockPair& clocks) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS || c->cmsg_len < CMSG_LEN(sizeof(timespec))) continue;
    timespec stamp;
    std::memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
    if (!clocks.read) {
      timespec real, mono;
      ::clock_gettime(CLOCK_REALTIME, &real);
      ::clock_gettime(CLOCK_MONOTONIC, &mono);
      clocks.realMinusMonoNs = Nanoseconds(real) - Nanoseconds(mono);
      clocks.read = true;
    }
    return static_cast<double>(Nanoseconds(stamp) - clocks.realMinusMonoNs) / 1e6;
  }
  return 0;
}

void Socket::Drain(int status) {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  // A local handle keeps this object alive even if the callback closes it and drops it.
  Napi::Object self = Value();
  // Taken now so an exception thrown after the callback closed us still reaches its onError.
  Napi::Function onMessages = onMessages_.Value();
  Napi::Function onError = onError_.Value();
  if (status < 0) {
    // POLLERR from a pending socket error (a netlink receive overflow: ENOBUFS; an ICMP error)
    // makes libuv stop the handle and say EBADF. Take the real error, which also clears it,
    // report it, and keep watching: the socket itself is fine.
    int pending = 0;
    socklen_t length = sizeof pending;
    if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &pending, &length) != 0 || pending == 0 || poll_ == nullptr ||
        uv_poll_start(poll_, UV_READABLE, &Socket::OnPoll) != 0) {
      Invoke(self, onError, onError, ErrnoError(env, -status, "uv_poll").Value());
      return;
    }
    Invoke(self, onError, onError, ErrnoError(env, pending, "recvmsg").Value());
    if (poll_ == nullptr) return;  // onError closed or stopped us
  }
  Napi::Array batch = Napi::Array::New(env);
  ClockPair clocks;
  uint32_t count = 0;
  int error = 0;
  while (count < kMaxBatch) {
    sockaddr_storage name;
    alignas(cmsghdr) uint8_t control[kControlSize];
    iovec iov{receiveBuffer_.data(), receiveBuffer_.size()};
    msghdr message{};
    message.msg_name = &name;
    message.msg_namelen = sizeof name;
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    const ssize_t received = ::recvmsg(fd_, &message, 0);
    if (received < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) error = errno;
      break;
    }
    Napi::Object item = Napi::Object::New(env);
    item.Set("data", Napi::Buffer<uint8_t>::Copy(env, receiveBuffer_.data(), static_cast<size_t>(received)));
    item.Set("address", Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<uint8_t*>(&name), message.msg_namelen));
    item.Set("control", Napi::Buffer<uint8_t>::Copy(env, control, message.msg_controllen));
    const double receivedAt = MonotonicReceiveMs(message, clocks);
    if (receivedAt > 0) item.Set("monotonicReceivedMs", Napi::Number::New(env, receivedAt));
    batch.Set(count++, item);
  }
  if (count > 0) Invoke(self, onMessages, onError, batch);
  // The callback may have stopped or closed us; then the error is no longer anyone's business.
  if (error != 0 && poll_ != nullptr) Invoke(self, onError, onError, ErrnoError(env, error, "recvmsg").Value());
}

void Socket::Invoke(const Napi::Object& self, const Napi::Function& fn, const Napi::Function& onError,
                    napi_value argument) {
  if (fn.IsEmpty() || asyncContext_ == nullptr) return;
  inCallback_ = true;
  // MakeCallback (not Call): runs queued microtasks and nextTicks afterwards, as for any I/O callback.
  try {
    fn.MakeCallback(self, {argument}, *asyncContext_);
  } catch (const Napi::Error& thrown) {
    if (onError.IsEmpty() || onError == fn) {
      napi_fatal_exception(Env(), thrown.Value());
    } else {
      try {
        onError.MakeCallback(self, {thrown.Value()}, *asyncContext_);
      } catch (const Napi::Error& again) {
        napi_fatal_exception(Env(), again.Value());
      }
    }
  }
  inCallback_ = false;
  // The callback stopped or closed us: now the context can go.
  if (onMessages_.IsEmpty()) asyncContext_.reset();
}
