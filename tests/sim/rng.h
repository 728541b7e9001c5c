// Rng: the simulator's seeded random source (splitmix64). One per cluster,
// so a seed fixes the whole schedule.
#ifndef ZABKEEPER_TESTS_SIM_RNG_H_
#define ZABKEEPER_TESTS_SIM_RNG_H_

#include <cstdint>
#include <utility>
#include <vector>

namespace zab::sim {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed * 0x2545F4914F6CDD1DULL + 1) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi].
  int64_t Range(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Chance(double p) { return static_cast<double>(Next() >> 11) * 0x1.0p-53 < p; }
  // Fisher-Yates, from the back.
  template <typename T>
  void Shuffle(std::vector<T>& v) {
    for (size_t k = v.size(); k > 1; --k) {
      std::swap(v[k - 1], v[static_cast<size_t>(Range(0, static_cast<int64_t>(k) - 1))]);
    }
  }

 private:
  uint64_t state_;
};

}  // namespace zab::sim

#endif  // ZABKEEPER_TESTS_SIM_RNG_H_
