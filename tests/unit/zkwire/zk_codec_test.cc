// The codec against ZooKeeper's own record code: requests serialized by the
// C client's generated jute code decode to the same fields here, and replies
// encoded here deserialize there to what was sent. Then malformed input:
// every bad frame is a clear error, never a crash.
#include "server/zkwire/zk_codec.h"

#include <arpa/inet.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "zookeeper/zookeeper.jute.h"

namespace zabkeeper::zkwire {
namespace {

// Bytes written by the reference serializers.
class RefWriter {
 public:
  RefWriter() : oa_(create_buffer_oarchive()) {}
  ~RefWriter() { close_buffer_oarchive(&oa_, 1); }
  oarchive* oa() { return oa_; }
  std::string bytes() { return std::string(get_buffer(oa_), get_buffer_len(oa_)); }

 private:
  oarchive* oa_;
};

// A reader over one of our frames, length checked and taken off.
class RefReader {
 public:
  explicit RefReader(const std::string& frame) : payload_(frame.substr(4)) {
    int32_t len = 0;
    std::memcpy(&len, frame.data(), 4);
    EXPECT_EQ(static_cast<size_t>(ntohl(static_cast<uint32_t>(len))), payload_.size());
    ia_ = create_buffer_iarchive(payload_.data(), static_cast<int>(payload_.size()));
  }
  ~RefReader() { close_buffer_iarchive(&ia_); }
  iarchive* ia() { return ia_; }

 private:
  std::string payload_;
  iarchive* ia_;
};

char* C(const char* s) { return const_cast<char*>(s); }

RequestShape Shape(int32_t xid, int32_t op, std::vector<int32_t> multi_types = {}) {
  RequestShape shape;
  shape.xid = xid;
  shape.op = op;
  shape.multi_types = std::move(multi_types);
  return shape;
}

void SerializeHeader(RefWriter& w, int32_t xid, int32_t type) {
  RequestHeader h{xid, type};
  ASSERT_EQ(serialize_RequestHeader(w.oa(), "header", &h), 0);
}

proto::Stat SomeStat() {
  proto::Stat s;
  s.set_czxid(0x100000002);
  s.set_mzxid(0x100000005);
  s.set_ctime(1700000000000);
  s.set_mtime(1700000000123);
  s.set_version(3);
  s.set_cversion(4);
  s.set_aversion(1);
  s.set_ephemeral_owner(0x1234);
  s.set_data_length(5);
  s.set_num_children(2);
  s.set_pzxid(0x100000004);
  return s;
}

void ExpectStat(const Stat& got, const proto::Stat& want) {
  EXPECT_EQ(got.czxid, want.czxid());
  EXPECT_EQ(got.mzxid, want.mzxid());
  EXPECT_EQ(got.ctime, want.ctime());
  EXPECT_EQ(got.mtime, want.mtime());
  EXPECT_EQ(got.version, want.version());
  EXPECT_EQ(got.cversion, want.cversion());
  EXPECT_EQ(got.aversion, want.aversion());
  EXPECT_EQ(got.ephemeralOwner, want.ephemeral_owner());
  EXPECT_EQ(got.dataLength, want.data_length());
  EXPECT_EQ(got.numChildren, want.num_children());
  EXPECT_EQ(got.pzxid, want.pzxid());
}

ReplyHeader ReadHeader(RefReader& r) {
  ReplyHeader h{};
  EXPECT_EQ(deserialize_ReplyHeader(r.ia(), "header", &h), 0);
  return h;
}

TEST(ZkCodecReference, ConnectRequestWithReadOnlyByte) {
  RefWriter w;
  ::ConnectRequest c{0, 0x500000007, 30000, 0x77, {16, C("0123456789abcdef")}};
  ASSERT_EQ(serialize_ConnectRequest(w.oa(), "connect", &c), 0);
  const int32_t ro = 1;
  ASSERT_EQ(w.oa()->serialize_Bool(w.oa(), "readOnly", &ro), 0);
  auto got = DecodeConnect(w.bytes());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->last_zxid_seen, 0x500000007);
  EXPECT_EQ(got->timeout_ms, 30000);
  EXPECT_EQ(got->session_id, 0x77);
  EXPECT_EQ(got->password, "0123456789abcdef");
  EXPECT_TRUE(got->has_read_only);
  EXPECT_TRUE(got->read_only);

  // The reply carries the read-only byte because the request did: 37 bytes.
  const std::string frame = EncodeConnectResponse(*got, 20000, 0x99, "fedcba9876543210", false);
  EXPECT_EQ(frame.size(), 4u + 37u);
  RefReader r(frame);
  ::ConnectResponse resp{};
  ASSERT_EQ(deserialize_ConnectResponse(r.ia(), "connect", &resp), 0);
  EXPECT_EQ(resp.timeOut, 20000);
  EXPECT_EQ(resp.sessionId, 0x99);
  EXPECT_EQ(std::string(resp.passwd.buff, resp.passwd.len), "fedcba9876543210");
  deallocate_ConnectResponse(&resp);

  got->has_read_only = false;  // an old client: 36 bytes
  EXPECT_EQ(EncodeConnectResponse(*got, 20000, 0x99, "fedcba9876543210", false).size(), 4u + 36u);
}

TEST(ZkCodecReference, CreateTtlRequest) {
  RefWriter w;
  SerializeHeader(w, 7, proto::OP_CREATE_TTL);
  ACL acl{31, {C("world"), C("anyone")}};
  CreateTTLRequest req{C("/a/b"), {3, C("xyz")}, {1, &acl}, 6, 5000};
  ASSERT_EQ(serialize_CreateTTLRequest(w.oa(), "req", &req), 0);
  auto got = DecodeRequest(w.bytes());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->shape.xid, 7);
  EXPECT_EQ(got->shape.op, proto::OP_CREATE_TTL);
  const proto::CreateRequest& c = got->request.create();
  EXPECT_EQ(c.path(), "/a/b");
  EXPECT_EQ(c.data(), "xyz");
  ASSERT_EQ(c.acl_size(), 1);
  EXPECT_EQ(c.acl(0).perms(), 31);
  EXPECT_EQ(c.acl(0).id().scheme(), "world");
  EXPECT_EQ(c.acl(0).id().id(), "anyone");
  EXPECT_EQ(c.mode(), proto::PERSISTENT_SEQUENTIAL_WITH_TTL);
  EXPECT_EQ(c.ttl_ms(), 5000);
}

TEST(ZkCodecReference, GetDataSetDataAndSetWatches2) {
  {
    RefWriter w;
    SerializeHeader(w, 3, proto::OP_GET_DATA);
    GetDataRequest req{C("/n"), 1};
    ASSERT_EQ(serialize_GetDataRequest(w.oa(), "req", &req), 0);
    auto got = DecodeRequest(w.bytes());
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->request.get_data().path(), "/n");
    EXPECT_TRUE(got->request.get_data().watch());
  }
  {
    RefWriter w;
    SerializeHeader(w, 4, proto::OP_SET_DATA);
    SetDataRequest req{C("/n"), {2, C("hi")}, 9};
    ASSERT_EQ(serialize_SetDataRequest(w.oa(), "req", &req), 0);
    auto got = DecodeRequest(w.bytes());
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->request.set_data().data(), "hi");
    EXPECT_EQ(got->request.set_data().version(), 9);
  }
  {
    RefWriter w;
    SerializeHeader(w, kSetWatchesXid, proto::OP_SET_WATCHES2);
    char* data[] = {C("/d1"), C("/d2")};
    char* child[] = {C("/c")};
    char* rec[] = {C("/r")};
    SetWatches2 req{0x300000001, {2, data}, {0, nullptr}, {1, child}, {0, nullptr}, {1, rec}};
    ASSERT_EQ(serialize_SetWatches2(w.oa(), "req", &req), 0);
    auto got = DecodeRequest(w.bytes());
    ASSERT_TRUE(got.ok()) << got.status();
    const proto::SetWatchesRequest& s = got->request.set_watches();
    EXPECT_EQ(s.relative_zxid(), 0x300000001);
    ASSERT_EQ(s.data_watches_size(), 2);
    EXPECT_EQ(s.data_watches(1), "/d2");
    EXPECT_EQ(s.child_watches_size(), 1);
    EXPECT_EQ(s.persistent_recursive_watches(0), "/r");
  }
}

TEST(ZkCodecReference, MultiRequestKeepsOpsAndTheirTypes) {
  RefWriter w;
  SerializeHeader(w, 11, proto::OP_MULTI);
  MultiHeader h1{proto::OP_CHECK, 0, -1};
  CheckVersionRequest check{C("/a"), 2};
  MultiHeader h2{proto::OP_CREATE2, 0, -1};
  ACL acl{31, {C("world"), C("anyone")}};
  CreateRequest create{C("/a/x"), {1, C("v")}, {1, &acl}, 1};
  MultiHeader h3{proto::OP_DELETE, 0, -1};
  DeleteRequest del{C("/b"), -1};
  MultiHeader end{-1, 1, -1};
  ASSERT_EQ(serialize_MultiHeader(w.oa(), "h", &h1), 0);
  ASSERT_EQ(serialize_CheckVersionRequest(w.oa(), "op", &check), 0);
  ASSERT_EQ(serialize_MultiHeader(w.oa(), "h", &h2), 0);
  ASSERT_EQ(serialize_CreateRequest(w.oa(), "op", &create), 0);
  ASSERT_EQ(serialize_MultiHeader(w.oa(), "h", &h3), 0);
  ASSERT_EQ(serialize_DeleteRequest(w.oa(), "op", &del), 0);
  ASSERT_EQ(serialize_MultiHeader(w.oa(), "h", &end), 0);
  auto got = DecodeRequest(w.bytes());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->shape.multi_types,
            (std::vector<int32_t>{proto::OP_CHECK, proto::OP_CREATE2, proto::OP_DELETE}));
  const proto::MultiRequest& m = got->request.multi();
  ASSERT_EQ(m.ops_size(), 3);
  EXPECT_EQ(m.ops(0).check().version(), 2);
  EXPECT_EQ(m.ops(1).create().mode(), proto::EPHEMERAL);
  EXPECT_EQ(m.ops(2).delete_().path(), "/b");
}

TEST(ZkCodecReference, Create2AndGetChildren2Replies) {
  proto::Response r;
  r.set_zxid(0x100000009);
  r.mutable_create()->set_path("/q-0000000001");
  *r.mutable_create()->mutable_stat() = SomeStat();
  {
    RefReader in(EncodeReply(Shape(5, proto::OP_CREATE2), r));
    ReplyHeader h = ReadHeader(in);
    EXPECT_EQ(h.xid, 5);
    EXPECT_EQ(h.zxid, 0x100000009);
    EXPECT_EQ(h.err, 0);
    Create2Response c{};
    ASSERT_EQ(deserialize_Create2Response(in.ia(), "r", &c), 0);
    EXPECT_STREQ(c.path, "/q-0000000001");
    ExpectStat(c.stat, SomeStat());
    deallocate_Create2Response(&c);
  }
  {
    RefReader in(EncodeReply(Shape(5, proto::OP_CREATE), r));
    ReadHeader(in);
    CreateResponse c{};
    ASSERT_EQ(deserialize_CreateResponse(in.ia(), "r", &c), 0);
    EXPECT_STREQ(c.path, "/q-0000000001");
    deallocate_CreateResponse(&c);
  }
  proto::Response kids;
  kids.mutable_get_children()->add_children("a");
  kids.mutable_get_children()->add_children("b");
  *kids.mutable_get_children()->mutable_stat() = SomeStat();
  RefReader in(EncodeReply(Shape(6, proto::OP_GET_CHILDREN2), kids));
  ReadHeader(in);
  GetChildren2Response g{};
  ASSERT_EQ(deserialize_GetChildren2Response(in.ia(), "r", &g), 0);
  ASSERT_EQ(g.children.count, 2);
  EXPECT_STREQ(g.children.data[1], "b");
  ExpectStat(g.stat, SomeStat());
  deallocate_GetChildren2Response(&g);
}

TEST(ZkCodecReference, ErrorIsHeaderOnly) {
  proto::Response r;
  r.set_zxid(0x10);
  r.set_err(proto::NO_NODE);
  const std::string frame = EncodeReply(Shape(8, proto::OP_EXISTS), r);
  EXPECT_EQ(frame.size(), 4u + 16u);
  RefReader in(frame);
  ReplyHeader h = ReadHeader(in);
  EXPECT_EQ(h.xid, 8);
  EXPECT_EQ(h.err, -101);
}

TEST(ZkCodecReference, FailedMultiIsOkHeaderWithAnErrorResultPerOp) {
  proto::Response r;
  r.set_zxid(0x20);
  r.set_err(proto::NO_NODE);
  r.mutable_multi()->add_results()->set_err(proto::OK);
  r.mutable_multi()->add_results()->set_err(proto::NO_NODE);
  r.mutable_multi()->add_results()->set_err(proto::RUNTIME_INCONSISTENCY);
  RefReader in(EncodeReply(Shape(9, proto::OP_MULTI, {1, 5, 2}), r));
  ReplyHeader h = ReadHeader(in);
  EXPECT_EQ(h.err, 0);
  for (int32_t want : {0, -101, -2}) {
    MultiHeader mh{};
    ASSERT_EQ(deserialize_MultiHeader(in.ia(), "h", &mh), 0);
    EXPECT_EQ(mh.type, -1);
    EXPECT_EQ(mh.done, 0);
    EXPECT_EQ(mh.err, want);
    ErrorResponse e{};
    ASSERT_EQ(deserialize_ErrorResponse(in.ia(), "e", &e), 0);
    EXPECT_EQ(e.err, want);
  }
  MultiHeader end{};
  ASSERT_EQ(deserialize_MultiHeader(in.ia(), "h", &end), 0);
  EXPECT_EQ(end.type, -1);
  EXPECT_EQ(end.done, 1);
}

TEST(ZkCodecReference, SuccessfulMultiAnswersEachOpInItsType) {
  proto::Response r;
  proto::OpResult* create = r.mutable_multi()->add_results();
  create->mutable_create()->set_path("/x");
  *create->mutable_create()->mutable_stat() = SomeStat();
  *r.mutable_multi()->add_results()->mutable_set_data()->mutable_stat() = SomeStat();
  r.mutable_multi()->add_results()->set_check(true);
  RefReader in(EncodeReply(Shape(9, proto::OP_MULTI, {1, 5, 13}), r));
  ReadHeader(in);
  MultiHeader mh{};
  ASSERT_EQ(deserialize_MultiHeader(in.ia(), "h", &mh), 0);
  EXPECT_EQ(mh.type, 1);
  CreateResponse c{};
  ASSERT_EQ(deserialize_CreateResponse(in.ia(), "r", &c), 0);  // create: path only
  EXPECT_STREQ(c.path, "/x");
  deallocate_CreateResponse(&c);
  ASSERT_EQ(deserialize_MultiHeader(in.ia(), "h", &mh), 0);
  EXPECT_EQ(mh.type, 5);
  SetDataResponse s{};
  ASSERT_EQ(deserialize_SetDataResponse(in.ia(), "r", &s), 0);
  ExpectStat(s.stat, SomeStat());
  ASSERT_EQ(deserialize_MultiHeader(in.ia(), "h", &mh), 0);
  EXPECT_EQ(mh.type, 13);
  ASSERT_EQ(deserialize_MultiHeader(in.ia(), "h", &mh), 0);
  EXPECT_EQ(mh.done, 1);
}

// What ZooKeeper 3.8 sends for creates inside a multi (seen with
// tests/integration/zkwire/differential_test.py): create2 answers as create,
// createContainer and createTTL as create2.
TEST(ZkCodecReference, MultiCreateResultsAsZooKeeperTypesThem) {
  proto::Response r;
  for (int i = 0; i < 3; ++i) {
    proto::OpResult* c = r.mutable_multi()->add_results();
    c->mutable_create()->set_path("/p" + std::to_string(i));
    *c->mutable_create()->mutable_stat() = SomeStat();
  }
  RefReader in(EncodeReply(Shape(9, proto::OP_MULTI, {15, 19, 21}), r));
  ReadHeader(in);
  MultiHeader mh{};
  ASSERT_EQ(deserialize_MultiHeader(in.ia(), "h", &mh), 0);
  EXPECT_EQ(mh.type, 1);
  CreateResponse c{};
  ASSERT_EQ(deserialize_CreateResponse(in.ia(), "r", &c), 0);
  EXPECT_STREQ(c.path, "/p0");
  deallocate_CreateResponse(&c);
  for (const char* want : {"/p1", "/p2"}) {
    ASSERT_EQ(deserialize_MultiHeader(in.ia(), "h", &mh), 0);
    EXPECT_EQ(mh.type, 15);
    Create2Response c2{};
    ASSERT_EQ(deserialize_Create2Response(in.ia(), "r", &c2), 0);
    EXPECT_STREQ(c2.path, want);
    ExpectStat(c2.stat, SomeStat());
    deallocate_Create2Response(&c2);
  }
  ASSERT_EQ(deserialize_MultiHeader(in.ia(), "h", &mh), 0);
  EXPECT_EQ(mh.done, 1);
}

TEST(ZkCodecReference, NotificationAndGetDataReplies) {
  proto::Response ev;
  ev.set_xid(-1);
  ev.set_zxid(0x33);
  ev.mutable_watch_event()->set_type(proto::NODE_DATA_CHANGED);
  ev.mutable_watch_event()->set_state(proto::SYNC_CONNECTED);
  ev.mutable_watch_event()->set_path("/w");
  {
    RefReader in(EncodeNotification(ev));
    ReplyHeader h = ReadHeader(in);
    EXPECT_EQ(h.xid, -1);
    WatcherEvent w{};
    ASSERT_EQ(deserialize_WatcherEvent(in.ia(), "e", &w), 0);
    EXPECT_EQ(w.type, 3);
    EXPECT_EQ(w.state, 3);
    EXPECT_STREQ(w.path, "/w");
    deallocate_WatcherEvent(&w);
  }
  proto::Response get;
  get.mutable_get_data()->set_data(std::string("\0\1", 2));
  *get.mutable_get_data()->mutable_stat() = SomeStat();
  RefReader in(EncodeReply(Shape(4, proto::OP_GET_DATA), get));
  ReadHeader(in);
  GetDataResponse g{};
  ASSERT_EQ(deserialize_GetDataResponse(in.ia(), "r", &g), 0);
  EXPECT_EQ(std::string(g.data.buff, g.data.len), std::string("\0\1", 2));
  ExpectStat(g.stat, SomeStat());
  deallocate_GetDataResponse(&g);
}

TEST(ZkCodecMalformed, UnknownOpcodeTruncationAndTrailingBytesAreNamed) {
  RefWriter w;
  SerializeHeader(w, 1, 99);
  auto unknown = DecodeRequest(w.bytes());
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(), "bad request: unknown opcode 99");

  RefWriter c;
  SerializeHeader(c, 2, proto::OP_SET_DATA);
  SetDataRequest req{C("/n"), {2, C("hi")}, 9};
  ASSERT_EQ(serialize_SetDataRequest(c.oa(), "req", &req), 0);
  const std::string whole = c.bytes();
  for (size_t cut = 0; cut < whole.size(); ++cut) {
    EXPECT_FALSE(DecodeRequest(whole.substr(0, cut)).ok()) << "cut at " << cut;
  }
  auto trailing = DecodeRequest(whole + "x");
  ASSERT_FALSE(trailing.ok());
  EXPECT_EQ(trailing.status().message(), "bad request: 1 bytes after the op 5 request");
  EXPECT_FALSE(DecodeConnect("short").ok());
}

TEST(ZkCodecMalformed, RandomBytesNeverCrashOrReadPastTheEnd) {
  std::mt19937_64 rng(42);
  int decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string bytes(rng() % 64, '\0');
    for (char& b : bytes) b = static_cast<char>(rng());
    // A valid header half the time, so bodies get exercised too.
    if (bytes.size() >= 8 && i % 2 == 0) {
      const int32_t ops[] = {1, 2, 3, 4, 5, 7, 8, 12, 14, 15, 17, 21, 22, 101, 105, 106};
      const int32_t op = htonl(static_cast<uint32_t>(ops[rng() % std::size(ops)]));
      std::memcpy(bytes.data() + 4, &op, 4);
    }
    decoded += DecodeRequest(bytes).ok() ? 1 : 0;
    (void)DecodeConnect(bytes);
  }
  EXPECT_LT(decoded, 20000);  // most random records are rejected, none crashed
}

}  // namespace
}  // namespace zabkeeper::zkwire
