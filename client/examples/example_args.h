// Tiny --key=value argument reader shared by the recipe examples.
#ifndef ZABKEEPER_CLIENT_EXAMPLES_EXAMPLE_ARGS_H_
#define ZABKEEPER_CLIENT_EXAMPLES_EXAMPLE_ARGS_H_

#include <cstdlib>
#include <map>
#include <string>

namespace zk::examples {

class Args {
 public:
  Args(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (a.rfind("--", 0) != 0) continue;
      const size_t eq = a.find('=');
      if (eq == std::string::npos) {
        values_[a.substr(2)] = "true";
      } else {
        values_[a.substr(2, eq - 2)] = a.substr(eq + 1);
      }
    }
  }
  std::string Get(const std::string& key, const std::string& def) const {
    auto it = values_.find(key);
    return it == values_.end() ? def : it->second;
  }
  long GetInt(const std::string& key, long def) const {
    auto it = values_.find(key);
    return it == values_.end() ? def : std::strtol(it->second.c_str(), nullptr, 10);
  }

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace zk::examples

#endif  // ZABKEEPER_CLIENT_EXAMPLES_EXAMPLE_ARGS_H_
