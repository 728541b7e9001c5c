// Four-letter words on the ZooKeeper-protocol port: a connection whose first
// four bytes spell one (ruok, srvr, stat, mntr, conf, cons, envi, wchs, dump,
// isro) gets a plain-text answer and is closed, as ZooKeeper does. Only the
// words in `4lw.commands.whitelist` (default srvr, ZooKeeper's default; `*`
// for all) are answered; the others get ZooKeeper's refusal text. The admin
// HTTP endpoint serves the same facts as JSON.
#ifndef ZABKEEPER_SERVER_ZKWIRE_FOUR_LETTER_H_
#define ZABKEEPER_SERVER_ZKWIRE_FOUR_LETTER_H_

#include <set>
#include <string>

#include "absl/strings/string_view.h"
#include "server/node_runtime.h"
#include "server/zkwire/connection_stats.h"

namespace zabkeeper::zkwire {

// True if `first4` is one of the words (allowed or not).
bool IsFourLetterWord(absl::string_view first4);

// The answer to `word`. Asks the core thread (NodeRuntime's status calls,
// bounded by their timeout): called on an event-loop thread, which waits.
std::string FourLetterReply(absl::string_view word, const std::set<std::string>& allowed,
                            server::NodeRuntime& runtime, const ConnectionRegistry& connections);

}  // namespace zabkeeper::zkwire

#endif  // ZABKEEPER_SERVER_ZKWIRE_FOUR_LETTER_H_
