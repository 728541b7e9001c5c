#include "tests/chaos/ephemeral_ops.h"

#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/chaos/client_call.h"

namespace zabkeeper::chaos {
namespace {

constexpr int kOwnerSessionTimeoutMs = 1500;
constexpr int kCallTimeoutMs = 2000;

}  // namespace

std::string EphemeralPath(int slot) { return absl::StrCat("/eph/e", slot); }

std::optional<std::string> ObserveEphemeral(zk::ZkClient& client, int slot, int timeout_ms) {
  const Time invoke = Now();
  auto synced = StatusCallWithin(
      timeout_ms, [&](zk::StatusCallback cb) { client.SyncAsync("/eph", std::move(cb)); });
  if (!synced || !synced->ok()) return std::nullopt;
  auto r = CallWithin<std::optional<zk::Stat>>(
      timeout_ms, [&](zk::Callback<std::optional<zk::Stat>> cb) {
        client.ExistsAsync(EphemeralPath(slot), nullptr, std::move(cb));
      });
  if (!r || !r->ok()) return std::nullopt;
  return absl::StrCat("eobs\t", slot, "\t", invoke, "\t", Now(), "\t", (*r)->has_value() ? 1 : 0);
}

int RunEphemeralOwner(const WorkerConfig& config) {
  std::ofstream out(config.out);
  std::mt19937_64 rng(config.seed);
  const Time end = Now() + config.run_duration;
  for (int slot = 0; slot < config.ops && Now() < end; ++slot) {
    zk::ClientOptions options;
    options.connect_string = config.connect;
    options.session_timeout = absl::Milliseconds(kOwnerSessionTimeoutMs);
    auto created_client = zk::ZkClient::Create(options);
    if (!created_client.ok()) return 1;
    std::unique_ptr<zk::ZkClient> client = std::move(*created_client);
    if (!client->WaitConnected(absl::Seconds(3)).ok()) continue;
    auto r = CallWithin<zk::CreateResult>(kCallTimeoutMs, [&](zk::Callback<zk::CreateResult> cb) {
      client->CreateAsync(EphemeralPath(slot), "", zk::CreateOptions::Mode(zk::proto::EPHEMERAL),
                          std::move(cb));
    });
    // Not acknowledged: the node may exist or not; no record, so its
    // observations are not judged.
    if (!r || !r->ok()) continue;
    const Time created = Now();
    Time last_alive = created;
    const Time hold_end = created + (1000 + static_cast<Time>(rng() % 2000)) * 1'000'000;
    while (Now() < hold_end) {
      const Time invoke = Now();
      auto alive = CallWithin<std::optional<zk::Stat>>(
          kCallTimeoutMs, [&](zk::Callback<std::optional<zk::Stat>> cb) {
            client->ExistsAsync("/eph", nullptr, std::move(cb));
          });
      if (alive && alive->ok()) last_alive = invoke;
      std::this_thread::sleep_for(std::chrono::milliseconds(150));
    }
    const SessionId session = client->session_id();
    std::string closed = "-";
    const int64_t timeout_ns = absl::ToInt64Nanoseconds(client->negotiated_timeout());
    if (rng() % 2 == 0) {
      if (client->Close(absl::Seconds(2)).ok()) closed = absl::StrCat(Now());
    }
    client.reset();  // abandoned: no more pings, the session expires
    out << "erec\t" << session << "\t" << slot << "\t" << created << "\t" << last_alive << "\t"
        << closed << "\t" << timeout_ns << "\n";
    out.flush();
  }
  return out ? 0 : 1;
}

std::vector<EphemeralRecord> ReadEphemerals(const std::string& owner_file,
                                            const std::vector<std::string>& observer_files) {
  std::map<int, EphemeralRecord> by_slot;
  std::ifstream owner(owner_file);
  std::string line;
  while (std::getline(owner, line)) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    EphemeralRecord r;
    int slot = 0;
    if (f.size() != 7 || f[0] != "erec" || !absl::SimpleAtoi(f[1], &r.session) ||
        !absl::SimpleAtoi(f[2], &slot) || !absl::SimpleAtoi(f[3], &r.created) ||
        !absl::SimpleAtoi(f[4], &r.last_alive) || !absl::SimpleAtoi(f[6], &r.session_timeout)) {
      continue;
    }
    Time closed = 0;
    if (f[5] != "-" && absl::SimpleAtoi(f[5], &closed)) r.closed = closed;
    r.path = EphemeralPath(slot);
    by_slot[slot] = std::move(r);
  }
  for (const std::string& file : observer_files) {
    std::ifstream in(file);
    while (std::getline(in, line)) {
      std::vector<std::string> f = absl::StrSplit(line, '\t');
      int slot = 0, present = 0;
      EphemeralObservation o;
      if (f.size() != 5 || f[0] != "eobs" || !absl::SimpleAtoi(f[1], &slot) ||
          !absl::SimpleAtoi(f[2], &o.invoke) || !absl::SimpleAtoi(f[3], &o.complete) ||
          !absl::SimpleAtoi(f[4], &present)) {
        continue;
      }
      o.present = present != 0;
      auto it = by_slot.find(slot);
      if (it != by_slot.end()) it->second.observations.push_back(o);
    }
  }
  std::vector<EphemeralRecord> records;
  for (auto& [slot, r] : by_slot) records.push_back(std::move(r));
  return records;
}

}  // namespace zabkeeper::chaos
