#include "tests/bench/zkbench/report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace zkbench {
namespace {

double OpsPerSecond(const RunResult& r) { return r.seconds > 0 ? r.ops / r.seconds : 0.0; }

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += absl::StrFormat("\\u%04x", c);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

std::string HumanReport(const Options& o, const std::string& driver, const RunResult& r) {
  const auto& h = r.latency;
  std::string out = absl::StrFormat(
      "zkbench %s on %s: workload %s, %d sessions x %d outstanding, %d-byte values\n", driver,
      o.connect, o.workload, o.sessions, o.outstanding, o.value_size);
  absl::StrAppendFormat(&out, "  %llu ops in %.2f s = %.0f ops/s, %llu errors", r.ops, r.seconds,
                        OpsPerSecond(r), r.errors);
  if (r.undrained > 0) absl::StrAppendFormat(&out, ", %llu never completed", r.undrained);
  for (const auto& [code, n] : r.error_codes) {
    absl::StrAppendFormat(&out, "\n  error %d: %llu times (any phase)", code, n);
  }
  absl::StrAppendFormat(
      &out, "\n  latency us: p50 %llu  p90 %llu  p99 %llu  p99.9 %llu  max %llu  mean %.1f\n",
      h.Quantile(0.5), h.Quantile(0.9), h.Quantile(0.99), h.Quantile(0.999), h.max(), h.mean());
  return out;
}

std::string JsonLine(const Options& o, const std::string& driver, const RunResult& r) {
  const auto& h = r.latency;
  std::string out = absl::StrFormat(
      "{\"workload\":%s,\"driver\":%s,\"sessions\":%d,\"outstanding\":%d,\"value_size\":%d,"
      "\"seconds\":%.3f,\"ops\":%llu,\"ops_s\":%.1f,\"errors\":%llu,\"undrained\":%llu,"
      "\"p50_us\":%llu,\"p90_us\":%llu,\"p99_us\":%llu,\"p999_us\":%llu,\"max_us\":%llu,"
      "\"mean_us\":%.1f",
      JsonString(o.workload), JsonString(driver), o.sessions, o.outstanding, o.value_size,
      r.seconds, r.ops, OpsPerSecond(r), r.errors, r.undrained, h.Quantile(0.5), h.Quantile(0.9),
      h.Quantile(0.99), h.Quantile(0.999), h.max(), h.mean());
  if (o.workload == "mixed") absl::StrAppendFormat(&out, ",\"read_ratio\":%.3f", o.read_ratio);
  if (o.workload == "watch") absl::StrAppendFormat(&out, ",\"watchers\":%d", o.sessions);
  if (!r.error_codes.empty()) {
    std::string codes;
    for (const auto& [code, n] : r.error_codes) {
      absl::StrAppend(&codes, codes.empty() ? "" : ",", "\"", code, "\":", n);
    }
    absl::StrAppend(&out, ",\"error_codes\":{", codes, "}");
  }
  if (!o.label.empty()) absl::StrAppend(&out, ",\"label\":", JsonString(o.label));
  return out + "}";
}

}  // namespace zkbench
