// List-append checker for multi transactions (after Elle, Kingsbury & Alvaro).
//
// Workload: each kMulti appends one unique element to one or more lists (a
// list is a znode's data) and/or reads whole lists. Elements are unique per
// history, so a read names exactly which appends it saw and in which order.
//
// Guarantees: CheckListAppend reports
//   kDuplicateAppend    an element appears twice in one read;
//   kGarbageRead        a read holds an element no multi appended to that key;
//   kAbortedRead        a read holds an element of a multi that failed;
//   kIncompatibleOrder  a read is not a prefix of the longest read of its key
//                       (appends reordered or a read from a diverged state);
//   kLostAppend         an acknowledged append is missing from the longest
//                       read of its key although that read began after the
//                       append completed;
//   kCycle              the dependency graph has a cycle: nodes are multis
//                       (ok ones, and indeterminate ones a read proves took
//                       effect), edges are ww (list order), wr (a read saw the
//                       last element it returns), rw (a read missed the next
//                       element) and rt (one completed before the other was
//                       invoked). Any cycle means no serial order agrees with
//                       the reads and real time: strict serializability is
//                       violated. The report names it as Elle does (G0: ww
//                       only; G1c: ww/wr; G-single: one rw; G2: more rw;
//                       "+realtime" when it needs an rt edge) and prints the
//                       shortest cycle found through the component.
//
// The longest read of each key stands for the final state, so a run should end
// with a read of every key after heal. Real-time edges are built from a
// frontier of recently completed multis (as Elle does), so their number is
// O(multis x concurrency) rather than quadratic.
#ifndef ZABKEEPER_TESTS_CHAOS_LIST_APPEND_H_
#define ZABKEEPER_TESTS_CHAOS_LIST_APPEND_H_

#include "tests/chaos/history.h"

namespace zabkeeper::chaos {

// Checks the kMulti ops of `history`; other kinds are ignored.
CheckResult CheckListAppend(const History& history);

}  // namespace zabkeeper::chaos

#endif  // ZABKEEPER_TESTS_CHAOS_LIST_APPEND_H_
