// List-append operations for zkchaos workers (the model of list_append.h).
//
// A list is the children of /lists/<key>: appending element E creates the
// sequential child "e<E>-" (ZooKeeper appends a 10-digit counter), so the
// list's order is the order the appends committed in. One append op is a
// multi creating one child in each of 1-2 lists, atomically. A read op is a
// sync followed by a multiRead of getChildren on 1-3 lists; its invoke is
// taken before the sync, so it reflects the tree at one point inside
// [invoke, complete] (ZooKeeper reads are only sequentially consistent
// without the sync, which list_append.h's real-time edges would flag).
#ifndef ZABKEEPER_TESTS_CHAOS_LIST_OPS_H_
#define ZABKEEPER_TESTS_CHAOS_LIST_OPS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "client/zk_client.h"
#include "tests/chaos/history.h"

namespace zabkeeper::chaos {

std::string ListName(int index);               // "l2"
std::string ListPath(const std::string& key);  // "/lists/l2"

// The list in a getChildren answer: elements ordered by sequence number;
// nullopt if a child's name is not "e<element>-<seq>".
std::optional<std::vector<int64_t>> ParseList(const std::vector<std::string>& children);

// Appends elements[i] to lists[i] in one multi; always returns the op
// (ok, fail on a definite error, else indeterminate).
Operation AppendLists(zk::ZkClient& client, int process, const std::vector<int>& lists,
                      const std::vector<int64_t>& elements, int timeout_ms);

// sync + multiRead of `lists`; nullopt when the read did not complete ok (a
// read that failed observed nothing and is not recorded).
std::optional<Operation> ReadLists(zk::ZkClient& client, int process, const std::vector<int>& lists,
                                   int timeout_ms);

}  // namespace zabkeeper::chaos

#endif  // ZABKEEPER_TESTS_CHAOS_LIST_OPS_H_
