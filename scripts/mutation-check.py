#!/usr/bin/env python3
"""Mutation check of the ZAB simulator: does zabsim catch known-bad cores?

Each mutant below is one realistic, one-place bug in consensus/ (most of them
bugs ZooKeeper really had). The script copies HEAD (`git archive`) to WORK/src,
configures WORK/build once, and for every mutant edits one file of that copy
(exact text replacements that must each match exactly once, or the script
stops: the code drifted and the table has to be updated), builds only
`zabsim`, runs

    zabsim --nodes 3 --seeds S --steps M --jobs 2 --stop-on-failure
    zabsim --nodes 5 --seeds S --steps M --jobs 2 --stop-on-failure

records the first failing seed and the invariant of its FAIL line, and
restores the file. The unmodified tree ("none") runs first and must have no
violation.

A mutant may name guard unit tests: the script then also builds
`zab_consensus_unit_test` with the mutant applied and checks that they fail
(they must exist and pass on the unmodified tree). A mutant the simulator
cannot reach with correct peers (it only matters once another peer already
broke the protocol) is marked `unreachable` with the argument; for it the
failing guard tests replace the simulator.

Usage:
    scripts/mutation-check.py [--work DIR] [--only M01,M07] [--seeds N]
                              [--steps N] [--out FILE] [--unit]

    --unit   only the unit-test check of the mutants with guard tests (no zabsim)

Exit status: 0 if every mutant is caught on both 3 and 5 nodes (or is
unreachable and its guard tests fail with it), 1 if one survives, 2 on a setup
error (dirty baseline, a mutant that no longer applies or compiles).
See docs/ZAB_MUTATIONS.md for the last results.
"""

import argparse
import dataclasses
import datetime
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JOBS = "2"  # the machine is shared: never build or run with more
SIM_TIMEOUT_S = 1800
UNIT_TEST_BINARY = "zab_consensus_unit_test"


@dataclasses.dataclass
class Mutant:
    id: str
    name: str
    file: str
    edits: list  # [(old, new)], each `old` must occur exactly once in `file`
    guard_tests: str = ""  # gtest filter of the unit tests that catch it, if any
    unreachable: str = ""  # why zabsim cannot reach it; then guard_tests must fail


MUTANTS = [
    Mutant(
        "M01", "commit quorum n/2", "consensus/broadcast.cc",
        [("  if (durable.size() < Quorum()) return;\n"
          "  std::nth_element(durable.begin(), durable.begin() + static_cast<std::ptrdiff_t>(Quorum() - 1),\n"
          "                   durable.end(), std::greater<Zxid>());\n"
          "  Zxid q = durable[Quorum() - 1];\n",
          "  const size_t quorum = config_.voters.size() / 2;\n"
          "  if (durable.size() < quorum) return;\n"
          "  std::nth_element(durable.begin(), durable.begin() + static_cast<std::ptrdiff_t>(quorum - 1),\n"
          "                   durable.end(), std::greater<Zxid>());\n"
          "  Zxid q = durable[quorum - 1];\n")]),
    Mutant(
        "M02", "DIFF instead of TRUNC", "consensus/sync.cc",
        [("    head.mutable_trunc()->set_zxid(common->raw());\n",
          "    head.mutable_diff()->set_zxid(common->raw());\n")]),
    Mutant(
        "M03", "NEWLEADER quorum counts syncing followers", "consensus/sync.cc",
        [("    if (h.state == HandlerState::kSynced) ++count;\n",
          "    if (h.state == HandlerState::kSynced || h.state == HandlerState::kSyncing) ++count;\n")]),
    Mutant(
        "M04", "follower ACKs a proposal on receipt, before fsync", "consensus/broadcast.cc",
        [("  AppendToLog(LogEntry{z, p.txn()});\n",
          "  AppendToLog(LogEntry{z, p.txn()});\n"
          "  if (follow_->phase == FollowerPhase::kAwaitUpToDate ||\n"
          "      follow_->phase == FollowerPhase::kBroadcast) {\n"
          "    PeerMessage ack;\n"
          "    ack.mutable_ack()->set_zxid(z.raw());\n"
          "    Send(leader_, std::move(ack));\n"
          "  }\n")]),
    Mutant(
        "M05", "ACKEPOCH before acceptedEpoch is durable", "consensus/discovery.cc",
        [("  promised_epoch_ = e;\n  ready_.persist_accepted_epoch = e;\n",
          "  promised_epoch_ = e;\n  ready_.persist_accepted_epoch = e;\n"
          "  FollowerSendAckEpoch(/*already_accepted=*/false);\n")]),
    Mutant(
        # The epoch write no longer waits for the synced log; the ACK still
        # does (FollowerOnCurrentEpochPersisted checks persisted_ itself).
        "M06", "follower writes currentEpoch before the synced log is durable",
        "consensus/sync.cc",
        [("  if (F.phase != FollowerPhase::kAwaitLogDurable || persisted_ < F.newleader_zxid) return;\n",
          "  if (F.phase != FollowerPhase::kAwaitLogDurable) {\n"
          "    FollowerOnCurrentEpochPersisted();\n"
          "    return;\n"
          "  }\n")]),
    Mutant(
        "M07", "ACK of NEWLEADER before the history is durable", "consensus/sync.cc",
        [("  if (F.phase != FollowerPhase::kAwaitLogDurable || persisted_ < F.newleader_zxid) return;\n",
          "  if (F.phase != FollowerPhase::kAwaitLogDurable) return;\n"),
         ("  if (current_epoch_ < F.new_epoch || persisted_ < F.newleader_zxid) return;\n",
          "  if (current_epoch_ < F.new_epoch) return;\n"),
         ("  m.mutable_ack()->set_zxid(persisted_.raw());\n  m.mutable_ack()->set_new_leader(true);\n",
          "  m.mutable_ack()->set_zxid(F.newleader_zxid.raw());\n  m.mutable_ack()->set_new_leader(true);\n")]),
    Mutant(
        "M08", "apply before durable", "consensus/peer.cc",
        [("  Zxid upto = std::min(committed_, persisted_);\n",
          "  Zxid upto = committed_;\n")]),
    Mutant(
        "M09", "vote compares the zxid counter without its epoch", "consensus/vote.h",
        [("  return std::tie(a.epoch, a.zxid, a.leader) > std::tie(b.epoch, b.zxid, b.leader);\n",
          "  return std::make_tuple(a.epoch, a.zxid.counter(), a.leader) >\n"
          "         std::make_tuple(b.epoch, b.zxid.counter(), b.leader);\n")]),
    Mutant(
        "M10", "vote ignores currentEpoch", "consensus/vote.h",
        [("  return std::tie(a.epoch, a.zxid, a.leader) > std::tie(b.epoch, b.zxid, b.leader);\n",
          "  return std::tie(a.zxid, a.leader) > std::tie(b.zxid, b.leader);\n")]),
    Mutant(
        "M11", "ACKEPOCH marked not counting is counted anyway", "consensus/discovery.cc",
        [("  h.epoch_ack_counts = !ack.already_accepted();\n",
          "  h.epoch_ack_counts = true;\n")],
        guard_tests="Discovery_Leader.NonCountingEpochAck_NoQuorum"),
    Mutant(
        "M12", "no abdication when a follower is ahead", "consensus/discovery.cc",
        [("  if (ahead) {\n", "  ahead = false;\n  if (ahead) {\n")],
        guard_tests="Discovery_Leader.FollowerAhead_Abdicates"),
    Mutant(
        "M13", "LEADERINFO below acceptedEpoch accepted", "consensus/discovery.cc",
        [("  if (e < Promised()) {\n"
          "    ++counters_.epoch_refusals;\n"
          "    StartLooking(\"LEADERINFO epoch below acceptedEpoch\");\n"
          "    return;\n"
          "  }\n", "")],
        guard_tests=("Discovery_Follower.LowerEpoch_Refused:"
                     "MutationGuard_Follower.PromiseInFlight_LowerEpochRefused"),
        unreachable=("a follower reports its promise (durable or in flight) in FOLLOWERINFO and "
                     "it cannot rise within that session; a correct leader picks an epoch above "
                     "every reported one or abdicates (LeaderOnFollowerInfo), so only a broken "
                     "leader sends a LEADERINFO below it")),
    Mutant(
        "M14", "new epoch ignores the followers' acceptedEpochs", "consensus/discovery.cc",
        [("  lead_->new_epoch = max_accepted + 1;\n",
          "  lead_->new_epoch = Promised() + 1;\n")],
        guard_tests="Discovery_Leader.QuorumOfInfo_ProposesMaxAcceptedPlusOne",
        unreachable=("followers refuse a LEADERINFO below their acceptedEpoch and answer an equal "
                     "one with an ACKEPOCH that does not count, so a too-low epoch only fails "
                     "that attempt (and raises the leader's own acceptedEpoch for the next); "
                     "with M13 also applied zabsim catches it")),
    Mutant(
        "M15", "leader writes currentEpoch before its own history is durable (ZOOKEEPER-4643, leader)",
        "consensus/discovery.cc",
        [("  if (persisted_ < lead_->history_end) return;\n", "")]),
    Mutant(
        # The code before 16af6fd: a promise still being written is ignored.
        "M16", "epoch promise goes backwards while a write is in flight", "consensus/discovery.cc",
        [("  if (e < Promised()) {\n", "  if (e < accepted_epoch_) {\n"),
         ("  if (e == Promised()) {\n", "  if (e == accepted_epoch_) {\n")],
        guard_tests="MutationGuard_Follower.PromiseInFlight_*",
        unreachable=("FOLLOWERINFO reports the promise in flight, so a correct leader never "
                     "offers less (it abdicates), and an ACKEPOCH waits for the write, so a "
                     "follower that switched leaders mid-write never acked the first: counting "
                     "its equal-epoch ACKEPOCH then double-counts nothing")),
    Mutant(
        "M17", "leader counts its own non-durable log toward the commit quorum",
        "consensus/broadcast.cc",
        [("  durable.push_back(persisted_);\n", "  durable.push_back(log_.last());\n")],
        guard_tests="Broadcast_Leader.Pipelined_CommitsOnQuorumInOrder"),
    Mutant(
        "M18", "zxid reused after a leader change (numbering goes on in the old epoch)",
        "consensus/broadcast.cc",
        [("  uint32_t counter = last.epoch() == lead_->new_epoch ? last.counter() + 1 : 1;\n",
          "  uint32_t counter = last.counter() + 1;\n"),
         ("  Zxid zxid(lead_->new_epoch, counter);\n",
          "  Zxid zxid(last.epoch(), counter);\n")]),
    Mutant(
        "M19", "follower accepts a TRUNC below committed", "consensus/sync.cc",
        [("    if (z < committed_ || z < log_.floor()) {\n",
          "    if (z < log_.floor()) {\n")],
        guard_tests="Sync_Follower.TruncBelowCommitted_Refused",
        unreachable=("a correct leader's history holds every committed txn (zabsim checks it: "
                     "`durability: ... ended discovery without committed txn`) and it TRUNCs only "
                     "to the largest zxid both logs share, so only a broken leader TRUNCs below "
                     "a follower's committed prefix")),
    Mutant(
        "M20", "a peer's stale vote for us adopted as our claim", "consensus/election.cc",
        [("  const Vote candidate = v.leader == config_.sid ? SelfVote() : v;\n",
          "  const Vote candidate = v;\n")],
        guard_tests="Election_Vote.StaleVoteForUs_ClaimsOnlyOurOwnLog"),
]


def log(msg):
    print(msg, flush=True)


def die(msg):
    print(f"mutation-check: {msg}", file=sys.stderr, flush=True)
    sys.exit(2)


def run(cmd, **kw):
    return subprocess.run(cmd, text=True, capture_output=True, **kw)


def git(*args):
    r = run(["git", "-C", ROOT, *args])
    if r.returncode != 0:
        die(f"git {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


class WorkTree:
    """A private copy of HEAD at WORK/src with its own build dir WORK/build."""

    def __init__(self, work):
        self.work = os.path.abspath(work)
        self.src = os.path.join(self.work, "src")
        self.build = os.path.join(self.work, "build")
        self.commit = git("rev-parse", "HEAD").strip()
        self.pristine = {}

    def prepare(self):
        os.makedirs(self.work, exist_ok=True)
        stamp = os.path.join(self.work, "src.commit")
        have = open(stamp).read().strip() if os.path.exists(stamp) else ""
        if have != self.commit or not os.path.isdir(self.src):
            log(f"copying {self.commit[:12]} to {self.src}")
            shutil.rmtree(self.src, ignore_errors=True)
            shutil.rmtree(self.build, ignore_errors=True)
            os.makedirs(self.src)
            archive = subprocess.Popen(["git", "-C", ROOT, "archive", self.commit],
                                       stdout=subprocess.PIPE)
            tar = subprocess.run(["tar", "-x", "-C", self.src], stdin=archive.stdout)
            archive.stdout.close()
            if archive.wait() != 0 or tar.returncode != 0:
                die("git archive | tar failed")
            with open(stamp, "w") as f:
                f.write(self.commit + "\n")
        # An interrupted earlier run may have left a mutant in place.
        for m in MUTANTS:
            self.restore(m.file)
        if not os.path.exists(os.path.join(self.build, "CMakeCache.txt")):
            log("configuring")
            r = run(["cmake", "-S", self.src, "-B", self.build,
                     "-DCMAKE_BUILD_TYPE=RelWithDebInfo"])
            if r.returncode != 0:
                die("cmake configure failed:\n" + r.stdout[-3000:] + r.stderr[-3000:])

    def original(self, path):
        if path not in self.pristine:
            self.pristine[path] = git("show", f"{self.commit}:{path}")
        return self.pristine[path]

    def write(self, path, text):
        full = os.path.join(self.src, path)
        with open(full) as f:
            if f.read() == text:
                return
        with open(full, "w") as f:
            f.write(text)

    def restore(self, path):
        self.write(path, self.original(path))

    def mutated(self, m):
        text = self.original(m.file)
        for old, new in m.edits:
            n = text.count(old)
            if n != 1:
                die(f"{m.id}: the text to replace occurs {n} times in {m.file} (expected exactly "
                    f"once): the code drifted, update the mutant table.\n--- text ---\n{old}")
            text = text.replace(old, new)
        return text

    def apply(self, m):
        self.write(m.file, self.mutated(m))

    def build_target(self, target, label):
        t0 = time.time()
        r = run(["nice", "cmake", "--build", self.build, "--target", target, "-j", JOBS])
        if r.returncode != 0:
            die(f"{label}: building {target} failed (a mutant that does not compile must be "
                f"fixed in the table):\n{r.stdout[-4000:]}{r.stderr[-4000:]}")
        return time.time() - t0

    def binary(self, name):
        return os.path.join(self.build, "bin", name)


@dataclasses.dataclass
class SimResult:
    violations: int = 0
    first_seed: str = ""  # "" when none failed
    invariant: str = ""  # text of that seed's FAIL line
    summary: str = ""


def classify(invariant):
    """The invariant or oracle that fired, as a short class name."""
    if not invariant:
        return ""
    if invariant.startswith("CHECK"):
        return "core CHECK"
    if invariant.startswith("two leaders ended discovery"):
        return "two leaders ended discovery in an epoch"
    if invariant.startswith("two leaders"):
        return "two leaders established in an epoch"
    oracle = re.match(r"durability oracle: node \d+ (sent \w+|acked NEWLEADER|writes currentEpoch|"
                      r"applies)", invariant)
    if oracle:
        return f"durability oracle ({oracle.group(1)})"
    if re.match(r"durability: node \d+ .* without committed txn", invariant):
        return "durability (leader's history lacks a committed txn)"
    if re.match(r"durability: \S+ was applied while only", invariant):
        return "durability (applied before a quorum held it)"
    if re.match(r"election: .* worse than its own history", invariant):
        return "election (vote worse than own history)"
    if re.match(r"election: .* more than its log holds", invariant):
        return "election (self-vote claims more than its log)"
    if re.match(r"discovery: .* counting promises", invariant):
        return "discovery (too few counting promises)"
    if re.match(r"discovery: .* is ahead", invariant):
        return "discovery (a follower is ahead)"
    if re.match(r"node \d+ truncated applied", invariant):
        return "applied txns truncated"
    if re.match(r"node \d+ produced output", invariant):
        return "no quiescence"
    if re.match(r"node \d+ asked for a snapshot", invariant):
        return "snapshot request vs applied state"
    head = invariant.split(":", 1)[0]
    return head if len(head) < 40 else invariant[:40]


def shorten(text, limit=100):
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def run_sim(tree, nodes, seeds, steps):
    cmd = [tree.binary("zabsim"), "--nodes", str(nodes), "--seeds", str(seeds), "--steps",
           str(steps), "--jobs", JOBS, "--stop-on-failure"]
    try:
        r = run(cmd, timeout=SIM_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return SimResult(violations=-1, invariant=f"timeout after {SIM_TIMEOUT_S}s")
    res = SimResult()
    summary = [l for l in r.stdout.splitlines() if l.startswith("zabsim nodes=")]
    if not summary:
        die(f"zabsim printed no summary (exit {r.returncode}):\n{r.stdout[-3000:]}"
            f"{r.stderr[-3000:]}")
    res.summary = summary[-1]
    res.violations = int(re.search(r"violations=(\d+)", res.summary).group(1))
    if res.violations == 0:
        return res
    res.first_seed = re.search(r"first_failure=(\d+)", res.summary).group(1)
    fails = re.findall(r"^FAIL seed=(\d+) nodes=\d+: (.*)$", r.stdout, re.M)
    text = next((t for s, t in fails if s == res.first_seed), fails[0][1] if fails else "?")
    if text.startswith("the run died"):
        # The CHECK message is glog's, on stderr: "F... file.cc:N] Check failed: ...".
        checks = re.findall(r"\] (Check failed: .*|CHECK failed: .*)$", r.stderr, re.M)
        where = re.findall(r"([\w/]+\.(?:cc|h):\d+)\] Check failed", r.stderr)
        text = "CHECK " + (os.path.basename(where[0]) + ": " if where else "") + (
            checks[0] if checks else text)
    res.invariant = shorten(text)
    return res


def unit_failures(output):
    """Names of the failed tests, or the CHECK that killed the binary."""
    failed = sorted(set(re.findall(r"^\[  FAILED  \] (\w+\.\w+)", output, re.M)))
    check = re.findall(r"([\w/]+\.(?:cc|h):\d+\] Check failed: .*)$", output, re.M)
    return failed, shorten(os.path.basename(check[0]), 90) if check else ""


def check_guards_pass(tree, mutants):
    """The guard tests must exist and pass on the unmodified tree."""
    tree.build_target(UNIT_TEST_BINARY, "none")
    for m in mutants:
        for pattern in m.guard_tests.split(":"):
            r = run([tree.binary(UNIT_TEST_BINARY), f"--gtest_filter={pattern}"])
            ran = re.search(r"^\[  PASSED  \] (\d+) test", r.stdout, re.M)
            if r.returncode != 0 or not ran or int(ran.group(1)) == 0:
                die(f"{m.id}: guard test {pattern} is missing or fails on the unmodified "
                    f"tree:\n{r.stdout[-3000:]}{r.stderr[-2000:]}")
    log("none unit: every guard test exists and passes")


def run_unit(tree, m):
    """(caught, how): do the guard tests of `m` fail with the mutant applied?"""
    try:
        tree.apply(m)
        tree.build_target(UNIT_TEST_BINARY, m.id)
        r = run([tree.binary(UNIT_TEST_BINARY), f"--gtest_filter={m.guard_tests}"])
    finally:
        tree.restore(m.file)
    caught = r.returncode != 0
    failed, check = unit_failures(r.stdout + r.stderr)
    if failed:
        how = "fails: " + ", ".join(failed)
    elif check:
        how = f"dies: {check}"
    else:
        how = "fails" if caught else "PASSES with the mutant"
    log(f"{m.id} unit {m.guard_tests}: {how}")
    return caught, how


def table(rows, args, tree, started):
    out = [
        f"Run {started} at commit {tree.commit[:12]}; budget per mutant and cluster size: "
        f"{args.seeds} seeds x {args.steps} steps, every fault class on, "
        f"`--stop-on-failure`.",
        "",
        "| ID | mutant | file | caught by | first failing seed n=3 | n=5 | first FAIL line "
        "| unit guard with the mutant |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")
    return "\n".join(out) + "\n"


def seed_cell(res, seeds):
    if res is None:
        return "-"
    if res.violations < 0:
        return "timeout"
    return res.first_seed if res.violations > 0 else f"survived ({seeds})"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--work", default="/tmp/zab-mutants")
    p.add_argument("--only", default="", help="comma-separated mutant ids (M01,M07)")
    p.add_argument("--seeds", type=int, default=200)
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--out", default="", help="also write the markdown table here")
    p.add_argument("--unit", action="store_true",
                   help="only the unit-test check of the mutants that name guard tests")
    args = p.parse_args()

    ids = [i.strip() for i in args.only.split(",") if i.strip()]
    known = {m.id for m in MUTANTS}
    unknown = [i for i in ids if i not in known]
    if unknown:
        die(f"unknown mutant ids {unknown}; known: {sorted(known)}")
    selected = [m for m in MUTANTS if not ids or m.id in ids]
    if args.unit:
        selected = [m for m in selected if m.guard_tests]

    tree = WorkTree(args.work)
    for m in selected:
        tree.mutated(m)  # every mutant still applies, before any building
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    tree.prepare()

    rows = []
    if not args.unit:
        tree.build_target("zabsim", "none")
        base = {n: run_sim(tree, n, args.seeds, args.steps) for n in (3, 5)}
        for n, res in base.items():
            log(f"none n={n}: {res.summary}")
            if res.violations != 0:
                die(f"the unmodified tree fails on {n} nodes (seed {res.first_seed}: "
                    f"{res.invariant}); fix that first")
        clean = f"0 violations ({args.seeds})"
        rows.append(["none", "unmodified tree", "-", "-", clean, clean, "-", "guards pass"])
    guarded = [m for m in selected if m.guard_tests]
    if guarded:
        check_guards_pass(tree, guarded)

    survivors = []
    for m in selected:
        res = {}
        if not args.unit:
            t0 = time.time()
            try:
                tree.apply(m)
                tree.build_target("zabsim", m.id)
                for n in (3, 5):
                    res[n] = run_sim(tree, n, args.seeds, args.steps)
            finally:
                tree.restore(m.file)
            for n in (3, 5):
                r = res[n]
                state = f"seed {r.first_seed}: {r.invariant}" if r.violations > 0 else (
                    r.invariant if r.violations < 0 else "SURVIVED")
                log(f"{m.id} n={n}: {state}  ({time.time() - t0:.0f}s)")
        caught_sim = bool(res) and all(r.violations > 0 for r in res.values())
        first = next((r for r in (res.get(3), res.get(5)) if r and r.violations > 0), None)
        caught_by = classify(first.invariant) if first else ""
        unit = "-"
        if m.guard_tests:
            unit_caught, unit = run_unit(tree, m)
            unit = f"{m.guard_tests}: {unit}"
            if m.unreachable and not unit_caught:
                survivors.append(m.id)
        if m.unreachable and first:
            log(f"WARNING: {m.id} is marked unreachable but zabsim caught it: revisit the "
                f"argument")
        if m.unreachable:
            caught_by = "unreachable (unit guard)" + (f"; zabsim: {caught_by}" if caught_by else "")
        elif not caught_sim and not args.unit:
            survivors.append(m.id)
            caught_by = (caught_by + " (one size only)") if caught_by else "**not caught**"
        rows.append([m.id, m.name, m.file.split("/")[-1], caught_by or "-",
                     seed_cell(res.get(3), args.seeds), seed_cell(res.get(5), args.seeds),
                     f"`{first.invariant}`" if first else "-", unit])

    md = table(rows, args, tree, started)
    print()
    print(md, end="")
    if args.out:
        with open(args.out, "w") as f:
            f.write(md)
    if survivors:
        log(f"\nsurvivors: {', '.join(survivors)}")
        return 1
    log("\nevery mutant caught")
    return 0


if __name__ == "__main__":
    sys.exit(main())
