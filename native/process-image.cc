#include "process-image.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "errno-error.h"

namespace {

std::vector<std::string> StringArray(const Napi::Env& env, const Napi::Value& value, const char* what) {
  if (!value.IsArray()) throw Napi::TypeError::New(env, std::string(what) + " must be an array of strings");
  const Napi::Array array = value.As<Napi::Array>();
  std::vector<std::string> strings;
  for (uint32_t i = 0; i < array.Length(); i++) {
    const Napi::Value item = array.Get(i);
    if (!item.IsString()) throw Napi::TypeError::New(env, std::string(what) + " must be an array of strings");
    strings.push_back(item.As<Napi::String>().Utf8Value());
  }
  return strings;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

// exec(file, argv, env): execve(2). Returns only by throwing (with the errno) when it failed.
// The pid stays the same, so a supervisor (systemd's MAINPID, a pid file) keeps the process.
// Node opens its descriptors close-on-exec, stdin/stdout/stderr included: those three are passed
// on (as Node's own process.execve does), nothing else.
Napi::Value Exec(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "The file must be a string");
  const std::string file = info[0].As<Napi::String>().Utf8Value();
  std::vector<std::string> args = StringArray(env, info[1], "argv");
  std::vector<std::string> vars = StringArray(env, info[2], "env");
  std::vector<char*> argv = Pointers(args);
  std::vector<char*> envp = Pointers(vars);
  for (int fd = 0; fd <= 2; fd++) {
    const int flags = fcntl(fd, F_GETFD);
    if (flags != -1) fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
  }
  execve(file.c_str(), argv.data(), envp.data());
  const int error = errno;
  for (int fd = 0; fd <= 2; fd++) {
    const int flags = fcntl(fd, F_GETFD);
    if (flags != -1) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
  }
  throw ErrnoError(env, error, "execve", "'" + file + "'");
}

// releaseFilePages(): drops from this process's page tables the pages of read-only, private file
// mappings (the node binary's code and read-only data, shared libraries, the addon) that hold no
// page of their own (no copy-on-write page: nothing but the file's content), with
// madvise(MADV_DONTNEED). The kernel keeps them in its page cache; a page used again is mapped
// again by a minor fault. Start-up touches most of node's 27 MB of code once (and the kernel maps
// 64 KB around each fault); the resident set keeps all of it until this call. Returns the kB
// released (the resident size of the mappings before the call).
Napi::Value ReleaseFilePages(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  FILE* smaps = fopen("/proc/self/smaps", "re");
  if (smaps == nullptr) throw ErrnoError(env, errno, "open", "/proc/self/smaps");
  struct Mapping {
    unsigned long start, end;
    bool candidate;
    long rssKb, anonKb;
  };
  std::vector<Mapping> mappings;
  char line[4096];
  while (fgets(line, sizeof line, smaps) != nullptr) {
    unsigned long start, end;
    char perms[8];
    int pathStart = 0;
    if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &start, &end, perms, &pathStart) == 3 && pathStart > 0) {
      // A mapping's header line: "start-end perms offset dev inode   path".
      const bool readOnlyPrivate = perms[0] == 'r' && perms[1] == '-' && perms[3] == 'p';
      mappings.push_back({start, end, readOnlyPrivate && line[pathStart] == '/', -1, -1});
      continue;
    }
    if (mappings.empty()) continue;
    long kb;
    if (sscanf(line, "Rss: %ld kB", &kb) == 1) mappings.back().rssKb = kb;
    else if (sscanf(line, "Anonymous: %ld kB", &kb) == 1) mappings.back().anonKb = kb;
  }
  fclose(smaps);
  long releasedKb = 0;
  for (const Mapping& m : mappings) {
    // Anonymous pages in a file mapping are copies the process changed (relocations under
    // RELRO): dropping them would bring the file's bytes back. Such mappings are left alone.
    if (!m.candidate || m.anonKb != 0 || m.rssKb <= 0) continue;
    if (madvise(reinterpret_cast<void*>(m.start), m.end - m.start, MADV_DONTNEED) == 0) releasedKb += m.rssKb;
  }
  return Napi::Number::New(env, static_cast<double>(releasedKb));
}
