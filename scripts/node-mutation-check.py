#!/usr/bin/env python3
"""Mutation check of the whole-node simulator: does zabsim --whole-node catch
known-bad node layers?

Each mutant is one realistic, one-place bug in the node core (server/node_core*,
the preparer, the session tracker), planted one at a time in a private copy of
HEAD, the way scripts/mutation-check.py plants bugs in consensus/ (and with its
machinery: WORK/src, WORK/build, exact edits that must match once). For every
mutant it builds `zabsim` and runs

    zabsim --whole-node --nodes 3 --seeds S --steps M
    zabsim --whole-node --nodes 5 --seeds S --steps M

and records the first failing seed and the anomaly that caught it. The
unmodified tree runs first and must have no anomaly.

Usage:
    scripts/node-mutation-check.py [--work DIR] [--only N01,N07] [--seeds N]
                                   [--steps N] [--out FILE]

Exit status: 0 if every mutant is caught on 3 or on 5 nodes, 1 if one survives,
2 on a setup error. docs/ZAB.md records the last results.
"""

import argparse
import dataclasses
import datetime
import importlib.util
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("mutation_check",
                                               os.path.join(HERE, "mutation-check.py"))
mc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mc)

SIM_TIMEOUT_S = 900

NODE_MUTANTS = [
    mc.Mutant(
        "N01", "ACK before the log write is durable (the core is told Persisted at append)",
        "server/node_core.cc",
        [("      op.ack_to = ready.ack_appends_to.value_or(0);\n    }\n",
          "      op.ack_to = ready.ack_appends_to.value_or(0);\n"
          "      peer_->Persisted(op.entries.back().zxid);\n    }\n")]),
    mc.Mutant(
        "N02", "a reply sent before apply (the leader answers at propose)", "server/node_core.cc",
        [("    FailWrite(write, from, proto::CONNECTION_LOSS, std::string(zxid.status().message()));\n"
          "  }\n",
          "    FailWrite(write, from, proto::CONNECTION_LOSS, std::string(zxid.status().message()));\n"
          "  } else if (from == 0 && !write.expire && !write.internal && !write.request.has_connect()) {\n"
          "    proto::Response r;\n"
          "    r.set_xid(write.request.xid());\n"
          "    r.set_zxid(static_cast<int64_t>(zxid->raw()));\n"
          "    r.set_op(OpOf(write.request));\n"
          "    CompleteWrite(write.session_id, std::move(r));\n"
          "  }\n")]),
    mc.Mutant(
        "N03", "a watch event sent after the reply that reflects it", "server/node_core_apply.cc",
        [("  for (const TreeEvent& ev : changes.events) {\n",
          "  auto fire = [&] {\n  for (const TreeEvent& ev : changes.events) {\n"),
         ("  if (!conn) return;  // the session is attached to another server (or none)\n",
          "  };\n  if (!conn) return fire();  // the session is attached to another server (or none)\n"),
         ("    conn->CloseStream();\n    return;\n  }\n",
          "    fire();\n    conn->CloseStream();\n    return;\n  }\n"),
         ("  if (txn.has_close_session()) conn->CloseStream();\n}\n",
          "  fire();\n  if (txn.has_close_session()) conn->CloseStream();\n}\n")]),
    mc.Mutant(
        "N04", "a follower expiring sessions by itself (EXPIRED without a closeSession)",
        "server/node_core.cc",
        [("  if (expiry_owner_) ExpireAndReap();\n",
          "  if (expiry_owner_) {\n"
          "    ExpireAndReap();\n"
          "  } else if (serving_) {\n"
          "    for (int64_t sid : tracker_.TakeExpired(Now())) {\n"
          "      if (CoreConnection* c = ConnOfSession(sid)) {\n"
          "        proto::Response r = WatchEventResponse(\n"
          "            proto::NONE, \"\", static_cast<int64_t>(state_.last_applied()));\n"
          "        r.mutable_watch_event()->set_state(proto::EXPIRED);\n"
          "        c->Event(std::move(r));\n"
          "        c->CloseStream();\n"
          "      }\n"
          "    }\n"
          "  }\n")]),
    mc.Mutant(
        "N05", "an ephemeral node deleted before expiry (a quarter of the timeout)",
        "server/node_core_apply.cc",
        [("tracker_.Track(id, record.timeout_ms(), Now());",
          "tracker_.Track(id, record.timeout_ms() / 4, Now());"),
         ("tracker_.Track(sid, txn.create_session().timeout_ms(), Now());",
          "tracker_.Track(sid, txn.create_session().timeout_ms() / 4, Now());")]),
    mc.Mutant(
        "N07", "a dropped apply (the second txn of a committed batch)", "server/node_core_apply.cc",
        [("    ApplyOne(static_cast<int64_t>(e.zxid.raw()), txn);\n",
          "    if (entries.size() < 2 || &e != &entries[1]) ApplyOne(static_cast<int64_t>(e.zxid.raw()), txn);\n")]),
    mc.Mutant(
        "N08", "a session reattaches to (and reads from) a server behind its last-seen zxid",
        "server/node_core_clients.cc",
        [("  if (req.last_zxid_seen() > static_cast<int64_t>(state_.last_applied())) {\n",
          "  if (false) {\n")]),
    mc.Mutant(
        "N09", "an epoch persisted after its ACK (acceptedEpoch reported before the write)",
        "server/node_core.cc",
        [("      op.epoch = *ready.persist_accepted_epoch;\n",
          "      op.epoch = *ready.persist_accepted_epoch;\n"
          "      peer_->AcceptedEpochPersisted(op.epoch);\n")]),
    mc.Mutant(
        "N10", "a lost reply on connect (the new session is not bound to its stream)",
        "server/node_core_clients.cc",
        [("    conn.set_session_id(sid);\n    session_conns_[sid] = conn.id();\n",
          "    conn.set_session_id(sid);\n")]),
    mc.Mutant(
        "N11", "prepare ignores what is pending before it (validates against the applied tree)",
        "server/preparer.cc",
        [("  if (auto it = pending_.find(path); it != pending_.end()) return it->second;\n", "")]),
    mc.Mutant(
        "N13", "a write of a closed (or closing) session is prepared (no checkSession)",
        "server/preparer.cc",
        [("  if ((!session_live || closing_sessions_.contains(write.session_id)) && !write.internal &&\n",
          "  if (false && !write.internal &&\n")]),
    mc.Mutant(
        "N12", "a SNAP leaves closed sessions tracked (a later leader closes them again)",
        "server/node_core.cc",
        [("  tracker_.Clear();\n", "")]),
]


@dataclasses.dataclass
class Result:
    anomalies: int = 0
    first_seed: str = ""
    what: str = ""
    summary: str = ""


def run_sim(tree, nodes, seeds, steps):
    cmd = [tree.binary("zabsim"), "--whole-node", "--nodes", str(nodes), "--seeds", str(seeds),
           "--steps", str(steps)]
    try:
        r = mc.run(cmd, timeout=SIM_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return Result(anomalies=-1, what=f"timeout after {SIM_TIMEOUT_S}s")
    res = Result()
    summary = [l for l in r.stdout.splitlines() if l.startswith("zabsim whole-node")]
    if not summary:
        # A CHECK in the core killed the process: that caught it too.
        checks = re.findall(r"([\w/]+\.(?:cc|h):\d+)\] Check failed: (.*)$", r.stderr, re.M)
        if checks:
            return Result(anomalies=1, first_seed="?",
                          what=mc.shorten(f"CHECK {os.path.basename(checks[0][0])}: {checks[0][1]}"))
        mc.die(f"zabsim printed no summary (exit {r.returncode}):\n{r.stdout[-3000:]}"
               f"{r.stderr[-3000:]}")
    res.summary = summary[-1]
    res.anomalies = int(re.search(r"anomalies=(\d+)", res.summary).group(1))
    if res.anomalies == 0:
        return res
    m = re.search(r"^FAIL seed (\d+) nodes \d+: .*$", r.stdout, re.M)
    res.first_seed = m.group(1) if m else "?"
    first = re.search(r"^  anomalies:\n  (t=\d+ .*)$", r.stdout, re.M)
    res.what = mc.shorten(re.sub(r"^t=\d+ ", "", first.group(1))) if first else "?"
    return res


def classify(what):
    rules = [
        (r"ACKed 0x", "disk oracle (ACK ahead of the log)"),
        (r"ACKEPOCHed", "disk oracle (ACKEPOCH ahead of acceptedEpoch)"),
        (r"replied to a write at", "disk oracle (reply ahead of the log)"),
        (r"came after a reply", "watch before the reply that shows it"),
        (r"after it saw 0x", "session never goes back in zxid"),
        (r"fired without a watch", "one-shot watches fire once"),
        (r"was told it expired", "EXPIRED names its committed closeSession"),
        (r"after a write of it succeeded", "no expiry before half the timeout"),
        (r"never answered", "every request on an open stream is answered"),
        (r"digest|not serving", "nodes converge once healed"),
        (r"went from 0x", "apply agreement (no gaps)"),
        (r"applied a different txn", "apply agreement (one txn per zxid)"),
        (r"but in zxid order", "writes take effect in zxid order (re-prepared)"),
        (r" read .* and got ", "a read returns the state at its zxid"),
        (r"never applied", "acknowledged writes are applied"),
        (r"was acknowledged before", "real-time order of writes"),
        (r"outlives its session", "an ephemeral's owner is live"),
        (r"^CHECK", "core CHECK"),
    ]
    for pattern, name in rules:
        if re.search(pattern, what):
            return name
    return what


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--work", default="/tmp/zab-node-mutants")
    p.add_argument("--only", default="")
    p.add_argument("--seeds", type=int, default=1000)
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--out", default="")
    args = p.parse_args()
    ids = [i.strip() for i in args.only.split(",") if i.strip()]
    selected = [m for m in NODE_MUTANTS if not ids or m.id in ids]
    mc.MUTANTS = NODE_MUTANTS  # what WorkTree.prepare restores after an interrupted run
    tree = mc.WorkTree(args.work)
    for m in selected:
        tree.mutated(m)  # every mutant still applies, before any building
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    tree.prepare()
    tree.build_target("zabsim", "none")
    for n in (3, 5):
        base = run_sim(tree, n, args.seeds, args.steps)
        mc.log(f"none n={n}: {base.summary}")
        if base.anomalies != 0:
            mc.die(f"the unmodified tree fails on {n} nodes (seed {base.first_seed}: {base.what})")
    rows = [["none", "unmodified tree", "-", f"0 anomalies ({args.seeds})",
             f"0 anomalies ({args.seeds})", "-"]]
    survivors = []
    for m in selected:
        t0 = time.time()
        res = {}
        try:
            tree.apply(m)
            tree.build_target("zabsim", m.id)
            for n in (3, 5):
                res[n] = run_sim(tree, n, args.seeds, args.steps)
        finally:
            tree.restore(m.file)
        cells = []
        for n in (3, 5):
            r = res[n]
            cells.append(f"seed {r.first_seed} ({r.anomalies} anomalies in {args.seeds})"
                         if r.anomalies > 0 else ("**survived**" if r.anomalies == 0 else r.what))
            mc.log(f"{m.id} n={n}: {cells[-1]}: {r.what}  ({time.time() - t0:.0f}s)")
        first = next((r for r in (res[3], res[5]) if r.anomalies > 0), None)
        if first is None:
            survivors.append(m.id)
        rows.append([m.id, m.name, classify(first.what) if first else "**not caught**", cells[0],
                     cells[1], f"`{first.what}`" if first else "-"])
    head = ["mutant", "bug planted", "caught by", "3 nodes: first seed", "5 nodes: first seed",
            "first anomaly"]
    md = [f"Run {started} at {tree.commit[:12]}: `scripts/node-mutation-check.py --seeds "
          f"{args.seeds} --steps {args.steps}`", "", "| " + " | ".join(head) + " |",
          "|" + "---|" * len(head)]
    md += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    text = "\n".join(md) + "\n"
    print()
    print(text, end="")
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    if survivors:
        mc.log(f"\nsurvivors: {', '.join(survivors)}")
        return 1
    mc.log("\nevery mutant caught")
    return 0


if __name__ == "__main__":
    sys.exit(main())
