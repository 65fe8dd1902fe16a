// syncDataBatch(fds, close) → Promise<(string | null)[]>: the data of many files written so that the
// next fsync(2) of a directory on the same filesystem makes it durable, at the cost of one
// journal commit for the whole batch instead of one per file. Used by the replica's group
// commit (src/replicate/batch-commit.ts), which renames the files and then fsyncs their
// directories; a change is acknowledged only after that.
//
// On a worker thread, writeback of every file is started (sync_file_range(2)
// SYNC_FILE_RANGE_WRITE, which on ext4 and xfs also allocates delayed blocks), then waited for
// (WAIT_BEFORE | WRITE | WAIT_AFTER; a writeback error such as EIO or ENOSPC is reported here,
// per file). Then:
//   - on ext4 and xfs, nothing more: every block allocation and size update of the batch is now
//     in a journal transaction (log sequence) no later than the one the renames go into, the
//     journal commits in order, and its commit record is written with a cache flush
//     (REQ_PREFLUSH), which makes the data already written durable too. So the directory fsync
//     after the renames commits data, metadata and names together, and no crash can leave a
//     renamed file without its data. (fdatasync of a file whose transaction is already
//     committed would still flush the disk cache: one flush per file is what this saves.)
//   - on tmpfs, nothing to make durable;
//   - on any other filesystem, fsync(2) of each file as well (no such ordering assumed; fsync,
//     not fdatasync: the temporary's owner, mode, times and attributes, set before this job,
//     are acknowledged with its content, and fdatasync may leave them unwritten).
// Each entry of the result is null or the errno name of the failure. Afterwards the fds whose
// entry in `close` (an array of booleans, optional) is true are closed (those of writeNewFile;
// an fd that a Node FileHandle owns is closed by it).
//
// `renames` (optional, one entry per fd: null or [temporary path, final path] as Buffers): after
// the data of that file is written, rename(2) it into place in the same job, saving a thread-pool
// trip per file. A failed rename leaves the temporary and its entry is "rename:" + the errno
// name; the caller then installs that one itself (a directory in the way, for instance).
#include "sync-batch.h"

#include <fcntl.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "errno-error.h"

namespace {

constexpr long kExt4Magic = 0xEF53;
constexpr long kXfsMagic = 0x58465342;
constexpr long kTmpfsMagic = 0x01021994;

bool JournalOrdersData(int fd) {
  struct statfs fs;
  if (fstatfs(fd, &fs) != 0) return false;
  return fs.f_type == kExt4Magic || fs.f_type == kXfsMagic || fs.f_type == kTmpfsMagic;
}

class SyncWorker : public Napi::AsyncWorker {
 public:
  SyncWorker(Napi::Env env, std::vector<int> fds, std::vector<bool> close, std::vector<std::pair<std::string, std::string>> renames)
      : Napi::AsyncWorker(env),
        fds_(std::move(fds)),
        close_(std::move(close)),
        renames_(std::move(renames)),
        errors_(fds_.size(), 0),
        renameFailed_(fds_.size(), false),
        deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    for (int fd : fds_) sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    for (size_t i = 0; i < fds_.size(); i++) {
      if (sync_file_range(fds_[i], 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) != 0) errors_[i] = errno;
    }
    for (size_t i = 0; i < fds_.size(); i++) {
      if (errors_[i] == 0 && !JournalOrdersData(fds_[i]) && fsync(fds_[i]) != 0) errors_[i] = errno;
    }
    for (size_t i = 0; i < fds_.size(); i++) {
      if (close_[i]) close(fds_[i]);
    }
    for (size_t i = 0; i < renames_.size() && i < fds_.size(); i++) {
      if (errors_[i] != 0 || renames_[i].first.empty()) continue;
      if (rename(renames_[i].first.c_str(), renames_[i].second.c_str()) != 0) {
        errors_[i] = errno;
        renameFailed_[i] = true;
      }
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::Array result = Napi::Array::New(env, errors_.size());
    for (size_t i = 0; i < errors_.size(); i++) {
      if (errors_[i] == 0) result.Set(static_cast<uint32_t>(i), env.Null());
      else result.Set(static_cast<uint32_t>(i), Napi::String::New(env, std::string(renameFailed_[i] ? "rename:" : "") + ErrnoName(errors_[i])));
    }
    deferred_.Resolve(result);
  }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  std::vector<int> fds_;
  std::vector<bool> close_;
  std::vector<std::pair<std::string, std::string>> renames_;
  std::vector<int> errors_;
  std::vector<bool> renameFailed_;
  Napi::Promise::Deferred deferred_;
};

}  // namespace

Napi::Value SyncDataBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) throw Napi::TypeError::New(env, "syncDataBatch takes an array of file descriptors");
  Napi::Array list = info[0].As<Napi::Array>();
  std::vector<int> fds;
  fds.reserve(list.Length());
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value v = list.Get(i);
    if (!v.IsNumber()) throw Napi::TypeError::New(env, "Every file descriptor must be a number");
    const int64_t fd = v.As<Napi::Number>().Int64Value();
    if (fd < 0 || fd > 0x7fffffff) throw Napi::RangeError::New(env, "A file descriptor is out of range");
    fds.push_back(static_cast<int>(fd));
  }
  std::vector<bool> close(fds.size(), false);
  if (info.Length() > 1 && info[1].IsArray()) {
    Napi::Array flags = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i < flags.Length() && i < close.size(); i++) close[i] = flags.Get(i).ToBoolean().Value();
  }
  std::vector<std::pair<std::string, std::string>> renames;
  if (info.Length() > 2 && info[2].IsArray()) {
    Napi::Array list = info[2].As<Napi::Array>();
    renames.resize(fds.size());
    for (uint32_t i = 0; i < list.Length() && i < fds.size(); i++) {
      Napi::Value v = list.Get(i);
      if (!v.IsArray()) continue;
      Napi::Array pair = v.As<Napi::Array>();
      Napi::Value from = pair.Get(0u), to = pair.Get(1u);
      if (!from.IsBuffer() || !to.IsBuffer()) throw Napi::TypeError::New(env, "A rename must be two Buffers");
      auto a = from.As<Napi::Buffer<char>>(), b = to.As<Napi::Buffer<char>>();
      std::string f(a.Data(), a.Length()), t(b.Data(), b.Length());
      if (f.empty() || t.empty() || f.find('\0') != std::string::npos || t.find('\0') != std::string::npos) throw Napi::TypeError::New(env, "A rename path must be non-empty without NUL");
      renames[i] = {std::move(f), std::move(t)};
    }
  }
  auto* worker = new SyncWorker(env, std::move(fds), std::move(close), std::move(renames));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}
