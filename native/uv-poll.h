// Stopping a uv_poll handle the addon's classes own: libuv frees it in its close callback, after
// the owner may be gone, so the owner only forgets it (and its data pointer back to the owner).
#pragma once

#include <uv.h>

inline void ClosePoll(uv_poll_t*& poll) {
  if (poll == nullptr) return;
  uv_poll_stop(poll);
  poll->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(poll), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  poll = nullptr;
}
