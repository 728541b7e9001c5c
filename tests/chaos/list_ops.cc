#include "tests/chaos/list_ops.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/errors.h"
#include "tests/chaos/client_call.h"
#include "tests/chaos/worker.h"

namespace zabkeeper::chaos {

std::string ListName(int index) { return absl::StrCat("l", index); }
std::string ListPath(const std::string& key) { return "/lists/" + key; }

std::optional<std::vector<int64_t>> ParseList(const std::vector<std::string>& children) {
  std::vector<std::pair<int64_t, int64_t>> seq_element;
  for (const std::string& name : children) {
    const size_t dash = name.rfind('-');
    int64_t element = 0, seq = 0;
    if (name.empty() || name[0] != 'e' || dash == std::string::npos ||
        !absl::SimpleAtoi(name.substr(1, dash - 1), &element) ||
        !absl::SimpleAtoi(name.substr(dash + 1), &seq)) {
      return std::nullopt;
    }
    seq_element.push_back({seq, element});
  }
  std::sort(seq_element.begin(), seq_element.end());
  std::vector<int64_t> list;
  for (const auto& [seq, element] : seq_element) list.push_back(element);
  return list;
}

Operation AppendLists(zk::ZkClient& client, int process, const std::vector<int>& lists,
                      const std::vector<int64_t>& elements, int timeout_ms) {
  Operation op;
  op.process = process;
  op.session = client.session_id();
  op.kind = OpKind::kMulti;
  zk::Multi multi = client.NewMulti();
  for (size_t i = 0; i < lists.size(); ++i) {
    MicroOp m;
    m.kind = MicroOp::Kind::kAppend;
    m.key = ListName(lists[i]);
    m.element = elements[i];
    multi.Create(absl::StrCat(ListPath(m.key), "/e", m.element, "-"), "",
                 zk::CreateOptions::Mode(zk::proto::PERSISTENT_SEQUENTIAL));
    op.micro.push_back(std::move(m));
  }
  op.invoke = Now();
  auto r = CallWithin<std::vector<zk::OpResult>>(
      timeout_ms, [&](zk::Callback<std::vector<zk::OpResult>> cb) { multi.CommitAsync(cb); });
  if (!r) return op;  // timed out: indeterminate
  if (r->ok()) {
    const bool all_ok = std::all_of((*r)->begin(), (*r)->end(),
                                    [](const zk::OpResult& o) { return o.err == zk::proto::OK; });
    op.complete = Now();
    op.result = all_ok ? OpResult::kOk : OpResult::kFail;
    return op;
  }
  // Only answers that prove the multi was rejected are failures; connection
  // loss, expiry and timeouts leave it indeterminate.
  const zk::proto::ErrorCode code = zk::ErrorCodeOf(r->status());
  if (code == zk::proto::NO_NODE || code == zk::proto::NODE_EXISTS ||
      code == zk::proto::BAD_ARGUMENTS) {
    op.complete = Now();
    op.result = OpResult::kFail;
  }
  return op;
}

std::optional<Operation> ReadLists(zk::ZkClient& client, int process, const std::vector<int>& lists,
                                   int timeout_ms) {
  Operation op;
  op.process = process;
  op.session = client.session_id();
  op.kind = OpKind::kMulti;
  op.invoke = Now();
  auto synced = StatusCallWithin(
      timeout_ms, [&](zk::StatusCallback cb) { client.SyncAsync("/lists", std::move(cb)); });
  if (!synced || !synced->ok()) return std::nullopt;
  zk::MultiRead reads;
  for (int l : lists) reads.GetChildren(ListPath(ListName(l)));
  auto r = CallWithin<std::vector<zk::ReadResult>>(
      timeout_ms, [&](zk::Callback<std::vector<zk::ReadResult>> cb) {
        client.MultiReadAsync(reads, std::move(cb));
      });
  if (!r || !r->ok() || (*r)->size() != lists.size()) return std::nullopt;
  for (size_t i = 0; i < lists.size(); ++i) {
    const zk::ReadResult& rr = (**r)[i];
    if (rr.err != zk::proto::OK || !rr.children) return std::nullopt;
    std::optional<std::vector<int64_t>> list = ParseList(rr.children->children);
    if (!list) return std::nullopt;
    MicroOp m;
    m.kind = MicroOp::Kind::kRead;
    m.key = ListName(lists[i]);
    m.list = std::move(*list);
    op.micro.push_back(std::move(m));
  }
  op.complete = Now();
  op.result = OpResult::kOk;
  return op;
}

}  // namespace zabkeeper::chaos
