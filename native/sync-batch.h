// Durable data for a batch of files with one journal commit (file replication's batched apply).
#pragma once

#include <napi.h>

Napi::Value SyncDataBatch(const Napi::CallbackInfo& info);
