// scanDirectory(path) → Promise<Buffer>
//   opendir, then fstatat(AT_SYMLINK_NOFOLLOW) of every entry but "." and "..", on a worker
//   thread. One record per entry that still exists (one that vanished between readdir and
//   fstatat is left out), all integers big-endian:
//     u32 name length | name bytes | u32 st_mode | u32 uid | u32 gid |
//     u64 size | u64 ino | u64 dev | u64 nlink | i64 mtime ns | i64 ctime ns
//   (nlink: hard-linked files carry their group's leader in the digests, link-index.ts)
//   Rejects with an errno Error when the directory cannot be opened or read (ENOENT, ENOTDIR,
//   EACCES); an entry that cannot be stat-ed for another reason than ENOENT rejects too.
#include "scan-dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "errno-error.h"
#include "path-arg.h"

namespace {

void Put32(std::vector<char>& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>((v >> s) & 0xff));
}

void Put64(std::vector<char>& out, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<char>((v >> s) & 0xff));
}

int64_t Ns(const timespec& t) { return static_cast<int64_t>(t.tv_sec) * 1000000000LL + t.tv_nsec; }

class ScanWorker : public Napi::AsyncWorker {
 public:
  ScanWorker(Napi::Env env, std::string path) : Napi::AsyncWorker(env), path_(std::move(path)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    const int fd = open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Fail("opendir");
    DIR* dir = fdopendir(fd);
    if (dir == nullptr) {
      Fail("fdopendir");
      close(fd);
      return;
    }
    for (;;) {
      errno = 0;
      const dirent* entry = readdir(dir);
      if (entry == nullptr) {
        if (errno != 0) Fail("readdir");
        break;
      }
      const char* name = entry->d_name;
      if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0) continue;
      struct stat st;
      if (fstatat(dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;
        Fail("lstat");
        break;
      }
      const size_t length = std::strlen(name);
      Put32(out_, static_cast<uint32_t>(length));
      out_.insert(out_.end(), name, name + length);
      Put32(out_, st.st_mode);
      Put32(out_, st.st_uid);
      Put32(out_, st.st_gid);
      Put64(out_, static_cast<uint64_t>(st.st_size));
      Put64(out_, static_cast<uint64_t>(st.st_ino));
      Put64(out_, static_cast<uint64_t>(st.st_dev));
      Put64(out_, static_cast<uint64_t>(st.st_nlink));
      Put64(out_, static_cast<uint64_t>(Ns(st.st_mtim)));
      Put64(out_, static_cast<uint64_t>(Ns(st.st_ctim)));
    }
    closedir(dir);
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (error_ != 0) deferred_.Reject(ErrnoError(env, error_, syscall_, "'" + path_ + "'").Value());
    else deferred_.Resolve(Napi::Buffer<char>::Copy(env, out_.data(), out_.size()));
  }

 private:
  void Fail(const char* syscall) {
    if (error_ != 0) return;
    error_ = errno;
    syscall_ = syscall;
  }

  std::string path_;
  std::vector<char> out_;
  int error_ = 0;
  const char* syscall_ = "";
  Napi::Promise::Deferred deferred_;
};

}  // namespace

Napi::Value ScanDirectory(const Napi::CallbackInfo& info) {
  std::string path = PathArg(info, 0);
  auto* worker = new ScanWorker(info.Env(), std::move(path));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}
