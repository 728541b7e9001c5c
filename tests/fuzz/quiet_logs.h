// Fuzz targets feed mostly invalid input, and the code under test logs an
// error for each one: the log then costs more than the fuzzing (one target's
// reached 828 MB in 36 min). Only fatal lines stay; a crash still reports.
// Protobuf logs through its own handler (a parse of a string field with
// invalid UTF-8 logs an error), which is silenced too.
#pragma once

#include <glog/logging.h>
#include <google/protobuf/stubs/logging.h>

namespace zabkeeper::fuzz {

inline void QuietLogs() {
  static const bool quiet = [] {
    FLAGS_minloglevel = google::GLOG_FATAL;
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)quiet;
}

}  // namespace zabkeeper::fuzz
