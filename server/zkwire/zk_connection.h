// One ZooKeeper-protocol client connection (see zk_front_end.h): its socket,
// the requests it has in flight, and the replies going out.
//
// Everything of a connection runs on its strand; the core thread reaches it
// only through the ClientStream it registered, which posts onto the strand.
#ifndef ZABKEEPER_SERVER_ZKWIRE_ZK_CONNECTION_H_
#define ZABKEEPER_SERVER_ZKWIRE_ZK_CONNECTION_H_

#include <array>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "asio/strand.hpp"
#include "server/node_runtime.h"
#include "server/zkwire/connection_stats.h"
#include "server/zkwire/sasl_digest.h"
#include "server/zkwire/zk_codec.h"
#include "server/zkwire/zk_stream.h"

namespace zabkeeper::zkwire {

class ZkConnection : public std::enable_shared_from_this<ZkConnection> {
 public:
  // `stream` completes on `strand`.
  ZkConnection(std::unique_ptr<ZkStream> stream, ZkStream::Strand strand,
               server::NodeRuntime* runtime, int32_t max_frame, size_t max_outstanding,
               const std::set<std::string>* four_letter_words, const SaslSettings* sasl,
               ConnectionRegistry* registry);
  ~ZkConnection();

  // Shakes hands (TLS), registers with the runtime (which may refuse:
  // maxClientCnxns, maxCnxns) and reads.
  void Start();

  // From the core thread, through the registered ClientStream.
  void Deliver(std::vector<proto::Response> responses);
  void CloseAfterFlush();

 private:
  // A reply this connection owes, in request order: the shape of a request
  // the core answers, or a frame answered here.
  struct Owed {
    RequestShape shape;
    std::string local_frame;  // non-empty: answered by the front end
    bool connect = false;
    int64_t received_ms = 0;   // for the latency `cons` shows
    bool close_after = false;  // a refusal: the connection ends once it is sent
  };
  void Owe(Owed owed);

  void ReadLength();
  void ReadPayload(size_t length);
  void OnFrame();
  void OnConnectFrame();
  void OnRequestFrame();
  // One step of a SASL exchange, answered here (the identity goes to the
  // core before the reply that tells the client it is authenticated).
  void OnSasl(const RequestShape& shape, const std::string& token);
  void Answer(const proto::Response& r);
  void AnswerConnect(const proto::Response& r);
  void FlushLocalReplies();
  void Send(std::string frame);
  void WriteNext();
  // Ends the connection now (bad input, refused session): logged with why.
  void Drop(const std::string& why);
  void Shutdown();
  void MaybeResumeReading();

  ZkStream::Strand strand_;
  std::unique_ptr<ZkStream> stream_;
  server::NodeRuntime* const runtime_;
  const int32_t max_frame_;
  const size_t max_outstanding_;
  const std::set<std::string>* const four_letter_words_;
  const SaslSettings* const sasl_settings_;
  std::unique_ptr<SaslExchange> sasl_;
  ConnectionRegistry* const registry_;
  std::shared_ptr<ConnectionStats> stats_;
  std::string peer_, peer_ip_;
  server::ConnId conn_ = 0;

  std::array<char, 4> length_{};
  std::string payload_;
  bool reading_ = false;      // a read is in flight
  bool read_paused_ = false;  // back-pressure: too many replies owed
  bool handshake_sent_ = false;
  ConnectRequest connect_;
  std::deque<Owed> owed_;

  std::deque<std::string> outbox_;
  bool writing_ = false;
  bool closing_ = false;  // close once the outbox is written
  bool closed_ = false;
};

}  // namespace zabkeeper::zkwire

#endif  // ZABKEEPER_SERVER_ZKWIRE_ZK_CONNECTION_H_
