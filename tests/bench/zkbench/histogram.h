// LatencyHistogram: log-linear buckets over microseconds (HdrHistogram-like,
// 64 sub-buckets per power of two, so about 1.5% relative precision), cheap to
// record into and to merge. Not thread-safe: one per recording thread.
#ifndef ZABKEEPER_TESTS_BENCH_ZKBENCH_HISTOGRAM_H_
#define ZABKEEPER_TESTS_BENCH_ZKBENCH_HISTOGRAM_H_

#include <array>
#include <cstdint>

namespace zkbench {

class LatencyHistogram {
 public:
  void Record(uint64_t micros);
  void Merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / count_; }
  // The value at quantile q in [0, 1] (upper edge of its bucket, capped at max).
  uint64_t Quantile(double q) const;

 private:
  static constexpr int kSubBits = 6;  // 64 sub-buckets
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kBuckets = (64 - kSubBits + 1) * kSub;
  static int Index(uint64_t v);
  static uint64_t UpperEdge(int index);

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t max_ = 0;
};

}  // namespace zkbench

#endif  // ZABKEEPER_TESTS_BENCH_ZKBENCH_HISTOGRAM_H_
