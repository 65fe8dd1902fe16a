// readSmallFile(path, limit) → Promise<SmallFileRead>
//   open(O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) (a symlink fails with ELOOP, a fifo does
//   not block), fstat; a regular file of at most `limit` bytes is read whole (one byte more is
//   asked for, so growth shows) and fstat-ed again; then closed. Resolves
//   { type: 'file' | 'dir' | 'other', mode, uid, gid, size, ino, dev, mtimeNs, ctimeNs (decimal strings; nlink a number;
//   for the 64-bit ones), data?: Buffer (a file within the limit), changed?: true (its size, mtime,
//   ctime or inode moved while it was read) }; rejects with an errno Error (ENOENT, ELOOP, EACCES).
//
// readSmallFile(path, limit, into) → the same, but a file within the limit is read into the
//   Buffer `into` (longer than `limit`; the caller must not touch it until the promise settles)
//   and the result has `length` (the bytes read) instead of `data`: a backup of many small files
//   then reuses a few buffers instead of leaving one per file for the garbage collector.
//
// writeNewFile(path, data, mode, uid, gid, mtimeSec, mtimeNsec) → Promise<fd>
//   open(O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, create mode), write all of data, owner and group
//   made uid / gid (when uid >= 0) and then the mode made `mode` with as few syscalls as the case
//   allows (below), futimens (atime = mtime). The fd stays open for the group commit
//   (syncDataBatch). On failure the file is closed and removed.
//
//   Syscalls: a file owned by the replica's own user and group (uid < 0, or uid / gid = the
//   effective ones) costs open, write, fstat, futimens, plus fchown / fchmod only for what the
//   fstat shows differs (issue 12: ~10 → 8 per file with the batch's sync, rename and close). A
//   file of another owner or group costs open, write, fchown, fchmod, futimens as before: the
//   fchown is certain and so is the fchmod (the create mode lacked the group bits, below), so no
//   fstat is spent.
//
//   The create mode is `mode` with what the create must not grant yet removed:
//   - set-uid and set-gid always: until fchown gives the file its owner and group it is owned by
//     this process (root), and a set-uid-root temporary holding another user's program could be
//     run by anyone in that window. They are set by the fchmod after the fchown (chown(2) clears
//     them, so owner before mode).
//   - the group bits when the group will be wrong: the create gives the process's effective group
//     (or the parent's group if the parent directory is set-gid), and whoever opens the file in
//     that window keeps the access after fchown. They are withheld unless `gid` is the effective
//     group; a set-gid parent whose group is not `gid` is seen by the fstat and fixed by fchown,
//     its group having had the bits for that window (it is normally the group that may write the
//     directory, i.e. replace the file anyway).
//   The umask (and a default ACL of the directory) may clear bits of the create mode: the fstat
//   shows the mode really given, and fchmod runs only if it is not `mode`.
#include "small-files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "errno-error.h"
#include "path-arg.h"

namespace {

int64_t IntArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a number");
  return info[i].As<Napi::Number>().Int64Value();
}

std::string Ns(const timespec& t) { return std::to_string(static_cast<int64_t>(t.tv_sec) * 1000000000LL + t.tv_nsec); }

bool SameStamp(const struct stat& a, const struct stat& b) {
  return a.st_size == b.st_size && a.st_ino == b.st_ino && a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec &&
         a.st_ctim.tv_sec == b.st_ctim.tv_sec && a.st_ctim.tv_nsec == b.st_ctim.tv_nsec;
}

class ReadWorker : public Napi::AsyncWorker {
 public:
  ReadWorker(Napi::Env env, std::string path, int64_t limit)
      : Napi::AsyncWorker(env), path_(std::move(path)), limit_(limit), deferred_(Napi::Promise::Deferred::New(env)) {}
  ReadWorker(Napi::Env env, std::string path, int64_t limit, Napi::Buffer<char> into)
      : Napi::AsyncWorker(env),
        path_(std::move(path)),
        limit_(limit),
        into_(Napi::Persistent(into)),
        into_bytes_(into.Data()),
        into_length_(into.Length()),
        deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    const int fd = open(path_.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      error_ = errno;
      syscall_ = "open";
      return;
    }
    if (fstat(fd, &before_) != 0) {
      error_ = errno;
      syscall_ = "fstat";
    } else if (S_ISREG(before_.st_mode) && before_.st_size <= limit_) {
      // One byte more than fstat's size is asked for, so that growth shows.
      const size_t want = static_cast<size_t>(before_.st_size) + 1;
      if (into_bytes_ == nullptr) data_.resize(want);
      char* const buf = into_bytes_ != nullptr ? into_bytes_ : data_.data();
      const size_t room = into_bytes_ != nullptr ? std::min(want, into_length_) : want;
      size_t got = 0;
      for (;;) {
        const ssize_t n = pread(fd, buf + got, room - got, static_cast<off_t>(got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          error_ = errno;
          syscall_ = "read";
          break;
        }
        if (n == 0) break;
        got += static_cast<size_t>(n);
        if (got == room) break;
      }
      if (into_bytes_ == nullptr) data_.resize(got);
      length_ = got;
      struct stat after;
      if (error_ == 0) {
        if (fstat(fd, &after) != 0) {
          error_ = errno;
          syscall_ = "fstat";
        } else {
          changed_ = !SameStamp(before_, after) || got != static_cast<size_t>(before_.st_size);
        }
      }
      read_ = true;
    }
    close(fd);
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (error_ != 0) {
      deferred_.Reject(ErrnoError(env, error_, syscall_, "'" + path_ + "'").Value());
      return;
    }
    Napi::Object r = Napi::Object::New(env);
    r.Set("type", S_ISREG(before_.st_mode) ? "file" : S_ISDIR(before_.st_mode) ? "dir" : "other");
    r.Set("mode", Napi::Number::New(env, before_.st_mode));
    r.Set("uid", Napi::Number::New(env, before_.st_uid));
    r.Set("gid", Napi::Number::New(env, before_.st_gid));
    r.Set("size", std::to_string(static_cast<int64_t>(before_.st_size)));
    r.Set("ino", std::to_string(static_cast<uint64_t>(before_.st_ino)));
    r.Set("dev", std::to_string(static_cast<uint64_t>(before_.st_dev)));
    r.Set("nlink", Napi::Number::New(env, static_cast<double>(before_.st_nlink)));
    r.Set("mtimeNs", Ns(before_.st_mtim));
    r.Set("ctimeNs", Ns(before_.st_ctim));
    if (read_ && into_bytes_ != nullptr) r.Set("length", Napi::Number::New(env, static_cast<double>(length_)));
    else if (read_) r.Set("data", Napi::Buffer<char>::Copy(env, data_.data(), data_.size()));
    if (changed_) r.Set("changed", true);
    deferred_.Resolve(r);
  }

 private:
  std::string path_;
  int64_t limit_;
  struct stat before_ {};
  std::vector<char> data_;
  Napi::Reference<Napi::Buffer<char>> into_;
  char* into_bytes_ = nullptr;
  size_t into_length_ = 0;
  size_t length_ = 0;
  bool read_ = false;
  bool changed_ = false;
  int error_ = 0;
  const char* syscall_ = "";
  Napi::Promise::Deferred deferred_;
};

class WriteWorker : public Napi::AsyncWorker {
 public:
  WriteWorker(Napi::Env env, std::string path, Napi::Buffer<char> data, mode_t mode, int64_t uid, int64_t gid, timespec mtime)
      : Napi::AsyncWorker(env),
        path_(std::move(path)),
        ref_(Napi::Persistent(data)),
        bytes_(data.Data()),
        length_(data.Length()),
        mode_(mode),
        uid_(uid),
        gid_(gid),
        mtime_(mtime),
        deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, CreateMode());
    if (fd_ < 0) return Fail("open");
    size_t done = 0;
    while (done < length_) {
      const ssize_t n = write(fd_, bytes_ + done, length_ - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Fail("write");
      done += static_cast<size_t>(n);
    }
    if (OwnerKnownToDiffer()) {
      // The create gave this process's owner and group: fchown certainly, and fchmod (the
      // create mode lacked bits); no fstat needed to know either.
      if (fchown(fd_, static_cast<uid_t>(uid_), static_cast<gid_t>(gid_)) != 0) return Fail("fchown");
      if (fchmod(fd_, mode_) != 0) return Fail("fchmod");
    } else {
      // Owner and group wanted are the process's: only a set-gid parent (group), the umask or a
      // default ACL (mode) can have made them differ. fstat says; fix only what differs, owner
      // before mode (chown(2) clears set-uid, and set-gid when group-executable).
      struct stat st;
      if (fstat(fd_, &st) != 0) return Fail("fstat");
      mode_t given = st.st_mode & 07777;
      if (uid_ >= 0 && (st.st_uid != static_cast<uid_t>(uid_) || st.st_gid != static_cast<gid_t>(gid_))) {
        if (fchown(fd_, static_cast<uid_t>(uid_), static_cast<gid_t>(gid_)) != 0) return Fail("fchown");
        given &= ~static_cast<mode_t>(S_ISUID | ((given & S_IXGRP) != 0 ? S_ISGID : 0));
      }
      if (given != mode_ && fchmod(fd_, mode_) != 0) return Fail("fchmod");
    }
    const timespec times[2] = {mtime_, mtime_};
    if (futimens(fd_, times) != 0) return Fail("futimens");
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (error_ != 0) deferred_.Reject(ErrnoError(env, error_, syscall_, "'" + path_ + "'").Value());
    else deferred_.Resolve(Napi::Number::New(env, fd_));
  }

 private:
  // The mode to create with (see the header comment): no set-uid / set-gid, no group bits unless
  // the create's group is already the one wanted.
  mode_t CreateMode() const {
    mode_t m = mode_ & ~static_cast<mode_t>(S_ISUID | S_ISGID);
    if (uid_ >= 0 && static_cast<gid_t>(gid_) != EffectiveIds().second) m &= ~static_cast<mode_t>(S_IRWXG);
    return m;
  }

  // Owner or group wanted is not this process's effective one (so not what the create gives).
  bool OwnerKnownToDiffer() const {
    return uid_ >= 0 && (static_cast<uid_t>(uid_) != EffectiveIds().first || static_cast<gid_t>(gid_) != EffectiveIds().second);
  }

  // geteuid / getegid are real syscalls (3 a file if asked each time): asked once. The replica
  // never changes its ids; if a process did, a stale answer would cost an fchown / fchmod or an
  // fstat more, never a wrong owner or mode (only the group bits' window described above).
  static const std::pair<uid_t, gid_t>& EffectiveIds() {
    static const std::pair<uid_t, gid_t> ids{geteuid(), getegid()};
    return ids;
  }

  void Fail(const char* syscall) {
    error_ = errno;
    syscall_ = syscall;
    if (fd_ >= 0) {
      close(fd_);
      unlink(path_.c_str());
      fd_ = -1;
    }
  }

  std::string path_;
  Napi::Reference<Napi::Buffer<char>> ref_;
  const char* bytes_;
  size_t length_;
  mode_t mode_;
  int64_t uid_, gid_;
  timespec mtime_;
  int fd_ = -1;
  int error_ = 0;
  const char* syscall_ = "";
  Napi::Promise::Deferred deferred_;
};

}  // namespace

Napi::Value ReadSmallFile(const Napi::CallbackInfo& info) {
  std::string path = PathArg(info, 0);
  const int64_t limit = IntArg(info, 1, "limit");
  ReadWorker* worker;
  if (info.Length() > 2 && !info[2].IsUndefined()) {
    if (!info[2].IsBuffer()) throw Napi::TypeError::New(info.Env(), "The buffer to read into must be a Buffer");
    auto into = info[2].As<Napi::Buffer<char>>();
    if (limit < 0 || static_cast<uint64_t>(limit) >= into.Length()) throw Napi::RangeError::New(info.Env(), "The buffer to read into must be longer than the limit");
    worker = new ReadWorker(info.Env(), std::move(path), limit, into);
  } else {
    worker = new ReadWorker(info.Env(), std::move(path), limit);
  }
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value WriteNewFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = PathArg(info, 0);
  if (!info[1].IsBuffer()) throw Napi::TypeError::New(env, "The data must be a Buffer");
  const int64_t mode = IntArg(info, 2, "mode");
  const int64_t uid = IntArg(info, 3, "uid");
  const int64_t gid = IntArg(info, 4, "gid");
  timespec mtime{};
  mtime.tv_sec = IntArg(info, 5, "mtimeSec");
  mtime.tv_nsec = IntArg(info, 6, "mtimeNsec");
  if (mtime.tv_nsec < 0 || mtime.tv_nsec > 999999999) throw Napi::RangeError::New(env, "The nanoseconds must be in 0..999999999");
  auto* worker = new WriteWorker(env, std::move(path), info[1].As<Napi::Buffer<char>>(), static_cast<mode_t>(mode & 07777), uid, gid, mtime);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}
