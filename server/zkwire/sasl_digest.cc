#include "server/zkwire/sasl_digest.h"

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace zabkeeper::zkwire {
namespace {

constexpr char kService[] = "zookeeper";
constexpr char kServerName[] = "zk-sasl-md5";  // ZooKeeper's DIGEST-MD5 server name
constexpr char kPluginName[] = "zabkeeper";

// The password table the auxprop plugin serves (one per process).
std::mutex users_mu;
std::shared_ptr<const SaslUsers> current_users;

std::shared_ptr<const SaslUsers> Users() {
  std::lock_guard<std::mutex> lock(users_mu);
  return current_users;
}

// Cyrus asks for the authenticating user's properties (names prefixed with
// '*' unless SASL_AUXPROP_AUTHZID); the mechanism needs userPassword.
int AuxpropLookup(void*, sasl_server_params_t* sparams, unsigned flags, const char* user,
                  unsigned ulen) {
  std::shared_ptr<const SaslUsers> users = Users();
  if (!users) return SASL_NOUSER;
  std::string name(user, ulen);
  auto it = users->find(name);
  if (it == users->end()) {
    // Cyrus may have qualified the name with the realm ("bob@zk-sasl-md5").
    const size_t at = name.rfind('@');
    if (at != std::string::npos) it = users->find(name.substr(0, at));
  }
  if (it == users->end()) return SASL_NOUSER;
  const bool authzid = (flags & SASL_AUXPROP_AUTHZID) != 0;
  const struct propval* props = sparams->utils->prop_get(sparams->propctx);
  for (const struct propval* p = props; p != nullptr && p->name != nullptr; ++p) {
    const char* prop = p->name;
    if (prop[0] == '*') {
      if (authzid) continue;
      ++prop;
    } else if (!authzid) {
      continue;
    }
    if (std::strcmp(prop, "userPassword") != 0) continue;
    if (p->values != nullptr) {
      if (!(flags & SASL_AUXPROP_OVERRIDE)) continue;
      sparams->utils->prop_erase(sparams->propctx, p->name);
    }
    sparams->utils->prop_set(sparams->propctx, p->name, it->second.data(),
                             static_cast<int>(it->second.size()));
  }
  return SASL_OK;
}

sasl_auxprop_plug_t auxprop_plugin = {
    0, 0, nullptr, nullptr, &AuxpropLookup, const_cast<char*>(kPluginName), nullptr,
};

int AuxpropInit(const sasl_utils_t*, int max_version, int* out_version, sasl_auxprop_plug_t** plug,
                const char*) {
  if (max_version < SASL_AUXPROP_PLUG_VERSION) return SASL_BADVERS;
  *out_version = SASL_AUXPROP_PLUG_VERSION;
  *plug = &auxprop_plugin;
  return SASL_OK;
}

// Options Cyrus would otherwise read from /etc/sasl2/zookeeper.conf: only
// DIGEST-MD5, with the passwords from the plugin above.
int GetOpt(void*, const char*, const char* option, const char** result, unsigned* len) {
  const char* value = nullptr;
  if (std::strcmp(option, "auxprop_plugin") == 0) {
    value = kPluginName;
  } else if (std::strcmp(option, "mech_list") == 0) {
    value = "DIGEST-MD5";
  } else {
    return SASL_FAIL;
  }
  *result = value;
  if (len != nullptr) *len = static_cast<unsigned>(std::strlen(value));
  return SASL_OK;
}

int Log(void*, int level, const char* message) {
  if (level <= SASL_LOG_WARN) LOG(WARNING) << "sasl: " << message;
  return SASL_OK;
}

// Cyrus keeps every callback as int (*)(); void (*)() is the cast GCC
// allows between function types.
using Callback = int (*)();
template <typename F>
Callback AsCallback(F* f) {
  return reinterpret_cast<Callback>(reinterpret_cast<void (*)()>(f));
}
const sasl_callback_t kCallbacks[] = {
    {SASL_CB_GETOPT, AsCallback(&GetOpt), nullptr},
    {SASL_CB_LOG, AsCallback(&Log), nullptr},
    {SASL_CB_LIST_END, nullptr, nullptr},
};

absl::Status InitOnce() {
  static const absl::Status status = [] {
    int rc = sasl_auxprop_add_plugin(kPluginName, &AuxpropInit);
    if (rc != SASL_OK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "SASL: cannot register the password plugin: ", sasl_errstring(rc, nullptr, nullptr)));
    }
    rc = sasl_server_init(kCallbacks, kService);
    if (rc != SASL_OK) {
      return absl::FailedPreconditionError(
          absl::StrCat("SASL: sasl_server_init: ", sasl_errstring(rc, nullptr, nullptr)));
    }
    return absl::OkStatus();
  }();
  return status;
}

class CyrusExchange final : public SaslExchange {
 public:
  explicit CyrusExchange(sasl_conn_t* conn) : conn_(conn) {}
  ~CyrusExchange() override { sasl_dispose(&conn_); }

  absl::StatusOr<Step> Respond(absl::string_view token) override {
    if (done_) return absl::FailedPreconditionError("SASL: already authenticated");
    const char* out = nullptr;
    unsigned out_len = 0;
    // DIGEST-MD5 speaks first: the client's opening token is empty.
    const char* in = token.empty() ? nullptr : token.data();
    const auto in_len = static_cast<unsigned>(token.size());
    const int rc = started_ ? sasl_server_step(conn_, in, in_len, &out, &out_len)
                            : sasl_server_start(conn_, "DIGEST-MD5", in, in_len, &out, &out_len);
    started_ = true;
    Step step;
    if (out != nullptr) step.challenge.assign(out, out_len);
    if (rc == SASL_CONTINUE) return step;
    if (rc != SASL_OK) {
      const std::string why = sasl_errdetail(conn_);
      if (rc == SASL_BADAUTH || rc == SASL_NOUSER || rc == SASL_NOAUTHZ) {
        return absl::PermissionDeniedError(why);
      }
      return absl::InvalidArgumentError(why);
    }
    const void* name = nullptr;
    if (sasl_getprop(conn_, SASL_USERNAME, &name) != SASL_OK || name == nullptr) {
      return absl::InternalError("SASL: authenticated, but no user name");
    }
    step.user = static_cast<const char*>(name);
    // The authorization id ZooKeeper names is the bare user.
    const std::string realm = absl::StrCat("@", kServerName);
    if (absl::EndsWith(step.user, realm)) step.user.resize(step.user.size() - realm.size());
    step.done = done_ = true;
    return step;
  }

 private:
  sasl_conn_t* conn_;
  bool started_ = false;
  bool done_ = false;
};

// JAAS: `Name { module flag key="value" key2="value2"; ... };`, with // and
// /* */ comments. Tokens are words, quoted strings and ={};.
absl::StatusOr<std::vector<std::string>> Tokens(absl::string_view text) {
  std::vector<std::string> tokens;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (text.substr(i, 2) == "//") {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (text.substr(i, 2) == "/*") {
      const size_t end = text.find("*/", i + 2);
      if (end == absl::string_view::npos)
        return absl::InvalidArgumentError("JAAS: unterminated /* comment");
      i = end + 2;
    } else if (c == '"') {
      std::string s;
      ++i;
      while (i < text.size() && text[i] != '"') {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        s.push_back(text[i++]);
      }
      if (i >= text.size()) return absl::InvalidArgumentError("JAAS: unterminated string");
      ++i;
      tokens.push_back("\"" + s);  // a leading quote marks a string
    } else if (c == '=' || c == '{' || c == '}' || c == ';') {
      tokens.emplace_back(1, c);
      ++i;
    } else {
      const size_t start = i;
      while (i < text.size() && !absl::ascii_isspace(static_cast<unsigned char>(text[i])) &&
             std::strchr("={};\"", text[i]) == nullptr) {
        ++i;
      }
      tokens.emplace_back(text.substr(start, i - start));
    }
  }
  return tokens;
}

}  // namespace

absl::StatusOr<SaslUsers> ParseJaasUsers(absl::string_view text, absl::string_view section) {
  absl::StatusOr<std::vector<std::string>> tokens = Tokens(text);
  if (!tokens.ok()) return tokens.status();
  const std::vector<std::string>& t = *tokens;
  auto bad = [](const std::string& why) { return absl::InvalidArgumentError("JAAS: " + why); };
  size_t i = 0;
  bool found = false;
  SaslUsers users;
  while (i < t.size()) {  // one section per iteration
    const std::string name = t[i++];
    if (i >= t.size() || t[i] != "{") return bad("expected '{' after '" + name + "'");
    ++i;
    while (i < t.size() && t[i] != "}") {  // one login module entry
      if (i + 1 >= t.size()) return bad("truncated entry in '" + name + "'");
      i += 2;  // module class and flag (required, optional, ...)
      while (i < t.size() && t[i] != ";") {
        if (t[i] == "}") return bad("missing ';' before '}' in '" + name + "'");
        if (i + 2 >= t.size() || t[i + 1] != "=" ||
            absl::string_view("={};").find(t[i + 2]) != absl::string_view::npos) {
          return bad("expected key=\"value\" in '" + name + "'");
        }
        const std::string& key = t[i];
        std::string value = t[i + 2];
        if (!value.empty() && value[0] == '"') value.erase(0, 1);
        if (name == section && absl::StartsWith(key, "user_") && key.size() > 5) {
          users[key.substr(5)] = value;
        }
        i += 3;
      }
      if (i >= t.size()) return bad("missing ';' in '" + name + "'");
      ++i;
    }
    if (i >= t.size()) return bad("missing '}' for '" + name + "'");
    ++i;
    if (i < t.size() && t[i] == ";") ++i;
    if (name == section) found = true;
  }
  if (!found) return bad(absl::StrCat("no '", section, "' section"));
  if (users.empty())
    return bad(absl::StrCat("section '", section, "' names no user_<name>=\"<password>\""));
  return users;
}

absl::StatusOr<SaslUsers> LoadJaasUsers(const std::string& path, absl::string_view section) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError("cannot read JAAS file " + path);
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<SaslUsers> users = ParseJaasUsers(text.str(), section);
  if (!users.ok())
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", users.status().message()));
  return users;
}

absl::StatusOr<std::shared_ptr<SaslAuthenticator>> SaslAuthenticator::Create(SaslUsers users) {
  if (absl::Status s = InitOnce(); !s.ok()) return s;
  const size_t count = users.size();
  {
    std::lock_guard<std::mutex> lock(users_mu);
    current_users = std::make_shared<const SaslUsers>(std::move(users));
  }
  auto auth = std::shared_ptr<SaslAuthenticator>(new SaslAuthenticator(count));
  // Fail at start, not at the first client, when the mechanism is missing.
  absl::StatusOr<std::unique_ptr<SaslExchange>> probe = auth->Begin();
  if (!probe.ok()) return probe.status();
  return auth;
}

absl::StatusOr<std::unique_ptr<SaslExchange>> SaslAuthenticator::Begin() const {
  sasl_conn_t* conn = nullptr;
  int rc = sasl_server_new(kService, kServerName, kServerName, nullptr, nullptr, kCallbacks,
                           SASL_SUCCESS_DATA, &conn);
  if (rc != SASL_OK) {
    return absl::FailedPreconditionError(
        absl::StrCat("SASL: sasl_server_new: ", sasl_errstring(rc, nullptr, nullptr)));
  }
  const char* mechs = nullptr;
  rc = sasl_listmech(conn, nullptr, "", " ", "", &mechs, nullptr, nullptr);
  if (rc != SASL_OK || mechs == nullptr || !absl::StrContains(mechs, "DIGEST-MD5")) {
    sasl_dispose(&conn);
    return absl::FailedPreconditionError(
        "SASL: the DIGEST-MD5 mechanism is not installed (Debian: libsasl2-modules)");
  }
  return std::unique_ptr<SaslExchange>(new CyrusExchange(conn));
}

}  // namespace zabkeeper::zkwire
