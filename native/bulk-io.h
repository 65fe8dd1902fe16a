// Sealed bulk records between the source and the replica (bulk-io.cc).
#pragma once

#include <napi.h>

Napi::Value BulkSend(const Napi::CallbackInfo& info);
Napi::Value BulkReceive(const Napi::CallbackInfo& info);
Napi::Value BulkShutdown(const Napi::CallbackInfo& info);
