{
  "targets": [
    {
      "target_name": "hsnet",
      "sources": [
        "native/hsnet.cc",
        "native/socket.cc",
        "native/precise-timer.cc",
        "native/pid-watch.cc",
        "native/process-image.cc",
        "native/constants.cc",
        "native/errno-error.cc",
        "native/inotify.cc",
        "native/file-times.cc",
        "native/xattr.cc",
        "native/path-arg.cc",
        "native/poly1305.cc",
        "native/chunk-scan.cc",
        "native/sync-batch.cc",
        "native/small-files.cc",
        "native/scan-dir.cc",
        "native/hash-files.cc",
        "native/delta-io.cc",
        "native/direct-write.cc",
        "native/file-cache.cc",
        "native/int-arg.cc",
        "native/bulk-io.cc"
      ],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"
      ],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter", "-D_FORTIFY_SOURCE=2", "-fstack-protector-strong"],
      "ldflags": ["-Wl,-z,relro", "-Wl,-z,now"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
