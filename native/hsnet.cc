// hsnet: the smallest native piece hotstandby needs — sockets Node cannot open itself
// (raw IP, AF_PACKET, AF_NETLINK) with libuv readiness, a timer finer than libuv's, process exit
// through pidfds, inotify for file replication, the kernel's constants, nanosecond file times
// Poly1305 and the chunker's loop (backups) and the replica's delta-transfer file work.
#include <napi.h>
#include <net/if.h>

#include <cerrno>

#include "bulk-io.h"
#include "chunk-scan.h"
#include "constants.h"
#include "delta-io.h"
#include "direct-write.h"
#include "errno-error.h"
#include "file-cache.h"
#include "file-times.h"
#include "hash-files.h"
#include "xattr.h"
#include "poly1305.h"
#include "inotify.h"
#include "pid-watch.h"
#include "precise-timer.h"
#include "process-image.h"
#include "small-files.h"
#include "scan-dir.h"
#include "socket.h"
#include "sync-batch.h"

namespace {

Napi::Value IfNameToIndex(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "The interface name must be a string");
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  const unsigned index = if_nametoindex(name.c_str());
  if (index == 0) throw ErrnoError(info.Env(), errno == 0 ? ENODEV : errno, "if_nametoindex", "'" + name + "'");
  return Napi::Number::New(info.Env(), index);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Socket", Socket::Define(env));
  exports.Set("PreciseTimer", PreciseTimer::Define(env));
  exports.Set("PidWatch", PidWatch::Define(env));
  exports.Set("Inotify", Inotify::Define(env));
  exports.Set("ifNameToIndex", Napi::Function::New<IfNameToIndex>(env, "ifNameToIndex"));
  exports.Set("setFileTimes", Napi::Function::New<SetFileTimes>(env, "setFileTimes"));
  exports.Set("readSmallFile", Napi::Function::New<ReadSmallFile>(env, "readSmallFile"));
  exports.Set("writeNewFile", Napi::Function::New<WriteNewFile>(env, "writeNewFile"));
  exports.Set("blockSums", Napi::Function::New<BlockSums>(env, "blockSums"));
  exports.Set("sha256File", Napi::Function::New<Sha256File>(env, "sha256File"));
  exports.Set("copyFileRange", Napi::Function::New<CopyFileRange>(env, "copyFileRange"));
  exports.Set("writeDirect", Napi::Function::New<WriteDirect>(env, "writeDirect"));
  exports.Set("bulkSend", Napi::Function::New<BulkSend>(env, "bulkSend"));
  exports.Set("bulkReceive", Napi::Function::New<BulkReceive>(env, "bulkReceive"));
  exports.Set("bulkShutdown", Napi::Function::New<BulkShutdown>(env, "bulkShutdown"));
  exports.Set("scanDirectory", Napi::Function::New<ScanDirectory>(env, "scanDirectory"));
  exports.Set("hashFiles", Napi::Function::New<HashFiles>(env, "hashFiles"));
  // syncDataBatch takes a third argument (renames in the same job): JS built with this addon may use it.
  exports.Set("syncDataBatchRenames", Napi::Boolean::New(env, true));
  exports.Set("syncDataBatch", Napi::Function::New<SyncDataBatch>(env, "syncDataBatch"));
  exports.Set("listXattrs", Napi::Function::New<ListXattrs>(env, "listXattrs"));
  exports.Set("setXattr", Napi::Function::New<SetXattr>(env, "setXattr"));
  exports.Set("removeXattr", Napi::Function::New<RemoveXattr>(env, "removeXattr"));
  exports.Set("poly1305", Napi::Function::New<Poly1305>(env, "poly1305"));
  exports.Set("Poly1305Context", Poly1305Context::Define(env));
  exports.Set("chunkScan", Napi::Function::New<ChunkScan>(env, "chunkScan"));
  exports.Set("exec", Napi::Function::New<Exec>(env, "exec"));
  exports.Set("dropFileCache", Napi::Function::New<DropFileCache>(env, "dropFileCache"));
  exports.Set("releaseFilePages", Napi::Function::New<ReleaseFilePages>(env, "releaseFilePages"));
  Napi::Object constants = KernelConstants(env);
  constants.Freeze();
  exports.Set("constants", constants);
  return exports;
}

}  // namespace

NODE_API_MODULE(hsnet, Init)
