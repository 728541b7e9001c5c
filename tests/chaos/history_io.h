// History files: how zkchaos workers hand their operations to the harness.
//
// A worker process records its operations and writes them, one per line, to
// a file the harness reads back and merges into one History. The format is a
// lossless, tab-separated encoding of Operation (history.h), so a saved
// history can be re-checked exactly; FormatOp is the human-readable form
// written next to it for failing runs.
//
//   op <process> <session> <kind> <key> <value> <expected> <version> <zxid>
//      <invoke> <complete|-> <result> <micro>
//
// `micro` is "-" or comma-separated "a:<key>:<element>" / "r:<key>:<e1>|<e2>".
// Keys never contain tabs, commas, colons or '|' (the harness picks them).
#ifndef ZABKEEPER_TESTS_CHAOS_HISTORY_IO_H_
#define ZABKEEPER_TESTS_CHAOS_HISTORY_IO_H_

#include <optional>
#include <string>

#include "tests/chaos/history.h"

namespace zabkeeper::chaos {

std::string EncodeOp(const Operation& op);
// nullopt for a line that is not a well-formed "op" line.
std::optional<Operation> DecodeOp(const std::string& line);

// Appends every "op" line of `path` to `history`; returns how many were read,
// or -1 if the file cannot be opened.
int ReadHistoryFile(const std::string& path, History& history);

}  // namespace zabkeeper::chaos

#endif  // ZABKEEPER_TESTS_CHAOS_HISTORY_IO_H_
