// writeDirect(directFd, bufferedFd, pieces, offset) → Promise<{ written, direct }>
//   The replica's streamed file data (src/replicate/replica-applier.ts data()) written past the
//   page cache: `pieces` (Buffers, in order, as they came off the socket) at `offset` of the
//   partial file, which is open twice: `directFd` with O_DIRECT, `bufferedFd` without.
//
//   Why: on this project's VMs writing a large new file through write(2) costs ~1.8 s of system
//   CPU per 256 MiB (fresh page-cache pages; a C pwrite loop shows the same), where O_DIRECT
//   writes of the same bytes cost 0.02–0.07 s (docs/replication.md, "large files"). The file is
//   not read on the replica afterwards (until a digest), so nothing is lost by not caching it.
//
//   O_DIRECT needs the memory, the file offset and the length aligned to the device's logical
//   block (open(2), NOTES "O_DIRECT"); 4096 covers every common device. The pieces are
//   arbitrary slices of TLS records, so they are gathered into an aligned staging buffer (one
//   per pool thread, 1 MiB, kept: fresh memory per job is what costs here). Bytes before the
//   first aligned offset of the range (a resumed transfer starting mid-block) and after its last
//   (the file's tail) go through `bufferedFd`; the kernel keeps the two views coherent (a direct
//   write flushes and drops cached pages of its range first). If the filesystem refuses O_DIRECT
//   (EINVAL at the first direct write) everything goes buffered, and `direct` says 0.
//
//   Durability is unchanged: the group commit (native/sync-batch.cc) still syncs the buffered
//   part, and on ext4 / xfs the journal commit that the directory fsync forces carries the
//   direct writes' block allocation and size updates, with a cache flush before its commit
//   record, so the data written here (already on the device when pwrite returned) is durable
//   before the name is. Other filesystems get fsync(2), which covers direct writes too.
//
//   Resolves the bytes written (all of them) and how many went direct; rejects with an errno
//   Error naming pwrite (ENOSPC, EIO, EBADF). A pwrite that writes nothing is ENOSPC.
#include "direct-write.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "errno-error.h"
#include "int-arg.h"

namespace {

constexpr int64_t kAlign = 4096;
constexpr int64_t kStaging = 1024 * 1024;

struct FreeDeleter {
  void operator()(uint8_t* p) const { free(p); }
};

// This pool thread's staging buffer (aligned, reused by every job the thread runs).
uint8_t* Staging() {
  static thread_local std::unique_ptr<uint8_t, FreeDeleter> buffer;
  if (!buffer) {
    void* p = nullptr;
    if (posix_memalign(&p, kAlign, kStaging) != 0) return nullptr;
    buffer.reset(static_cast<uint8_t*>(p));
  }
  return buffer.get();
}

class DirectWorker : public Napi::AsyncWorker {
 public:
  DirectWorker(Napi::Env env, int directFd, int bufferedFd, int64_t offset)
      : Napi::AsyncWorker(env), directFd_(directFd), bufferedFd_(bufferedFd), offset_(offset), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Add(Napi::Buffer<uint8_t> piece) {
    pieces_.push_back({piece.Data(), piece.Length()});
    total_ += static_cast<int64_t>(piece.Length());
    refs_.push_back(Napi::Persistent(piece));
  }

  void Execute() override {
    uint8_t* staging = Staging();
    if (staging == nullptr) {
      error_ = ENOMEM;
      return;
    }
    bool direct = directFd_ >= 0;
    int64_t position = offset_;
    int64_t remaining = total_;
    while (remaining > 0) {
      int64_t n;
      bool useDirect = false;
      if (direct && position % kAlign == 0 && remaining >= kAlign) {
        n = std::min(remaining, kStaging) / kAlign * kAlign;
        useDirect = true;
      } else if (direct && position % kAlign != 0) {
        n = std::min(remaining, kAlign - position % kAlign);  // up to the next aligned offset
      } else {
        n = std::min(remaining, kStaging);  // the tail, or everything once direct is refused
      }
      Gather(staging, n);
      for (int64_t done = 0; done < n;) {
        // Direct only from an aligned point of the buffer and file for an aligned length.
        const bool now = useDirect && done % kAlign == 0 && (n - done) % kAlign == 0;
        const ssize_t r = pwrite(now ? directFd_ : bufferedFd_, staging + done, static_cast<size_t>(n - done), static_cast<off_t>(position + done));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && now && errno == EINVAL && directBytes_ == 0) {
          // This filesystem (or device) refuses O_DIRECT here: all buffered from now on.
          direct = false;
          useDirect = false;
          continue;
        }
        if (r < 0) {
          error_ = errno;
          return;
        }
        if (r == 0) {
          error_ = ENOSPC;
          return;
        }
        done += r;
        if (now) directBytes_ += r;
      }
      position += n;
      remaining -= n;
      written_ += n;
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (error_ != 0) {
      deferred_.Reject(ErrnoError(env, error_, "pwrite", "at " + std::to_string(offset_ + written_)).Value());
      return;
    }
    Napi::Object result = Napi::Object::New(env);
    result.Set("written", Napi::Number::New(env, static_cast<double>(written_)));
    result.Set("direct", Napi::Number::New(env, static_cast<double>(directBytes_)));
    deferred_.Resolve(result);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  // The next n bytes of the pieces into `into`.
  void Gather(uint8_t* into, int64_t n) {
    while (n > 0) {
      const auto& [data, length] = pieces_[piece_];
      const size_t take = std::min<size_t>(static_cast<size_t>(n), length - inPiece_);
      memcpy(into, data + inPiece_, take);
      into += take;
      n -= static_cast<int64_t>(take);
      inPiece_ += take;
      if (inPiece_ == length) {
        piece_++;
        inPiece_ = 0;
      }
    }
  }

  int directFd_, bufferedFd_;
  int64_t offset_;
  std::vector<std::pair<const uint8_t*, size_t>> pieces_;
  std::vector<Napi::Reference<Napi::Buffer<uint8_t>>> refs_;
  int64_t total_ = 0;
  size_t piece_ = 0;
  size_t inPiece_ = 0;
  int64_t written_ = 0;
  int64_t directBytes_ = 0;
  int error_ = 0;
  Napi::Promise::Deferred deferred_;
};

}  // namespace

Napi::Value WriteDirect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // -1: no direct fd (everything buffered; tests and filesystems without O_DIRECT).
  const int directFd = static_cast<int>(IntArg(info, 0, "The direct file descriptor", -1, INT32_MAX));
  const int bufferedFd = static_cast<int>(IntArg(info, 1, "The buffered file descriptor", 0, INT32_MAX));
  if (!info[2].IsArray()) throw Napi::TypeError::New(env, "writeDirect takes an array of Buffers");
  const int64_t offset = IntArg(info, 3, "The offset", 0, kMaxSafeInteger);
  Napi::Array pieces = info[2].As<Napi::Array>();
  auto* worker = new DirectWorker(env, directFd, bufferedFd, offset);
  for (uint32_t i = 0; i < pieces.Length(); i++) {
    Napi::Value piece = pieces.Get(i);
    if (!piece.IsBuffer()) {
      delete worker;
      throw Napi::TypeError::New(env, "Every piece must be a Buffer");
    }
    worker->Add(piece.As<Napi::Buffer<uint8_t>>());
  }
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}
