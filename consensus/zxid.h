// Zxid: ZooKeeper's transaction id, epoch << 32 | counter.
//
// Guarantees: total order equal to the order of the raw 64-bit value (epoch
// first, then counter); formatting as ZooKeeper prints it ("0x" + lower-case
// hex of the raw value, e.g. 0x100000003 is epoch 1 counter 3). The counter
// never wraps: a leader whose counter is exhausted must start a new epoch
// (see Peer::Propose), which is why there is no Next() that could overflow.
#ifndef ZABKEEPER_CONSENSUS_ZXID_H_
#define ZABKEEPER_CONSENSUS_ZXID_H_

#include <compare>
#include <cstdint>
#include <limits>
#include <ostream>
#include <string>

namespace zab {

// An epoch (the high 32 bits of a zxid): acceptedEpoch / currentEpoch.
using Epoch = uint32_t;
// A server id ("myid"); voters are numbered from 1.
using ServerId = uint64_t;

class Zxid {
 public:
  static constexpr uint32_t kMaxCounter = std::numeric_limits<uint32_t>::max();

  constexpr Zxid() = default;
  constexpr Zxid(Epoch epoch, uint32_t counter)
      : raw_((static_cast<uint64_t>(epoch) << 32) | counter) {}
  static constexpr Zxid FromRaw(uint64_t raw) {
    Zxid z;
    z.raw_ = raw;
    return z;
  }
  // The largest value: as an upper bound, it bounds nothing.
  static constexpr Zxid Max() { return FromRaw(std::numeric_limits<uint64_t>::max()); }

  constexpr uint64_t raw() const { return raw_; }
  constexpr Epoch epoch() const { return static_cast<Epoch>(raw_ >> 32); }
  constexpr uint32_t counter() const { return static_cast<uint32_t>(raw_); }
  constexpr bool IsZero() const { return raw_ == 0; }

  constexpr auto operator<=>(const Zxid&) const = default;

  // "0x100000003" (ZooKeeper's Long.toHexString with a 0x prefix).
  std::string ToString() const;

  template <typename Sink>
  friend void AbslStringify(Sink& sink, Zxid z) {
    sink.Append(z.ToString());
  }
  friend std::ostream& operator<<(std::ostream& os, Zxid z) { return os << z.ToString(); }

 private:
  uint64_t raw_ = 0;
};

}  // namespace zab

#endif  // ZABKEEPER_CONSENSUS_ZXID_H_
