// hashFiles(dirPath, names, limit) → Promise<Buffer>
//   `names`: a Buffer of entries of the directory, each a u32 big-endian length and the name's
//   bytes. In one thread-pool job, for each name: openat(O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
//   O_CLOEXEC) relative to the directory (a symlink fails with ELOOP, a fifo does not block),
//   fstat; a regular file of at most `limit` bytes is read whole (one byte more is asked for, so
//   growth shows), fstat-ed again and hashed with SHA-256 (the OpenSSL inside the node process).
//   One record per name, in order, integers big-endian:
//     i32 status | u64 size | u64 ino | u64 dev | i64 mtime ns | i64 ctime ns | 32 bytes SHA-256
//   status 0: hashed, and the stat fields are the file's before the read, unchanged after it;
//   -1: not hashed here (not a regular file, over the limit, or its size, mtime, ctime or inode
//   moved while it was read: the caller hashes it its own way); > 0: the errno of the open or the
//   read (ENOENT: gone since the scan). Rejects only when the directory cannot be opened or the
//   arguments are malformed.
//
// hashFiles(dirPath, names, limit, into) → Promise<number>: the same records written at the start
//   of the Buffer `into`, followed by the bytes of every file with status 0, end to end in record
//   order (each `size` long); resolves the bytes of `into` used. A file whose bytes no longer fit
//   gets status -1. The caller must not touch `into` until the promise settles. A backup of many
//   small files stores them as read and hashed here: one job per batch of a directory's files
//   instead of one per file, the SHA-256 (the blob's id) off the main thread, and no new memory
//   per batch (the caller reuses its buffers).
#include "hash-files.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "errno-error.h"
#include "int-arg.h"
#include "path-arg.h"

namespace {

constexpr size_t kRecordBytes = 4 + 5 * 8 + 32;

void Put(uint8_t* at, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; i++) at[i] = static_cast<uint8_t>(v >> (8 * (bytes - 1 - i)));
}

int64_t Ns(const timespec& t) { return static_cast<int64_t>(t.tv_sec) * 1000000000LL + t.tv_nsec; }

bool SameVersion(const struct stat& a, const struct stat& b) {
  return a.st_ino == b.st_ino && a.st_dev == b.st_dev && a.st_size == b.st_size && Ns(a.st_mtim) == Ns(b.st_mtim) && Ns(a.st_ctim) == Ns(b.st_ctim);
}

class HashWorker : public Napi::AsyncWorker {
 public:
  HashWorker(Napi::Env env, std::string dir, std::vector<std::string> names, int64_t limit)
      : Napi::AsyncWorker(env), dir_(std::move(dir)), names_(std::move(names)), limit_(limit), deferred_(Napi::Promise::Deferred::New(env)) {}
  HashWorker(Napi::Env env, std::string dir, std::vector<std::string> names, int64_t limit, Napi::Buffer<uint8_t> into)
      : Napi::AsyncWorker(env),
        dir_(std::move(dir)),
        names_(std::move(names)),
        limit_(limit),
        into_(Napi::Persistent(into)),
        into_bytes_(into.Data()),
        into_length_(into.Length()),
        deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    const int dirFd = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirFd < 0) {
      error_ = errno;
      return;
    }
    if (into_bytes_ != nullptr) {
      std::memset(into_bytes_, 0, names_.size() * kRecordBytes);
      used_ = names_.size() * kRecordBytes;
    } else {
      out_.assign(names_.size() * kRecordBytes, 0);
    }
    std::vector<uint8_t> buffer(static_cast<size_t>(limit_) + 1);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const EVP_MD* sha256 = EVP_sha256();
    uint8_t* const records = into_bytes_ != nullptr ? into_bytes_ : out_.data();
    for (size_t i = 0; i < names_.size(); i++) HashOne(dirFd, names_[i], records + i * kRecordBytes, buffer, ctx, sha256);
    EVP_MD_CTX_free(ctx);
    close(dirFd);
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (error_ != 0) deferred_.Reject(ErrnoError(env, error_, "open", "'" + dir_ + "'").Value());
    else if (into_bytes_ != nullptr) deferred_.Resolve(Napi::Number::New(env, static_cast<double>(used_)));
    else deferred_.Resolve(Napi::Buffer<uint8_t>::Copy(env, out_.data(), out_.size()));
  }

 private:
  void HashOne(int dirFd, const std::string& name, uint8_t* record, std::vector<uint8_t>& buffer, EVP_MD_CTX* ctx, const EVP_MD* sha256) {
    const auto status = [record](int32_t s) { Put(record, static_cast<uint32_t>(s), 4); };
    const int fd = openat(dirFd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return status(errno);
    struct stat before;
    struct stat after;
    if (fstat(fd, &before) != 0) {
      status(errno);
      close(fd);
      return;
    }
    if (!S_ISREG(before.st_mode) || before.st_size > limit_) {
      status(-1);
      close(fd);
      return;
    }
    size_t got = 0;
    int readError = 0;
    while (got < buffer.size()) {
      const ssize_t r = read(fd, buffer.data() + got, buffer.size() - got);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {
        readError = errno;
        break;
      }
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    const int statError = fstat(fd, &after) != 0 ? errno : 0;
    close(fd);
    if (readError != 0 || statError != 0) return status(readError != 0 ? readError : statError);
    if (!SameVersion(before, after) || got != static_cast<size_t>(before.st_size)) return status(-1);
    unsigned int length = 0;
    if (ctx == nullptr || sha256 == nullptr || EVP_DigestInit_ex(ctx, sha256, nullptr) != 1 || EVP_DigestUpdate(ctx, buffer.data(), got) != 1 ||
        EVP_DigestFinal_ex(ctx, record + 44, &length) != 1 || length != 32) {
      return status(-1);  // no usable OpenSSL here: the caller hashes it
    }
    if (into_bytes_ != nullptr) {
      if (got > into_length_ - used_) return status(-1);  // no room left: the caller reads it its own way
      std::memcpy(into_bytes_ + used_, buffer.data(), got);
      used_ += got;
    }
    status(0);
    Put(record + 4, static_cast<uint64_t>(before.st_size), 8);
    Put(record + 12, static_cast<uint64_t>(before.st_ino), 8);
    Put(record + 20, static_cast<uint64_t>(before.st_dev), 8);
    Put(record + 28, static_cast<uint64_t>(Ns(before.st_mtim)), 8);
    Put(record + 36, static_cast<uint64_t>(Ns(before.st_ctim)), 8);
  }

  std::string dir_;
  std::vector<std::string> names_;
  int64_t limit_;
  Napi::Reference<Napi::Buffer<uint8_t>> into_;
  uint8_t* into_bytes_ = nullptr;
  size_t into_length_ = 0;
  size_t used_ = 0;
  std::vector<uint8_t> out_;
  int error_ = 0;
  Napi::Promise::Deferred deferred_;
};

}  // namespace

Napi::Value HashFiles(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string dir = PathArg(info, 0);
  if (!info[1].IsBuffer()) throw Napi::TypeError::New(env, "The names must be a Buffer");
  const auto packed = info[1].As<Napi::Buffer<uint8_t>>();
  const int64_t limit = IntArg(info, 2, "The size limit", 0, 64 * 1024 * 1024);
  std::vector<std::string> names;
  for (size_t o = 0; o < packed.Length();) {
    if (packed.Length() - o < 4) throw Napi::RangeError::New(env, "The names end inside a length at byte " + std::to_string(o));
    const uint8_t* p = packed.Data() + o;
    const size_t length = (static_cast<size_t>(p[0]) << 24) | (static_cast<size_t>(p[1]) << 16) | (static_cast<size_t>(p[2]) << 8) | p[3];
    if (length == 0 || length > packed.Length() - o - 4) throw Napi::RangeError::New(env, "The name at byte " + std::to_string(o) + " has a bad length " + std::to_string(length));
    std::string name(reinterpret_cast<const char*>(p + 4), length);
    if (name.find('/') != std::string::npos || name.find('\0') != std::string::npos || name == "." || name == "..") {
      throw Napi::RangeError::New(env, "The name at byte " + std::to_string(o) + " is not a single directory entry");
    }
    names.push_back(std::move(name));
    o += 4 + length;
  }
  HashWorker* worker;
  if (info.Length() > 3 && !info[3].IsUndefined()) {
    if (!info[3].IsBuffer()) throw Napi::TypeError::New(env, "The buffer to read into must be a Buffer");
    auto into = info[3].As<Napi::Buffer<uint8_t>>();
    if (into.Length() < names.size() * kRecordBytes) throw Napi::RangeError::New(env, "The buffer to read into cannot hold the records");
    worker = new HashWorker(env, std::move(dir), std::move(names), limit, into);
  } else {
    worker = new HashWorker(env, std::move(dir), std::move(names), limit);
  }
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}
