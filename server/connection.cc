#include "server/connection.h"

#include "glog/logging.h"

namespace zabkeeper::server {

std::string Connection::peer_ip() const { return PeerIp(peer_); }

std::string PeerIp(const std::string& peer) {
  // gRPC peers look like "ipv4:127.0.0.1:5000" or "ipv6:[::1]:5000".
  std::string rest = peer;
  size_t colon = rest.find(':');
  if (colon != std::string::npos && rest.compare(0, 3, "ipv") == 0) rest = rest.substr(colon + 1);
  size_t last = rest.rfind(':');
  if (last != std::string::npos) rest = rest.substr(0, last);
  return rest;
}

std::vector<proto::Id> Connection::auth() const {
  std::vector<proto::Id> ids;
  proto::Id& ip = ids.emplace_back();
  ip.set_scheme("ip");
  ip.set_id(peer_ip());
  ids.insert(ids.end(), added_auth_.begin(), added_auth_.end());
  return ids;
}

void Connection::AddAuth(proto::Id id) {
  for (const proto::Id& have : added_auth_) {
    if (have.scheme() == id.scheme() && have.id() == id.id()) return;
  }
  added_auth_.push_back(std::move(id));
}

void Connection::ExpectWrite(int64_t xid) {
  Item item;
  item.xid = xid;
  item.is_write = true;
  queue_.push_back(std::move(item));
}

void Connection::Read(const proto::Request& request, const ReadFn& execute) {
  if (queue_.empty()) {
    std::vector<proto::Response> out;
    execute(request, &out);
    for (proto::Response& r : out) Send(std::move(r));
    return;
  }
  Item item;
  item.xid = request.xid();
  item.read = request;
  queue_.push_back(std::move(item));
}

void Connection::Reply(proto::Response response) {
  if (queue_.empty()) {
    Send(std::move(response));
    return;
  }
  Item item;
  item.xid = response.xid();
  item.done = true;
  item.response = std::move(response);
  queue_.push_back(std::move(item));
}

bool Connection::CompleteWrite(proto::Response response, const ReadFn& execute) {
  for (Item& item : queue_) {
    if (item.is_write && !item.done) {
      if (item.xid != response.xid()) {
        LOG(WARNING) << "reply for xid " << response.xid() << " while xid " << item.xid
                     << " is the oldest pending write of session 0x" << std::hex << session_id();
        return false;
      }
      item.done = true;
      item.response = std::move(response);
      PopDone(&execute);
      return true;
    }
  }
  return false;
}

void Connection::PopDone(const ReadFn* execute) {
  while (!queue_.empty()) {
    Item& head = queue_.front();
    if (head.done) {
      Send(std::move(head.response));
    } else if (!head.is_write && execute != nullptr) {
      std::vector<proto::Response> out;
      (*execute)(head.read, &out);
      for (proto::Response& r : out) Send(std::move(r));
    } else {
      return;
    }
    queue_.pop_front();
  }
}

void Connection::Event(proto::Response event) { Send(std::move(event)); }

}  // namespace zabkeeper::server
