#!/usr/bin/python3
"""Writes the seed corpora under tests/fuzz/corpus/<target>/: small valid
inputs of every kind each decoder takes, for libFuzzer to mutate and for
ctest to replay. Needs protoc and Debian's python3-protobuf.

Usage: tests/fuzz/make_corpus.py
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def load_protos():
    out = tempfile.mkdtemp(prefix="zk-fuzz-proto.")
    subprocess.run(["protoc", f"-I{ROOT}/proto", f"--python_out={out}"]
                   + [f"zabkeeper/{f}" for f in os.listdir(f"{ROOT}/proto/zabkeeper")
                      if f.endswith(".proto")], check=True)
    sys.path.insert(0, out)
    from zabkeeper import client_pb2, peer_pb2, records_pb2, txn_pb2  # noqa: E402
    return client_pb2, peer_pb2, records_pb2, txn_pb2


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def jute_string(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack(">i", len(b)) + b


def zkwire(client_pb2):
    i32 = lambda v: struct.pack(">i", v)  # noqa: E731
    i64 = lambda v: struct.pack(">q", v)  # noqa: E731
    acl = i32(1) + i32(31) + jute_string("world") + jute_string("anyone")
    connect = i32(0) + i64(0) + i32(30000) + i64(0) + jute_string(b"\0" * 16)
    write("zkwire_frame_fuzz", "connect", b"\x01" + connect)
    write("zkwire_frame_fuzz", "connect_ro", b"\x01" + connect + b"\x01")
    reqs = {
        "create": i32(1) + i32(1) + jute_string("/a") + jute_string("x") + acl + i32(0),
        "create2_seq": i32(2) + i32(15) + jute_string("/a/s-") + jute_string("") + acl + i32(2),
        "createttl": i32(3) + i32(21) + jute_string("/t") + jute_string("") + acl + i32(5) + i64(1000),
        "getdata": i32(4) + i32(4) + jute_string("/a") + b"\x01",
        "setdata": i32(5) + i32(5) + jute_string("/a") + jute_string("y") + i32(-1),
        "exists": i32(6) + i32(3) + jute_string("/b") + b"\x01",
        "children2": i32(7) + i32(12) + jute_string("/") + b"\x00",
        "delete": i32(8) + i32(2) + jute_string("/a") + i32(0),
        "sync": i32(9) + i32(9) + jute_string("/"),
        "ping": i32(-2) + i32(11),
        "auth": i32(-4) + i32(100) + i32(0) + jute_string("digest") + jute_string("u:p"),
        "setwatches": i32(-8) + i32(101) + i64(0) + i32(1) + jute_string("/a") + i32(0) + i32(0),
        "addwatch": i32(10) + i32(106) + jute_string("/") + i32(1),
        "multi": (i32(11) + i32(14) + i32(1) + b"\x00" + i32(-1) + jute_string("/m") + jute_string("")
                  + acl + i32(0) + i32(13) + b"\x00" + i32(-1) + jute_string("/m") + i32(0)
                  + i32(-1) + b"\x01" + i32(-1)),
        "getacl": i32(12) + i32(6) + jute_string("/"),
        "whoami": i32(13) + i32(107),
        "close": i32(14) + i32(-11),
    }
    for name, payload in reqs.items():
        write("zkwire_frame_fuzz", name, b"\x00" + payload)


def client_requests(client_pb2):
    R = client_pb2.Request
    open_acl = dict(perms=31, id=dict(scheme="world", id="anyone"))
    reqs = {
        "create": R(xid=2, create=dict(path="/a", data=b"x", acl=[open_acl])),
        "create_ephemeral_seq": R(xid=2, create=dict(path="/e-", acl=[open_acl], mode=3)),
        "create_ttl": R(xid=2, create=dict(path="/t", acl=[open_acl], mode=5, ttl_ms=1000)),
        "create_container": R(xid=2, create=dict(path="/c", acl=[open_acl], mode=4)),
        "get_data": R(xid=2, get_data=dict(path="/", watch=True)),
        "set_data": R(xid=2, set_data=dict(path="/a", data=b"y", version=-1)),
        "delete": R(xid=2, delete=dict(path="/a", version=-1)),
        "exists": R(xid=2, exists=dict(path="/nope", watch=True)),
        "children": R(xid=2, get_children=dict(path="/", watch=True)),
        "sync": R(xid=2, sync=dict(path="/")),
        "multi": R(xid=2, multi=dict(ops=[dict(create=dict(path="/m", acl=[open_acl])),
                                          dict(check=dict(path="/m", version=0)),
                                          dict(delete=dict(path="/m", version=-1))])),
        "set_acl": R(xid=2, set_acl=dict(path="/", acl=[open_acl], version=-1)),
        "get_acl": R(xid=2, get_acl=dict(path="/")),
        "auth": R(xid=2, auth=dict(scheme="digest", auth=b"u:p")),
        "set_watches": R(xid=2, set_watches=dict(relative_zxid=1, data_watches=["/a"],
                                                 persistent_recursive_watches=["/"])),
        "add_watch": R(xid=2, add_watch=dict(path="/", mode=1)),
        "ephemerals": R(xid=2, get_ephemerals=dict(prefix_path="/")),
        "children_number": R(xid=2, get_all_children_number=dict(path="/")),
        "who_am_i": R(xid=2, who_am_i=dict()),
        "multi_read": R(xid=2, multi_read=dict(ops=[dict(get_data=dict(path="/"))])),
        "close": R(xid=2, close=dict()),
    }
    for name, r in reqs.items():
        write("client_request_fuzz", name, r.SerializeToString())
    return reqs


def peer_frames(client_pb2, peer_pb2, txn_pb2, reqs):
    F = peer_pb2.PeerFrame
    proposal_txn = txn_pb2.Txn(session_id=0, create=dict(path="/p", data=b"x")).SerializeToString()
    frames = {
        "notification": F(zab=[dict(notification=dict(leader=2, zxid=0, peer_epoch=0,
                                                      election_epoch=1, state=0))]),
        "leader_info": F(zab=[dict(leader_info=dict(new_epoch=1, session=1))]),
        "diff_newleader": F(zab=[dict(diff=dict(zxid=0)), dict(new_leader=dict(epoch=1, zxid=0)),
                                 dict(up_to_date=dict(commit_zxid=0))]),
        "proposal_commit": F(zab=[dict(proposal=dict(zxid=(1 << 32) | 1, txn=proposal_txn)),
                                  dict(commit=dict(zxid=(1 << 32) | 1))]),
        "ping": F(zab=[dict(ping=dict(zxid=0, from_leader=True))]),
        "forwarded": F(requests=[dict(session_id=7, request=reqs["create"])], touched_sessions=[7]),
        "forward_reply": F(replies=[dict(session_id=7, xid=2, zxid=1)]),
    }
    for name, f in frames.items():
        write("peer_frame_fuzz", name, f.SerializeToString())


def txns(txn_pb2):
    T = txn_pb2.Txn
    open_acl = dict(perms=31, id=dict(scheme="world", id="anyone"))
    items = {
        "create_session": T(session_id=7, create_session=dict(timeout_ms=10000, password=b"p" * 16)),
        "create": T(session_id=7, cxid=1, time_ms=1, create=dict(path="/a", data=b"x", acl=[open_acl],
                                                                  parent_cversion=1)),
        "create_ephemeral": T(session_id=7, create=dict(path="/e", acl=[open_acl], ephemeral_owner=7)),
        "set_data": T(session_id=7, set_data=dict(path="/a", data=b"y", version=1)),
        "set_acl": T(session_id=7, set_acl=dict(path="/a", acl=[open_acl], version=1)),
        "delete": T(session_id=7, delete=dict(path="/a")),
        "multi": T(session_id=7, multi=dict(txns=[T(create=dict(path="/m", acl=[open_acl])),
                                                  T(check=dict(path="/m", version=0))])),
        "error": T(session_id=7, error=dict(err=-101, detail="no node")),
        "close_session": T(session_id=7, close_session=dict(paths_to_delete=["/e"], expired=True)),
    }
    for name, t in items.items():
        write("txn_apply_fuzz", name, t.SerializeToString())


def snapshots(records_pb2):
    S = records_pb2.StateSnapshot
    open_acl = dict(perms=31, id=dict(scheme="world", id="anyone"))
    stat = dict(czxid=1, mzxid=1, pzxid=1, version=0, cversion=0, aversion=0,
                ephemeral_owner=0, data_length=1, num_children=0)
    snap = S(zxid=5, nodes=[dict(path="/", record=dict(acl=[open_acl])),
                            dict(path="/zookeeper", record=dict(acl=[open_acl])),
                            dict(path="/a", record=dict(data=b"x", stat=stat, acl=[open_acl])),
                            dict(path="/a/b", record=dict(data=b"y", acl=[open_acl], ttl_ms=100))],
             sessions=[dict(session_id=7, timeout_ms=10000, password=b"p" * 16)])
    write("state_snapshot_fuzz", "small", snap.SerializeToString())
    write("state_snapshot_fuzz", "empty", S(zxid=0).SerializeToString())


def configs():
    write("config_fuzz", "standalone", b"tickTime=2000\ndataDir=/tmp/zk\nclientPort=2281\n")
    write("config_fuzz", "ensemble",
          b"tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=/tmp/zk\nclientPort=2281\n"
          b"zkClientPort=2181\n4lw.commands.whitelist=srvr,mntr\nreadonlymode.enabled=true\n"
          b"localSessionsEnabled=true\nserver.1=127.0.0.1:2888:3888\n"
          b"server.2=127.0.0.1:2889:3889\nserver.3=127.0.0.1:2890:3890;2283\n")
    write("config_fuzz", "bad", b"tickTime=-1\ndataDir=\n= \nserver.x=::\n")


def paths():
    for i, p in enumerate([b"/", b"/a/b", b"/zookeeper/quota", b"//", b"/a/", b"a", b"/a\0b",
                           b"/./a", b"/a/..", b"/\xef\xbf\xbf", b"/a/s-"]):
        write("path_fuzz", f"p{i}", p)


def main():
    if os.path.isdir(os.path.join(HERE, "corpus")):
        shutil.rmtree(os.path.join(HERE, "corpus"))
    client_pb2, peer_pb2, records_pb2, txn_pb2 = load_protos()
    zkwire(client_pb2)
    reqs = client_requests(client_pb2)
    peer_frames(client_pb2, peer_pb2, txn_pb2, reqs)
    txns(txn_pb2)
    snapshots(records_pb2)
    configs()
    paths()
    print("corpus written under", os.path.join(HERE, "corpus"))


if __name__ == "__main__":
    main()
