// Connection: one client stream and the session bound to it, as seen by the
// request pipeline. It keeps the session's answers in request order: writes
// complete when applied, reads queued behind an unfinished write run only
// after it (so a read sees the session's own earlier writes), and watch
// events go out on the same FIFO stream as replies.
//
// The node core implements Send/CloseStream (its batch collects what is
// sent). Single-threaded: only the core's thread touches a Connection.
#ifndef ZABKEEPER_SERVER_CONNECTION_H_
#define ZABKEEPER_SERVER_CONNECTION_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "zabkeeper/client.pb.h"

namespace zabkeeper::server {

// A transport peer name ("ipv4:127.0.0.1:5000") without scheme and port.
std::string PeerIp(const std::string& peer);

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // Executes a read; appends its reply (and any watch events it fires, ahead of
  // the reply) to out.
  using ReadFn = std::function<void(const proto::Request&, std::vector<proto::Response>* out)>;

  explicit Connection(std::string peer) : peer_(std::move(peer)) {}
  virtual ~Connection() = default;

  const std::string& peer() const { return peer_; }
  // The client's address without port ("127.0.0.1").
  std::string peer_ip() const;
  // Identities for ACL checks: ip:<address> plus ids added with addAuth.
  std::vector<proto::Id> auth() const;
  void AddAuth(proto::Id id);
  int64_t session_id() const { return session_id_; }
  void set_session_id(int64_t id) { session_id_ = id; }

  // A write (or connect/close) with this xid is now in the pipeline.
  void ExpectWrite(int64_t xid);
  // Runs the read now if nothing is ahead of it, else queues it.
  void Read(const proto::Request& request, const ReadFn& execute);
  // Sends a reply that depends on nothing queued (errors found before the
  // pipeline); it still waits behind queued items.
  void Reply(proto::Response response);
  // The oldest unfinished write finished with this response. Reads queued
  // right behind it run now, before any later write is applied, so each read
  // sees exactly the session's earlier writes.
  // Returns false (and changes nothing) when the oldest unfinished write is
  // not response.xid(): that reply belongs to a request this stream never
  // sent or already gave up on.
  bool CompleteWrite(proto::Response response, const ReadFn& execute);
  // A watch event: goes out at once, ahead of anything still queued.
  void Event(proto::Response event);

  // Ends the stream after what was sent is flushed.
  virtual void CloseStream() = 0;

 protected:
  // Appends to the outgoing batch.
  virtual void Send(proto::Response response) = 0;

 private:
  struct Item {
    int64_t xid = 0;
    bool is_write = false;
    bool done = false;
    proto::Request read;
    proto::Response response;
  };
  void PopDone(const ReadFn* execute);

  const std::string peer_;
  int64_t session_id_ = 0;
  std::vector<proto::Id> added_auth_;
  std::deque<Item> queue_;  // bounded by the server's in-flight limit
};

}  // namespace zabkeeper::server

#endif  // ZABKEEPER_SERVER_CONNECTION_H_
