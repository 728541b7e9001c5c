#!/usr/bin/env python3
"""Per-stage latency of one write at a time, from ZABKEEPER_TRACE=1 logs.

Start an ensemble with ZABKEEPER_TRACE=1 (server/write_trace.h), run one
session with one outstanding setData against the leader, then merge the
servers' trace lines into one timeline and run this on it:

  for i in 1 2 3; do grep '^trace' DIR/node$i/server.log |
    sed "s/^trace \\([0-9]*\\) [0-9]* /\\1 n$i /"; done | sort -n > trace.all
  scripts/trace-stages.py trace.all n3        # n3 = the leader

For each write it follows the request from the leader's stream read through
the first follower to ACK and back to the reply, and prints the median and
p90 of every hand-off as a Markdown table (docs/BENCHMARKS.md).
"""
import collections
import sys


def main():
    ev = []
    for line in open(sys.argv[1]):
        t, n, stage, detail = line.split()
        ev.append((int(t), n, stage, detail))
    leader = sys.argv[2]

    def nxt(i, pred):
        if i is None:
            return None
        for j in range(i + 1, min(len(ev), i + 400)):
            if pred(ev[j]):
                return j
        return None

    def on(node, stage):
        return lambda e: e[1] == node and e[2] == stage

    stages = collections.defaultdict(list)
    for i, (t, n, s, d) in enumerate(ev):
        if n != leader or s != "client.read":
            continue
        a = nxt(i, on(leader, "core.request"))
        b = nxt(a, on(leader, "core.frame_out"))
        # The follower that ACKs first: the first other node whose storage
        # thread sends an ACK.
        g = nxt(b, lambda e: e[1] != leader and e[2] == "disk.ack_out")
        if g is None:
            continue
        f = ev[g][1]
        c = nxt(b, on(f, "link.read"))
        dd = nxt(c, on(f, "core.frame_in"))
        e_ = nxt(dd, on(f, "disk.synced"))
        h = nxt(g, on(leader, "link.read"))
        ii = nxt(h, on(leader, "core.frame_in"))
        j = nxt(ii, on(leader, "client.write"))
        k = nxt(j, on(leader, "client.read"))
        if None in (a, b, c, dd, e_, h, ii, j, k):
            continue
        if not (b < c < dd < e_ <= g < h < ii < j < k):
            continue  # overlapping events of the previous write: skip

        def span(x, y):
            return ev[y][0] - ev[x][0]

        for name, x, y in [
            ("L: client stream read -> core thread", i, a),
            ("L: core: prepare + propose, PROPOSAL written to the sockets", a, b),
            ("L -> F: loopback TCP, F's link event loop", b, c),
            ("F: event loop -> core thread", c, dd),
            ("F: core -> storage thread, append + fdatasync", dd, e_),
            ("F: storage thread writes the ACK", e_, g),
            ("F -> L: loopback TCP, L's link event loop", g, h),
            ("L: event loop -> core thread", h, ii),
            ("L: core: commit, apply, reply write started", ii, j),
            ("reply write -> next request read (gRPC, client)", j, k),
            ("total: request read -> next request read", i, k),
        ]:
            stages[name].append(span(x, y))
    print("| stage | p50 us | p90 us |")
    print("|---|---|---|")
    n = 0
    for name, v in stages.items():
        v.sort()
        n = len(v)
        print(f"| {name} | {v[len(v) // 2]} | {v[len(v) * 9 // 10]} |")
    print(f"\n{n} writes")


if __name__ == "__main__":
    main()
