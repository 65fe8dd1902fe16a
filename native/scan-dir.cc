// scanDirectory(path, details = false) → Promise<Buffer>
//   opendir, then fstatat(AT_SYMLINK_NOFOLLOW) of every entry but "." and "..", on a worker
//   thread. One record per entry that still exists (one that vanished between readdir and
//   fstatat is left out), all integers big-endian:
//     u32 name length | name bytes | u32 st_mode | u32 uid | u32 gid |
//     u64 size | u64 ino | u64 dev | u64 nlink | i64 mtime ns | i64 ctime ns
//   (nlink: hard-linked files carry their group's leader in the digests, link-index.ts)
//   With `details` (a backup's node, src/backup/scan-nodes.ts), each record goes on with
//     u64 rdev | i64 atime ns | u32 target length | symlink target bytes (0 for others) |
//     u32 xattr count | per xattr: u32 name length | name | u32 value length | value
//   (xattrs as restic 0.14 reads them, in llistxattr's order, none for sockets); an entry gone
//   before its readlink or llistxattr is left out too.
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
#include "xattr.h"

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
  ScanWorker(Napi::Env env, std::string path, bool details)
      : Napi::AsyncWorker(env), path_(std::move(path)), details_(details), deferred_(Napi::Promise::Deferred::New(env)) {}
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
      if (details_ && !PutDetails(dirfd(dir), name, st, out_.size() - RecordLength(length))) break;
    }
    closedir(dir);
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (error_ != 0) {
      deferred_.Reject(ErrnoError(env, error_, syscall_.c_str(), detail_).Value());
      return;
    }
    // Handed over without a copy: a directory of 100,000 entries is megabytes.
    auto* bytes = new std::vector<char>(std::move(out_));
    deferred_.Resolve(Napi::Buffer<char>::New(env, bytes->data(), bytes->size(), [](Napi::Env, char*, std::vector<char>* held) { delete held; }, bytes));
  }

 private:
  static size_t RecordLength(size_t nameLength) { return 4 + nameLength + 60; }

  void Fail(const char* syscall) { FailAt(syscall, errno, "'" + path_ + "'"); }

  // The first failure is kept; `detail` names the path (and the attribute), for ErrnoError.
  void FailAt(const std::string& syscall, int error, const std::string& detail) {
    if (error_ != 0) return;
    error_ = error;
    syscall_ = syscall;
    detail_ = detail;
  }

  // The `details` part of an entry's record; false after a failure. An entry gone meanwhile
  // (ENOENT) is taken out again from `recordStart` on, and the scan goes on.
  bool PutDetails(int dirFd, const char* name, const struct stat& st, size_t recordStart) {
    Put64(out_, static_cast<uint64_t>(st.st_rdev));
    Put64(out_, static_cast<uint64_t>(Ns(st.st_atim)));
    std::string target;
    if (S_ISLNK(st.st_mode)) {
      target.resize(st.st_size > 0 ? static_cast<size_t>(st.st_size) + 1 : 256);
      for (;;) {
        const ssize_t n = readlinkat(dirFd, name, target.data(), target.size());
        if (n < 0) {
          if (errno == ENOENT) return Drop(recordStart);
          FailAt("readlink", errno, "'" + path_ + "/" + name + "'");
          return false;
        }
        if (static_cast<size_t>(n) < target.size()) {
          target.resize(static_cast<size_t>(n));
          break;
        }
        target.resize(target.size() * 2);  // it grew since fstatat
      }
    }
    Put32(out_, static_cast<uint32_t>(target.size()));
    out_.insert(out_.end(), target.begin(), target.end());
    std::vector<Xattr> attrs;
    if (!S_ISSOCK(st.st_mode)) {
      XattrFailure failed;
      const std::string full = path_ + "/" + name;
      if (const int error = ReadXattrs(full, attrs, failed); error != 0) {
        if (error == ENOENT) return Drop(recordStart);
        FailAt(failed.syscall, error, failed.Detail(full));
        return false;
      }
    }
    Put32(out_, static_cast<uint32_t>(attrs.size()));
    for (const Xattr& a : attrs) {
      Put32(out_, static_cast<uint32_t>(a.name.size()));
      out_.insert(out_.end(), a.name.begin(), a.name.end());
      Put32(out_, static_cast<uint32_t>(a.value.size()));
      out_.insert(out_.end(), a.value.begin(), a.value.end());
    }
    return true;
  }

  bool Drop(size_t recordStart) {
    out_.resize(recordStart);
    return true;
  }

  std::string path_;
  bool details_;
  std::vector<char> out_;
  int error_ = 0;
  std::string syscall_;
  std::string detail_;
  Napi::Promise::Deferred deferred_;
};

}  // namespace

Napi::Value ScanDirectory(const Napi::CallbackInfo& info) {
  std::string path = PathArg(info, 0);
  const bool details = info.Length() > 1 && info[1].ToBoolean().Value();
  auto* worker = new ScanWorker(info.Env(), std::move(path), details);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}
