// blockSums(fd, basisSize, blockSize, from, n) → Promise<Buffer>
//   The sums of blocks [from, from + n) of the file open on `fd` (blocks of `blockSize` bytes, the
//   last one shorter), as the wire payload of the `sums` reply (src/replicate/delta-signature.ts):
//   per block a 32-bit big-endian weak sum and the first 8 bytes of its SHA-256. The weak sum is
//   rsync's (Tridgell & Mackerras 1996, section 4: a = Σ x_i mod 2^16, b = Σ (l − i + 1) x_i
//   mod 2^16, s = a + 2^16 b), the same as weakParts() in delta-signature.ts; SHA-256 is the
//   OpenSSL inside the node process (SHA-NI where the CPU has it). Read with pread(2) about
//   1 MiB at a time. A file shorter than basisSize rejects with a RangeError naming the offset.
//
// copyFileRange(inFd, inOffset, outFd, outOffset, length, kernel) → Promise<{ copied, kernel }>
//   `length` bytes of inFd from inOffset written to outFd at outOffset. With `kernel`, through
//   copy_file_range(2): the kernel copies page cache to page cache (or shares the extents, on a
//   filesystem that can), nothing crosses into user space. Where it cannot (EXDEV, ENOSYS,
//   EOPNOTSUPP, EINVAL: another filesystem on an old kernel, a filesystem without it), and for
//   whatever a kernel copy left (it returns 0 early on some filesystems), pread(2) / pwrite(2) in
//   1 MiB pieces; `kernel: false` asks for that path only (tests). Resolves the bytes copied,
//   fewer than `length` only when the input ended, and whether any went kernel-side; rejects
//   with an errno Error (ENOSPC, EIO, EBADF). A pwrite that writes nothing is ENOSPC (a regular
//   file writes all or fails). Then writeback of the copied range is started
//   (sync_file_range(2) SYNC_FILE_RANGE_WRITE, not waited for): the group commit's data sync
//   (native/sync-batch.cc) then finds most of it on the disk already.
//
// sha256File(fd, offset, length) → Promise<string>
//   The SHA-256 (hex) of `length` bytes of the file on `fd` from `offset`, read with pread(2) 1 MiB
//   at a time in one thread-pool job: the source's whole-file hash of a delta, computed on
//   another core while its main thread rolls over the same bytes (src/replicate/source-sender.ts).
//   A file that ends early rejects with a RangeError naming the offset.
#include "delta-io.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "errno-error.h"
#include "int-arg.h"

namespace {

constexpr size_t kReadBytes = 1024 * 1024;
constexpr size_t kStrongBytes = 8;
constexpr size_t kSumBytes = 4 + kStrongBytes;
constexpr int64_t kMaxBlock = 128 * 1024;

// Reads up to `want` bytes at `position`, past EINTR and short reads: the bytes read (fewer only
// at the end of the file), or -1 with errno in *error.
int64_t ReadFully(int fd, uint8_t* into, int64_t want, int64_t position, int* error) {
  int64_t got = 0;
  while (got < want) {
    const ssize_t r = pread(fd, into + got, static_cast<size_t>(want - got), static_cast<off_t>(position + got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      *error = errno;
      return -1;
    }
    if (r == 0) break;
    got += r;
  }
  return got;
}

// An OpenSSL digest context freed on every path out of a job.
using DigestContext = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;
DigestContext NewDigestContext() { return DigestContext(EVP_MD_CTX_new(), &EVP_MD_CTX_free); }

// Queues a thread-pool job and hands back its promise (the job settles it and deletes itself).
template <class Worker>
Napi::Value Start(Worker* worker) {
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// rsync's get_checksum1, 32-bit sums: only their low 16 bits are kept.
uint32_t WeakSum(const uint8_t* p, size_t n) {
  uint32_t a = 0;
  uint32_t b = 0;
  for (size_t i = 0; i < n; i++) {
    a += p[i];
    b += a;
  }
  return ((b & 0xffff) << 16) | (a & 0xffff);
}

class SumsWorker : public Napi::AsyncWorker {
 public:
  SumsWorker(Napi::Env env, int fd, int64_t basisSize, int64_t blockSize, int64_t from, int64_t n)
      : Napi::AsyncWorker(env), fd_(fd), basisSize_(basisSize), blockSize_(blockSize), from_(from), n_(n), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    out_.resize(static_cast<size_t>(n_) * kSumBytes);
    const int64_t perRead = std::max<int64_t>(1, static_cast<int64_t>(kReadBytes) / blockSize_);
    std::vector<uint8_t> buffer(static_cast<size_t>(perRead * blockSize_));
    const DigestContext ctx = NewDigestContext();
    const EVP_MD* sha256 = EVP_sha256();
    if (ctx == nullptr || sha256 == nullptr) {
      message_ = "OpenSSL has no SHA-256";
      return;
    }
    for (int64_t done = 0; done < n_;) {
      const int64_t blocks = std::min(perRead, n_ - done);
      const int64_t position = (from_ + done) * blockSize_;
      const int64_t want = std::min(blocks * blockSize_, basisSize_ - position);
      const int64_t got = ReadFully(fd_, buffer.data(), want, position, &error_);
      if (got < 0) return;
      if (got < want) {
        message_ = "The basis ended at " + std::to_string(position + got) + " of " + std::to_string(basisSize_) + " bytes";
        return;
      }
      for (int64_t k = 0; k < blocks; k++) {
        const int64_t start = k * blockSize_;
        const int64_t length = std::min(blockSize_, want - start);
        const uint8_t* block = buffer.data() + start;
        uint8_t* at = out_.data() + static_cast<size_t>(done + k) * kSumBytes;
        const uint32_t weak = WeakSum(block, static_cast<size_t>(length));
        at[0] = static_cast<uint8_t>(weak >> 24);
        at[1] = static_cast<uint8_t>(weak >> 16);
        at[2] = static_cast<uint8_t>(weak >> 8);
        at[3] = static_cast<uint8_t>(weak);
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int digestLength = 0;
        if (EVP_DigestInit_ex(ctx.get(), sha256, nullptr) != 1 || EVP_DigestUpdate(ctx.get(), block, static_cast<size_t>(length)) != 1 ||
            EVP_DigestFinal_ex(ctx.get(), digest, &digestLength) != 1 || digestLength < kStrongBytes) {
          message_ = "SHA-256 through OpenSSL failed";
          return;
        }
        std::copy(digest, digest + kStrongBytes, at + 4);
      }
      done += blocks;
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (error_ != 0) {
      deferred_.Reject(ErrnoError(env, error_, "read").Value());
    } else if (!message_.empty()) {
      deferred_.Reject(Napi::RangeError::New(env, message_).Value());
    } else {
      deferred_.Resolve(Napi::Buffer<uint8_t>::Copy(env, out_.data(), out_.size()));
    }
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  int fd_;
  int64_t basisSize_, blockSize_, from_, n_;
  std::vector<uint8_t> out_;
  int error_ = 0;
  std::string message_;
  Napi::Promise::Deferred deferred_;
};

class HashWorker : public Napi::AsyncWorker {
 public:
  HashWorker(Napi::Env env, int fd, int64_t offset, int64_t length)
      : Napi::AsyncWorker(env), fd_(fd), offset_(offset), length_(length), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    const DigestContext ctx = NewDigestContext();
    if (ctx == nullptr || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
      message_ = "SHA-256 through OpenSSL failed";
      return;
    }
    std::vector<uint8_t> buffer(static_cast<size_t>(std::max<int64_t>(1, std::min<int64_t>(kReadBytes, length_))));
    for (int64_t done = 0; done < length_;) {
      const int64_t want = std::min<int64_t>(static_cast<int64_t>(buffer.size()), length_ - done);
      const int64_t got = ReadFully(fd_, buffer.data(), want, offset_ + done, &error_);
      if (got < 0) return;
      if (got > 0 && EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<size_t>(got)) != 1) {
        message_ = "SHA-256 through OpenSSL failed";
        return;
      }
      done += got;
      if (got < want) {
        message_ = "The file ended at " + std::to_string(offset_ + done) + " of " + std::to_string(offset_ + length_) + " bytes";
        return;
      }
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digestLength = 0;
    if (EVP_DigestFinal_ex(ctx.get(), digest, &digestLength) != 1) {
      message_ = "SHA-256 through OpenSSL failed";
      return;
    }
    static const char kHex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < digestLength; i++) {
      hex_ += kHex[digest[i] >> 4];
      hex_ += kHex[digest[i] & 15];
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (error_ != 0) {
      deferred_.Reject(ErrnoError(env, error_, "read").Value());
    } else if (!message_.empty()) {
      deferred_.Reject(Napi::RangeError::New(env, message_).Value());
    } else {
      deferred_.Resolve(Napi::String::New(env, hex_));
    }
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  int fd_;
  int64_t offset_, length_;
  int error_ = 0;
  std::string message_;
  std::string hex_;
  Napi::Promise::Deferred deferred_;
};

class CopyWorker : public Napi::AsyncWorker {
 public:
  CopyWorker(Napi::Env env, int inFd, int64_t inOffset, int outFd, int64_t outOffset, int64_t length, bool kernel)
      : Napi::AsyncWorker(env), inFd_(inFd), outFd_(outFd), inOffset_(inOffset), outOffset_(outOffset), length_(length), kernel_(kernel), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    if (kernel_) KernelCopy();
    if (error_ == 0 && copied_ < length_) UserCopy();
    // Writeback of what was copied started now, so the disk works while the transfer goes on;
    // the group commit waits for it (sync-batch.cc) and reports its errors. Best effort: a
    // failure to start it changes nothing the commit does not catch.
    if (error_ == 0 && copied_ > 0) sync_file_range(outFd_, outOffset_, copied_, SYNC_FILE_RANGE_WRITE);
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (error_ != 0) {
      deferred_.Reject(ErrnoError(env, error_, syscall_).Value());
      return;
    }
    Napi::Object r = Napi::Object::New(env);
    r.Set("copied", Napi::Number::New(env, static_cast<double>(copied_)));
    r.Set("kernel", Napi::Boolean::New(env, usedKernel_));
    deferred_.Resolve(r);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  void KernelCopy() {
    while (copied_ < length_) {
      loff_t in = inOffset_ + copied_;
      loff_t out = outOffset_ + copied_;
      const ssize_t n = copy_file_range(inFd_, &in, outFd_, &out, static_cast<size_t>(length_ - copied_), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        // Not possible here: the copy goes on through user space.
        if (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL) return;
        error_ = errno;
        syscall_ = "copy_file_range";
        return;
      }
      if (n == 0) return;  // the input's end, or a filesystem that copies nothing: the read path tells which
      copied_ += n;
      usedKernel_ = true;
    }
  }

  void UserCopy() {
    std::vector<uint8_t> buffer(static_cast<size_t>(std::min<int64_t>(kReadBytes, length_ - copied_)));
    while (copied_ < length_) {
      const int64_t want = std::min<int64_t>(static_cast<int64_t>(buffer.size()), length_ - copied_);
      const int64_t r = ReadFully(inFd_, buffer.data(), want, inOffset_ + copied_, &error_);
      if (r < 0) {
        syscall_ = "read";
        return;
      }
      if (r == 0) return;  // the input ended
      for (int64_t written = 0; written < r;) {
        const ssize_t w = pwrite(outFd_, buffer.data() + written, static_cast<size_t>(r - written), static_cast<off_t>(outOffset_ + copied_ + written));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
          error_ = w == 0 ? ENOSPC : errno;
          syscall_ = "write";
          return;
        }
        written += w;
      }
      copied_ += r;
    }
  }

  int inFd_, outFd_;
  int64_t inOffset_, outOffset_, length_;
  bool kernel_;
  int64_t copied_ = 0;
  bool usedKernel_ = false;
  int error_ = 0;
  const char* syscall_ = "";
  Napi::Promise::Deferred deferred_;
};

}  // namespace

Napi::Value BlockSums(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int fd = FdArg(info, 0, "The file descriptor");
  const int64_t basisSize = IntArg(info, 1, "The basis size");
  const int64_t blockSize = IntArg(info, 2, "The block size");
  const int64_t from = IntArg(info, 3, "The first block");
  const int64_t n = IntArg(info, 4, "The block count");
  if (blockSize < 1 || blockSize > kMaxBlock) throw Napi::RangeError::New(env, "Block size " + std::to_string(blockSize) + " is out of range");
  const int64_t count = (basisSize + blockSize - 1) / blockSize;
  if (from + n > count) throw Napi::RangeError::New(env, "Sums of blocks " + std::to_string(from) + ".." + std::to_string(from + n) + " asked, the basis has " + std::to_string(count));
  return Start(new SumsWorker(env, fd, basisSize, blockSize, from, n));
}

Napi::Value CopyFileRange(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int inFd = FdArg(info, 0, "The input file descriptor");
  const int64_t inOffset = IntArg(info, 1, "The input offset");
  const int outFd = FdArg(info, 2, "The output file descriptor");
  const int64_t outOffset = IntArg(info, 3, "The output offset");
  const int64_t length = IntArg(info, 4, "The length");
  const bool kernel = info.Length() < 6 || info[5].ToBoolean().Value();
  return Start(new CopyWorker(env, inFd, inOffset, outFd, outOffset, length, kernel));
}

Napi::Value Sha256File(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int fd = FdArg(info, 0, "The file descriptor");
  const int64_t offset = IntArg(info, 1, "The offset");
  const int64_t length = IntArg(info, 2, "The length");
  return Start(new HashWorker(env, fd, offset, length));
}
