// syncDataBatch(fds, close, renames, dirs) → Promise<(string | null)[]>: the data of many files written so that the
// next fsync(2) of a directory on the same filesystem makes it durable, at the cost of one
// journal commit for the whole batch instead of one per file. Used by the replica's group
// commit (src/replicate/batch-commit.ts), which renames the files and then fsyncs their
// directories; a change is acknowledged only after that.
//
// On a worker thread, first the filesystem of each file is found (fstatfs(2) once per directory of
// the batch: `dirs`, optional, one Buffer per fd naming its directory; without it the directory of
// its rename's temporary; failing both, fstatfs of that fd). Then by filesystem:
//   - tmpfs: nothing at all. Its pages are the file; there is no disk to write to or to wait for,
//     so sync_file_range and fsync would be syscalls that do nothing.
//   - ext4 and xfs: writeback of the data is started and waited for with sync_file_range(2), and
//     nothing more: every block allocation and size update of the batch is then in a journal
//     transaction (log sequence) no later than the one the renames go into, the journal commits
//     in order, and its commit record is written with a cache flush (REQ_PREFLUSH), which makes
//     the data already written durable too. So the directory fsync after the renames commits
//     data, metadata and names together, and no crash can leave a renamed file without its data.
//     (fdatasync of a file whose transaction is already committed would still flush the disk
//     cache: one flush per file is what this saves.) Why sync_file_range is needed there, and
//     twice when the batch has more than one such file:
//       1. SYNC_FILE_RANGE_WRITE on every file first: with delayed allocation the blocks of a
//          just-written file are not even allocated, so a journal commit would not carry them
//          (data=ordered orders only allocated blocks: a crash after the rename's commit could
//          leave the file empty). This call allocates them and submits the writes, of all files
//          before waiting for any, so the device gets the whole batch at once and merges it
//          instead of one write and one wait per file.
//       2. SYNC_FILE_RANGE_WAIT_BEFORE | WRITE | WAIT_AFTER on each: waits until its data is on
//          the device (the commit record's flush then makes it durable) and reports a writeback
//          error (EIO, ENOSPC) for that file alone, before its rename, so no failed file is
//          renamed into place. Its WRITE covers pages dirtied since call 1.
//     A batch with one such file makes only call 2 (it does what 1 and 2 do together).
//     ext4 without a journal (mkfs.ext4 -O ^has_journal, ext2 through the ext4 driver; the same
//     f_type) has no commit to order anything: the renamed file's inode (size, block map) would be
//     written by no one, so it takes the path below. The kernel names the journal's thread in
//     /sys/fs/ext4/<device>/journal_task, "<none>" without one; unreadable counts as none.
//   - any other filesystem: call 1 (when more than one file), then fsync(2) of each file (no
//     ordering of its journal assumed; fsync, not fdatasync: the temporary's owner, mode, times
//     and attributes, set before this job, are acknowledged with its content, and fdatasync may
//     leave them unwritten). fsync waits for the writeback itself, so call 2 is not made.
// Each entry of the result is null or the errno name of the failure. Afterwards the fds whose
// entry in `close` (an array of booleans, optional) is true are closed (those of writeNewFile;
// an fd that a Node FileHandle owns is closed by it).
//
// `renames` (optional, one entry per fd: null or [temporary path, final path] as Buffers): after
// the data of that file is written, rename(2) it into place in the same job, saving a thread-pool
// trip per file. A failed rename leaves the temporary and its entry is "rename:" + the errno
// name; the caller then installs that one itself (a directory in the way, for instance).
//
// Syscalls per file of a batch on ext4: 2 sync_file_range, close, rename (1 sync_file_range for a
// batch of one), plus one fstatfs per directory; on tmpfs: close, rename.
#include "sync-batch.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "errno-error.h"

namespace {

constexpr long kExt4Magic = 0xEF53;
constexpr long kXfsMagic = 0x58465342;
constexpr long kTmpfsMagic = 0x01021994;

enum class FsKind { kNothingToSync, kJournalOrdersData, kOther };

// Whether the ext4 filesystem on `dev` has a journal (see the top of this file).
bool Ext4HasJournal(dev_t dev) {
  char link[64];
  snprintf(link, sizeof link, "/sys/dev/block/%u:%u", major(dev), minor(dev));
  char target[PATH_MAX];
  const ssize_t n = readlink(link, target, sizeof target - 1);
  if (n <= 0) return false;
  target[n] = '\0';
  const char* slash = strrchr(target, '/');
  const std::string path = std::string("/sys/fs/ext4/") + (slash != nullptr ? slash + 1 : target) + "/journal_task";
  FILE* file = fopen(path.c_str(), "re");
  if (file == nullptr) return false;
  char text[32] = {0};
  const size_t got = fread(text, 1, sizeof text - 1, file);
  fclose(file);
  return got > 0 && strncmp(text, "<none>", 6) != 0;
}

// Cached per filesystem: device and f_fsid (from ext4's UUID), so a loop device reused for
// another image is asked again.
bool Ext4HasJournalCached(dev_t dev, const fsid_t& fsid) {
  static std::mutex mutex;
  static std::unordered_map<std::string, bool> known;
  std::string key(reinterpret_cast<const char*>(&dev), sizeof dev);
  key.append(reinterpret_cast<const char*>(&fsid), sizeof fsid);
  {
    std::lock_guard<std::mutex> lock(mutex);
    const auto found = known.find(key);
    if (found != known.end()) return found->second;
  }
  const bool journal = Ext4HasJournal(dev);
  std::lock_guard<std::mutex> lock(mutex);
  known.emplace(std::move(key), journal);
  return journal;
}

FsKind KindOf(int fd) {
  struct statfs fs;
  if (fstatfs(fd, &fs) != 0) return FsKind::kOther;  // fsync decides (and reports)
  if (fs.f_type == kTmpfsMagic) return FsKind::kNothingToSync;
  if (fs.f_type == kXfsMagic) return FsKind::kJournalOrdersData;
  if (fs.f_type == kExt4Magic) {
    struct stat st;
    if (fstat(fd, &st) != 0) return FsKind::kOther;
    return Ext4HasJournalCached(st.st_dev, fs.f_fsid) ? FsKind::kJournalOrdersData : FsKind::kOther;
  }
  return FsKind::kOther;
}

std::string DirOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

class SyncWorker : public Napi::AsyncWorker {
 public:
  SyncWorker(Napi::Env env, std::vector<int> fds, std::vector<bool> close, std::vector<std::pair<std::string, std::string>> renames,
             std::vector<std::string> dirs)
      : Napi::AsyncWorker(env),
        fds_(std::move(fds)),
        close_(std::move(close)),
        renames_(std::move(renames)),
        dirs_(std::move(dirs)),
        errors_(fds_.size(), 0),
        renameFailed_(fds_.size(), false),
        deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    const size_t n = fds_.size();
    std::vector<FsKind> kinds(n);
    std::unordered_map<std::string, FsKind> byDir;
    size_t toWrite = 0;
    for (size_t i = 0; i < n; i++) {
      std::string dir;
      if (i < dirs_.size() && !dirs_[i].empty()) dir = dirs_[i];
      else if (i < renames_.size() && !renames_[i].first.empty()) dir = DirOf(renames_[i].first);
      if (dir.empty()) {
        kinds[i] = KindOf(fds_[i]);
      } else {
        auto found = byDir.find(dir);
        kinds[i] = found != byDir.end() ? found->second : byDir.emplace(dir, KindOf(fds_[i])).first->second;
      }
      if (kinds[i] != FsKind::kNothingToSync) toWrite++;
    }
    // Call 1 (header): all writes submitted before any is waited for.
    if (toWrite > 1) {
      for (size_t i = 0; i < n; i++) {
        if (kinds[i] != FsKind::kNothingToSync) sync_file_range(fds_[i], 0, 0, SYNC_FILE_RANGE_WRITE);
      }
    }
    for (size_t i = 0; i < n; i++) {
      if (kinds[i] == FsKind::kJournalOrdersData) {
        // Call 2: on the device, or this file's writeback error.
        if (sync_file_range(fds_[i], 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) != 0) errors_[i] = errno;
      } else if (kinds[i] == FsKind::kOther) {
        if (fsync(fds_[i]) != 0) errors_[i] = errno;
      }
    }
    for (size_t i = 0; i < n; i++) {
      if (close_[i]) close(fds_[i]);
    }
    for (size_t i = 0; i < renames_.size() && i < n; i++) {
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
  std::vector<std::string> dirs_;
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
  std::vector<std::string> dirs;
  if (info.Length() > 3 && info[3].IsArray()) {
    Napi::Array list = info[3].As<Napi::Array>();
    dirs.resize(fds.size());
    for (uint32_t i = 0; i < list.Length() && i < fds.size(); i++) {
      Napi::Value v = list.Get(i);
      if (v.IsNull() || v.IsUndefined()) continue;
      if (!v.IsBuffer()) throw Napi::TypeError::New(env, "A directory must be a Buffer or null");
      auto b = v.As<Napi::Buffer<char>>();
      dirs[i].assign(b.Data(), b.Length());
      if (dirs[i].find('\0') != std::string::npos) throw Napi::TypeError::New(env, "A directory path must not contain NUL");
    }
  }
  auto* worker = new SyncWorker(env, std::move(fds), std::move(close), std::move(renames), std::move(dirs));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}
