// zabsim: soak the ZAB core in the deterministic cluster simulator.
//
//   zabsim --nodes 3|5 --seeds N --steps M [--seed-start S]
//   zabsim --nodes 3|5 --seed S --steps M --verbose      (replay one seed)
//
// Prints every failing seed with its invariant and the events before it, and
// ends with "zabsim nodes=N seeds=N steps=M violations=V"; exits 1 if V > 0.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "glog/logging.h"
#include "tests/sim/random_run.h"

namespace {

void Usage() {
  std::fprintf(stderr,
               "usage: zabsim --nodes 3|5 --seeds N --steps M [--seed-start S]\n"
               "       zabsim --nodes 3|5 --seed S [--steps M] [--verbose]\n");
  std::exit(2);
}

bool ParseU64(const char* s, uint64_t* out) {
  char* end = nullptr;
  unsigned long long v = std::strtoull(s, &end, 10);
  if (end == s || *end != '\0') return false;
  *out = v;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  google::InitGoogleLogging(argv[0]);
  FLAGS_minloglevel = 3;  // the core's own LOG(ERROR)s are reported as violations
  uint64_t nodes = 3, seeds = 100, steps = 2000, seed_start = 0, single = 0;
  bool have_single = false, verbose = false, stats = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](uint64_t* out) {
      if (i + 1 >= argc || !ParseU64(argv[++i], out)) Usage();
    };
    if (a == "--nodes") {
      value(&nodes);
    } else if (a == "--seeds") {
      value(&seeds);
    } else if (a == "--steps") {
      value(&steps);
    } else if (a == "--seed-start") {
      value(&seed_start);
    } else if (a == "--seed") {
      value(&single);
      have_single = true;
    } else if (a == "--verbose") {
      verbose = true;
    } else if (a == "--stats") {
      stats = true;
    } else {
      Usage();
    }
  }
  if (nodes != 3 && nodes != 5) Usage();
  if (have_single) {
    seed_start = single;
    seeds = 1;
  }
  if (verbose) FLAGS_minloglevel = 0;
  auto t0 = std::chrono::steady_clock::now();
  uint64_t violations = 0, total_steps = 0, committed = 0;
  for (uint64_t s = seed_start; s < seed_start + seeds; ++s) {
    zab::sim::RunResult r = zab::sim::RunRandomSeed(static_cast<int>(nodes), s, steps, verbose);
    total_steps += r.steps;
    committed += r.committed;
    if (!r.ok) {
      ++violations;
      std::printf("FAIL seed=%llu nodes=%llu: %s\n", static_cast<unsigned long long>(s),
                  static_cast<unsigned long long>(nodes), r.violation.c_str());
      if (!verbose) {
        std::printf("%s  replay: zabsim --nodes %llu --seed %llu --steps %llu --verbose\n",
                    r.trace.c_str(), static_cast<unsigned long long>(nodes),
                    static_cast<unsigned long long>(s), static_cast<unsigned long long>(steps));
      }
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (stats) {
    std::printf("simulated steps=%llu committed=%llu seconds=%.2f steps_per_sec=%.0f\n",
                static_cast<unsigned long long>(total_steps),
                static_cast<unsigned long long>(committed), secs,
                static_cast<double>(total_steps) / secs);
  }
  std::printf("zabsim nodes=%llu seeds=%llu steps=%llu violations=%llu\n",
              static_cast<unsigned long long>(nodes), static_cast<unsigned long long>(seeds),
              static_cast<unsigned long long>(steps), static_cast<unsigned long long>(violations));
  return violations > 0 ? 1 : 0;
}
