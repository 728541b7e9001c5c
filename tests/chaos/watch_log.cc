#include "tests/chaos/watch_log.h"

#include <fstream>
#include <map>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace zabkeeper::chaos {
namespace {

const char* KindName(WatchDelivery::Kind kind) {
  switch (kind) {
    case WatchDelivery::Kind::kReply:
      return "reply";
    case WatchDelivery::Kind::kWatchSet:
      return "set";
    case WatchDelivery::Kind::kEvent:
      return "event";
  }
  return "?";
}

}  // namespace

bool WatchLog::TryArm(SessionId session, const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_.insert({session, key}).second;
}

void WatchLog::Disarm(SessionId session, const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_.erase({session, key});
}

void WatchLog::Reply(SessionId session, Zxid zxid) {
  Add({session, false, {WatchDelivery::Kind::kReply, "", zxid, {}}});
}

void WatchLog::WatchSet(SessionId session, const std::string& key, Zxid data_zxid) {
  Add({session, false, {WatchDelivery::Kind::kWatchSet, key, data_zxid, data_zxid}});
}

void WatchLog::Event(SessionId session, const std::string& key, Zxid zxid) {
  Add({session, false, {WatchDelivery::Kind::kEvent, key, zxid, {}}});
  Disarm(session, key);
}

void WatchLog::Reconnect(SessionId session) { Add({session, true, {}}); }

void WatchLog::Add(Entry e) {
  std::lock_guard<std::mutex> lock(mu_);
  log_.push_back(std::move(e));
}

std::vector<std::string> WatchLog::Lines() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> lines;
  for (const Entry& e : log_) {
    const WatchDelivery& d = e.delivery;
    lines.push_back(
        absl::StrCat("wlog\t", e.session, "\t", e.reconnect ? "reconnect" : KindName(d.kind), "\t",
                     d.key.empty() ? "-" : d.key, "\t", d.zxid.raw(), "\t", d.data_zxid.raw()));
  }
  return lines;
}

int ReadWatchLog(const std::string& path, std::vector<SessionDeliveries>& sessions) {
  std::ifstream in(path);
  std::string line;
  // Per session: the log so far, the index of each pending watch set, and
  // the keys whose watch crossed a reconnect (their event is dropped).
  struct Pending {
    std::map<std::string, size_t> sets;
    std::set<std::string> crossed;
  };
  std::map<SessionId, Pending> pending;
  std::map<SessionId, std::vector<std::optional<WatchDelivery>>> logs;
  std::vector<SessionId> order;
  int dropped = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    SessionId session = 0;
    uint64_t zxid = 0, data_zxid = 0;
    if (f.size() != 6 || f[0] != "wlog" || !absl::SimpleAtoi(f[1], &session) ||
        !absl::SimpleAtoi(f[4], &zxid) || !absl::SimpleAtoi(f[5], &data_zxid)) {
      continue;
    }
    if (!logs.contains(session)) order.push_back(session);
    std::vector<std::optional<WatchDelivery>>& log = logs[session];
    Pending& p = pending[session];
    const std::string key = f[3] == "-" ? "" : f[3];
    if (f[2] == "reconnect") {
      for (const auto& [k, index] : p.sets) {
        log[index].reset();
        p.crossed.insert(k);
        ++dropped;
      }
      p.sets.clear();
      continue;
    }
    WatchDelivery d;
    if (f[2] == "reply") {
      d.kind = WatchDelivery::Kind::kReply;
    } else if (f[2] == "set") {
      d.kind = WatchDelivery::Kind::kWatchSet;
      p.sets[key] = log.size();
    } else if (f[2] == "event") {
      d.kind = WatchDelivery::Kind::kEvent;
      p.sets.erase(key);
      if (p.crossed.erase(key) > 0) continue;
    } else {
      continue;
    }
    d.key = key;
    d.zxid = Zxid::FromRaw(zxid);
    d.data_zxid = Zxid::FromRaw(data_zxid);
    log.push_back(std::move(d));
  }
  for (SessionId session : order) {
    SessionDeliveries out{session, {}};
    for (std::optional<WatchDelivery>& d : logs[session]) {
      if (d) out.log.push_back(std::move(*d));
    }
    sessions.push_back(std::move(out));
  }
  return dropped;
}

}  // namespace zabkeeper::chaos
