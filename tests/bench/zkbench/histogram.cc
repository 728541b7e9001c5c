#include "tests/bench/zkbench/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace zkbench {

// Values below kSub map one to one; above, the top kSubBits bits below the
// leading one select the sub-bucket of the value's power of two.
int LatencyHistogram::Index(uint64_t v) {
  if (v < kSub) return static_cast<int>(v);
  int msb = 63 - std::countl_zero(v);
  int shift = msb - kSubBits;
  int group = shift + 1;
  return group * kSub + static_cast<int>((v >> shift) & (kSub - 1));
}

uint64_t LatencyHistogram::UpperEdge(int index) {
  if (index < kSub) return static_cast<uint64_t>(index);
  int group = index / kSub;
  int shift = group - 1;
  uint64_t base = (uint64_t{1} << (shift + kSubBits)) | (uint64_t(index % kSub) << shift);
  return base + ((uint64_t{1} << shift) - 1);
}

void LatencyHistogram::Record(uint64_t micros) {
  ++counts_[Index(micros)];
  ++count_;
  sum_ += micros;
  max_ = std::max(max_, micros);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

uint64_t LatencyHistogram::Quantile(double q) const {
  if (count_ == 0) return 0;
  auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(UpperEdge(i), max_);
  }
  return max_;
}

}  // namespace zkbench
