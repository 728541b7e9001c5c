// EpochStore: ZAB's acceptedEpoch and currentEpoch. Each setter is durable
// when it returns OK; the consensus core acts on a new epoch only after that
// (writing them in the wrong order lost data in ZooKeeper: ZOOKEEPER-1653).
#ifndef ZABKEEPER_STORAGE_EPOCH_STORE_H_
#define ZABKEEPER_STORAGE_EPOCH_STORE_H_

#include <cstdint>

#include "absl/status/status.h"

namespace zabkeeper::storage {

class EpochStore {
 public:
  virtual ~EpochStore() = default;
  virtual uint32_t AcceptedEpoch() const = 0;
  virtual uint32_t CurrentEpoch() const = 0;
  virtual absl::Status SetAcceptedEpoch(uint32_t epoch) = 0;
  virtual absl::Status SetCurrentEpoch(uint32_t epoch) = 0;
};

}  // namespace zabkeeper::storage

#endif  // ZABKEEPER_STORAGE_EPOCH_STORE_H_
