// Sealed bulk records: a large file's bytes from the source to the replica over a plain TCP
// connection of their own, sealed with AES-256-GCM, sent and received by one thread-pool job each.
//
// Why: the replica's main thread spent most of a large transfer in Node's TLS read path (one
// 16 KiB record at a time, a fresh buffer and a JavaScript callback per record) while the
// kernel, the cipher and the disk had time to spare (docs/replication.md, "Large file"). The
// keys come from the control connection's TLS session (RFC 5705 exporter, src/replicate/bulk-io.ts), so
// this stream is as private and as authenticated as the TLS one.
//
// Record (one direction only, source to replica):
//   u32 big-endian plaintext length L (1 ≤ L ≤ recordMax) | L bytes of ciphertext | 16-byte tag
// AES-256-GCM (NIST SP 800-38D) with the 4-byte length as additional data and the nonce
// IV XOR the 64-bit record counter in its last 8 bytes (as TLS 1.3, RFC 8446 §5.3), so a record
// that is replayed, dropped, reordered or cut is refused: its tag does not check under the
// counter the receiver expects. The receiver checks a length against recordMax and the bytes
// still expected before it reads the record, and writes a record's plaintext only after its
// tag checked. A key seals one transfer of at most 2^40 bytes (MAX_BYTES_PER_KEY in bulk-io.ts).
//
// bulkSend(sockFd, fileFd, offset, length, key, iv, counter, recordSize, timeoutMs, progress?)
//   reads [offset, offset + length) of fileFd, seals it in records of recordSize and sends
//   them. Resolves { records, bytes }.
// bulkReceive(sockFd, directFd, bufferedFd, offset, length, key, iv, counter, recordMax, timeoutMs, progress?)
//   receives records until `length` bytes of plaintext have come and writes them at `offset`
//   (O_DIRECT through directFd where aligned, as direct-write.cc, the rest through bufferedFd;
//   directFd -1: all buffered). Resolves { records, bytes, direct }.
// Both: `progress` (Buffer.alloc(8)) holds the bytes done so far as a little-endian u64, stored
// after each record, for the main thread to read while the job runs. The socket must be
// a connected stream socket no one else reads (receive) or writes (send) meanwhile;
// `timeoutMs` without progress rejects with ETIMEDOUT. shutdown(2) of the socket by another
// thread (bulkShutdown) ends a waiting job: a send with EPIPE, a receive with EPROTO (the
// connection closed). Errors are errno Errors naming the step and the record (its index in
// this transfer): EBADMSG (a tag that does not check), EPROTO (a length out of bounds, the
// connection closing early), the system call's errno otherwise, with `bytes`: the plaintext
// bytes sent or written before the failure.
#include "bulk-io.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "errno-error.h"
#include "int-arg.h"

namespace {

constexpr size_t kHead = 4;
constexpr size_t kTag = 16;
constexpr int64_t kAlign = 4096;
constexpr int64_t kRecordLimit = 16 * 1024 * 1024;

struct FreeDeleter {
  void operator()(uint8_t* p) const { free(p); }
};
using Aligned = std::unique_ptr<uint8_t, FreeDeleter>;

Aligned AlignedBuffer(size_t size) {
  void* p = nullptr;
  if (posix_memalign(&p, kAlign, (size + kAlign - 1) / kAlign * kAlign) != 0) return nullptr;
  return Aligned(static_cast<uint8_t*>(p));
}

struct CipherDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

void Nonce(const uint8_t iv[12], uint64_t counter, uint8_t out[12]) {
  memcpy(out, iv, 12);
  for (int i = 0; i < 8; i++) out[4 + i] ^= static_cast<uint8_t>(counter >> (56 - 8 * i));
}

// Waits until fd is ready for `events`; false with errno ETIMEDOUT after timeoutMs.
bool Wait(int fd, short events, int timeoutMs) {
  struct pollfd p = {fd, events, 0};
  for (;;) {
    const int r = poll(&p, 1, timeoutMs);
    if (r > 0) return true;  // ready, or an error / hang-up the next call reports
    if (r == 0) {
      errno = ETIMEDOUT;
      return false;
    }
    if (errno != EINTR) return false;
  }
}

// Reads exactly n bytes from the socket; false with errno set (EPROTO: closed early).
bool ReadFull(int fd, uint8_t* into, size_t n, int timeoutMs) {
  while (n > 0) {
    const ssize_t r = recv(fd, into, n, 0);
    if (r > 0) {
      into += r;
      n -= static_cast<size_t>(r);
    } else if (r == 0) {
      errno = EPROTO;
      return false;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!Wait(fd, POLLIN, timeoutMs)) return false;
    } else if (errno != EINTR) {
      return false;
    }
  }
  return true;
}

bool WriteFull(int fd, const uint8_t* from, size_t n, int timeoutMs) {
  while (n > 0) {
    const ssize_t r = send(fd, from, n, MSG_NOSIGNAL);
    if (r >= 0) {
      from += r;
      n -= static_cast<size_t>(r);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!Wait(fd, POLLOUT, timeoutMs)) return false;
    } else if (errno != EINTR) {
      return false;
    }
  }
  return true;
}

// Common arguments and result of both jobs.
class BulkWorker : public Napi::AsyncWorker {
 public:
  BulkWorker(Napi::Env env) : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  // Arguments shared by both, from index `at`: key, iv, counter, record size, timeout.
  void Keys(const Napi::CallbackInfo& info, size_t at) {
    Napi::Env env = info.Env();
    if (!info[at].IsBuffer() || info[at].As<Napi::Buffer<uint8_t>>().Length() != 32) throw Napi::TypeError::New(env, "The key must be a 32-byte Buffer");
    if (!info[at + 1].IsBuffer() || info[at + 1].As<Napi::Buffer<uint8_t>>().Length() != 12) throw Napi::TypeError::New(env, "The IV must be a 12-byte Buffer");
    memcpy(key_, info[at].As<Napi::Buffer<uint8_t>>().Data(), 32);
    memcpy(iv_, info[at + 1].As<Napi::Buffer<uint8_t>>().Data(), 12);
    counter_ = static_cast<uint64_t>(IntArg(info, at + 2, "The record counter"));
    record_ = IntArg(info, at + 3, "The record size", 1, kRecordLimit);
    timeoutMs_ = static_cast<int>(IntArg(info, at + 4, "The timeout", 1, INT32_MAX));
    if (info.Length() > at + 5 && !info[at + 5].IsUndefined()) {
      // The bytes done so far, for the main thread to read while the job runs (lag in bytes).
      if (!info[at + 5].IsBuffer()) throw Napi::TypeError::New(env, "The progress must be an 8-byte Buffer");
      auto progress = info[at + 5].As<Napi::Buffer<uint8_t>>();
      if (progress.Length() != 8 || reinterpret_cast<uintptr_t>(progress.Data()) % alignof(uint64_t) != 0) {
        throw Napi::TypeError::New(env, "The progress must be an 8-byte Buffer of its own (Buffer.alloc(8): aligned)");
      }
      progress_ = reinterpret_cast<uint64_t*>(progress.Data());
      progressRef_ = Napi::Persistent(progress);
    }
  }

  ~BulkWorker() override { OPENSSL_cleanse(key_, sizeof key_); }

 protected:
  bool Begin(bool encrypt) {
    cipher_.reset(EVP_CIPHER_CTX_new());
    if (!cipher_ || (encrypt ? EVP_EncryptInit_ex(cipher_.get(), EVP_aes_256_gcm(), nullptr, key_, nullptr) : EVP_DecryptInit_ex(cipher_.get(), EVP_aes_256_gcm(), nullptr, key_, nullptr)) != 1) {
      Fail(ENOMEM, "EVP_CipherInit");
      return false;
    }
    return true;
  }

  // Seals (or opens, checking the tag) `data` in place as record number counter_.
  bool Crypt(bool encrypt, const uint8_t head[kHead], uint8_t* data, size_t n, uint8_t tag[kTag]) {
    uint8_t nonce[12];
    Nonce(iv_, counter_, nonce);
    int out = 0;
    EVP_CIPHER_CTX* c = cipher_.get();
    const bool ok = EVP_CipherInit_ex(c, nullptr, nullptr, nullptr, nonce, encrypt ? 1 : 0) == 1 &&
                    (encrypt || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, kTag, tag) == 1) &&
                    EVP_CipherUpdate(c, nullptr, &out, head, kHead) == 1 &&
                    EVP_CipherUpdate(c, data, &out, data, static_cast<int>(n)) == 1 && EVP_CipherFinal_ex(c, data + n, &out) == 1 &&
                    (!encrypt || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, kTag, tag) == 1);
    if (!ok) {
      // Named by its place in this transfer, as every other message names a record.
      Fail(encrypt ? EIO : EBADMSG, encrypt ? "seal" : "open", "record " + std::to_string(records_));
      return false;
    }
    counter_++;
    return true;
  }

  // After each record: `bytes_` where the main thread can read it (one aligned 64-bit store).
  void Progress() {
    if (progress_ != nullptr) __atomic_store_n(progress_, static_cast<uint64_t>(bytes_), __ATOMIC_RELAXED);
  }

  void Fail(int error, const char* step, const std::string& detail = "") {
    error_ = error;
    step_ = step;
    detail_ = detail;
  }

  void Settle(Napi::Object result) {
    Napi::Env env = Env();
    if (error_ != 0) {
      // The bytes done before the failure: the replica's partial file keeps them for a resume.
      Napi::Object error = ErrnoError(env, error_, step_, detail_).Value();
      error.Set("bytes", Napi::Number::New(env, static_cast<double>(bytes_)));
      deferred_.Reject(error);
      return;
    }
    result.Set("records", Napi::Number::New(env, static_cast<double>(records_)));
    result.Set("bytes", Napi::Number::New(env, static_cast<double>(bytes_)));
    deferred_.Resolve(result);
  }
  void OnError(const Napi::Error& e) override {
    deferred_.Reject(e.Value());
  }

  uint8_t key_[32];
  uint8_t iv_[12];
  uint64_t counter_ = 0;
  int64_t record_ = 0;
  int timeoutMs_ = 0;
  uint64_t* progress_ = nullptr;
  Napi::Reference<Napi::Buffer<uint8_t>> progressRef_;
  std::unique_ptr<EVP_CIPHER_CTX, CipherDeleter> cipher_;
  int64_t records_ = 0;
  int64_t bytes_ = 0;
  int error_ = 0;
  const char* step_ = "";
  std::string detail_;
  Napi::Promise::Deferred deferred_;
};

class SendWorker : public BulkWorker {
 public:
  SendWorker(Napi::Env env, int sock, int file, int64_t offset, int64_t length) : BulkWorker(env), sock_(sock), file_(file), offset_(offset), length_(length) {}

  void Execute() override {
    if (!Begin(true)) return;
    Aligned buffer = AlignedBuffer(kHead + static_cast<size_t>(record_) + kTag);
    if (!buffer) return Fail(ENOMEM, "posix_memalign");
    uint8_t* head = buffer.get();
    uint8_t* data = head + kHead;
    while (bytes_ < length_) {
      const size_t n = static_cast<size_t>(std::min(record_, length_ - bytes_));
      for (size_t got = 0; got < n;) {
        const ssize_t r = pread(file_, data + got, n - got, static_cast<off_t>(offset_ + bytes_ + static_cast<int64_t>(got)));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
          const int error = errno;  // before the message's allocations can touch it
          return Fail(error, "pread", "at " + std::to_string(offset_ + bytes_));
        }
        if (r == 0) return Fail(ENODATA, "pread", "the file ended at " + std::to_string(offset_ + bytes_ + static_cast<int64_t>(got)));
        got += static_cast<size_t>(r);
      }
      head[0] = static_cast<uint8_t>(n >> 24);
      head[1] = static_cast<uint8_t>(n >> 16);
      head[2] = static_cast<uint8_t>(n >> 8);
      head[3] = static_cast<uint8_t>(n);
      if (!Crypt(true, head, data, n, data + n)) return;
      if (!WriteFull(sock_, head, kHead + n + kTag, timeoutMs_)) {
        const int error = errno;
        return Fail(error, "send", "record " + std::to_string(records_));
      }
      records_++;
      bytes_ += static_cast<int64_t>(n);
      Progress();
    }
  }
  void OnOK() override { Settle(Napi::Object::New(Env())); }

 private:
  int sock_, file_;
  int64_t offset_, length_;
};

class ReceiveWorker : public BulkWorker {
 public:
  ReceiveWorker(Napi::Env env, int sock, int directFd, int bufferedFd, int64_t offset, int64_t length)
      : BulkWorker(env), sock_(sock), directFd_(directFd), bufferedFd_(bufferedFd), offset_(offset), length_(length) {}

  void Execute() override {
    if (!Begin(false)) return;
    // Each record's plaintext placed at the file position's offset within a block, so its
    // aligned middle is at an aligned address too and O_DIRECT can write it whatever the offset
    // (a transfer resumed mid-block; without the shift none of its records could go direct).
    Aligned buffer = AlignedBuffer(static_cast<size_t>(record_) + kTag + kAlign);
    if (!buffer) return Fail(ENOMEM, "posix_memalign");
    uint8_t head[kHead];
    uint8_t tag[kTag];
    while (bytes_ < length_) {
      uint8_t* data = buffer.get() + (offset_ + bytes_) % kAlign;
      if (!ReadFull(sock_, head, kHead, timeoutMs_)) {
        const int error = errno;
        return FailRead(error, "record " + std::to_string(records_) + "'s length");
      }
      const int64_t n = (int64_t{head[0]} << 24) | (int64_t{head[1]} << 16) | (int64_t{head[2]} << 8) | int64_t{head[3]};
      // Refused before a byte of it is read: no length can make this job read past its buffer.
      if (n < 1 || n > record_ || n > length_ - bytes_) {
        return Fail(EPROTO, "record", "record " + std::to_string(records_) + " claims " + std::to_string(n) + " bytes (at most " +
                                         std::to_string(std::min(record_, length_ - bytes_)) + " expected)");
      }
      if (!ReadFull(sock_, data, static_cast<size_t>(n), timeoutMs_) || !ReadFull(sock_, tag, kTag, timeoutMs_)) {
        const int error = errno;
        return FailRead(error, "record " + std::to_string(records_));
      }
      if (!Crypt(false, head, data, static_cast<size_t>(n), tag)) return;
      if (!Write(data, n, offset_ + bytes_)) return;
      records_++;
      bytes_ += n;
      Progress();
    }
  }
  void OnOK() override {
    Napi::Object result = Napi::Object::New(Env());
    result.Set("direct", Napi::Number::New(Env(), static_cast<double>(direct_)));
    Settle(result);
  }

 private:
  // ReadFull's EPROTO is the connection closing (the peer, or bulkShutdown): said in words.
  void FailRead(int error, const std::string& what) {
    Fail(error, "recv", error == EPROTO ? what + " (the connection closed before it was complete)" : what);
  }

  // The aligned middle through O_DIRECT (direct-write.cc says why), the edges buffered.
  bool Write(const uint8_t* data, int64_t n, int64_t at) {
    int64_t done = 0;
    while (done < n) {
      const int64_t position = at + done;
      int64_t take;
      bool now = false;
      if (directFd_ >= 0 && position % kAlign == 0 && reinterpret_cast<uintptr_t>(data + done) % kAlign == 0 && n - done >= kAlign) {
        take = (n - done) / kAlign * kAlign;
        now = true;
      } else if (directFd_ >= 0 && position % kAlign != 0) {
        take = std::min(n - done, kAlign - position % kAlign);
      } else {
        take = n - done;
      }
      const ssize_t r = pwrite(now ? directFd_ : bufferedFd_, data + done, static_cast<size_t>(take), static_cast<off_t>(position));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && now && errno == EINVAL && direct_ == 0) {
        directFd_ = -1;  // this filesystem refuses O_DIRECT: buffered from now on
        continue;
      }
      if (r < 0) {
        const int error = errno;
        Fail(error, "pwrite", "at " + std::to_string(position));
        return false;
      }
      if (r == 0) {
        Fail(ENOSPC, "pwrite", "at " + std::to_string(position));
        return false;
      }
      done += r;
      if (now) direct_ += r;
    }
    return true;
  }

  int sock_, directFd_, bufferedFd_;
  int64_t offset_, length_;
  int64_t direct_ = 0;
};

// Takes the arguments both jobs share (from `keysAt` on) and queues the job; a bad one frees it.
Napi::Value Start(BulkWorker* worker, const Napi::CallbackInfo& info, size_t keysAt) {
  try {
    worker->Keys(info, keysAt);
  } catch (...) {
    delete worker;
    throw;
  }
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

Napi::Value BulkSend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int sock = FdArg(info, 0, "The socket");
  const int file = FdArg(info, 1, "The file descriptor");
  const int64_t offset = IntArg(info, 2, "The offset");
  const int64_t length = IntArg(info, 3, "The length");
  return Start(new SendWorker(env, sock, file, offset, length), info, 4);
}

Napi::Value BulkReceive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int sock = FdArg(info, 0, "The socket");
  const int directFd = static_cast<int>(IntArg(info, 1, "The direct file descriptor", -1, INT32_MAX));
  const int bufferedFd = FdArg(info, 2, "The buffered file descriptor");
  const int64_t offset = IntArg(info, 3, "The offset");
  const int64_t length = IntArg(info, 4, "The length");
  return Start(new ReceiveWorker(env, sock, directFd, bufferedFd, offset, length), info, 5);
}

// bulkShutdown(sockFd): shutdown(2) both ways, so a job waiting on the socket ends; the caller
// closes the socket (its Node handle) only after the job settled.
Napi::Value BulkShutdown(const Napi::CallbackInfo& info) {
  const int sock = FdArg(info, 0, "The socket");
  if (shutdown(sock, SHUT_RDWR) != 0 && errno != ENOTCONN) {
    const int error = errno;
    throw ErrnoError(info.Env(), error, "shutdown");
  }
  return info.Env().Undefined();
}
