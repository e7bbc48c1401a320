// Recipient resolution (see resolver.h for the rules and their order).
#include "delivery/resolver.h"

#include <algorithm>
#include <stdexcept>
#include <unordered_set>

#include "common/strings.h"

namespace kurier::delivery {
namespace {

// Thrown inside a run when a bound is hit; the recipient then gets 550 5.4.6.
struct LimitExceeded : std::runtime_error {
  using std::runtime_error::runtime_error;
};

bool has_control_or_space(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c <= 0x20 || c == 0x7f; });
}

}  // namespace

std::optional<SplitAddress> split_address(std::string_view address) {
  address = trim(address);
  auto at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= address.size()) return std::nullopt;
  std::string_view local = address.substr(0, at);
  std::string_view domain = address.substr(at + 1);
  if (domain.back() == '.') domain.remove_suffix(1);  // "example.org." is the same domain
  if (domain.empty() || local.size() > 256 || domain.size() > 255) return std::nullopt;
  if (has_control_or_space(domain) || (local.front() != '"' && has_control_or_space(local))) return std::nullopt;
  return SplitAddress{to_lower(local), to_lower(domain)};
}

bool is_relay_domain(const directory::Domain& domain) { return istarts_with(domain.transport, "relay:"); }

// One resolution: the expansion state of a single recipient.
class Resolver::Run {
 public:
  enum class Found { yes, no, not_local };

  Run(directory::Directory& dir, const ResolverOptions& options, Resolution& result)
      : dir_(dir), options_(options), result_(result) {}

  // Whether name is a hosted relay (backup MX) domain.
  bool relay_domain(const std::string& name) {
    auto d = domain(name);
    return d && is_relay_domain(*d);
  }

  Found lookup(const SplitAddress& a, int depth) {
    if (depth > options_.max_depth)
      throw LimitExceeded("alias nesting deeper than " + std::to_string(options_.max_depth) + " at " + a.str());
    auto d = domain(a.domain);
    if (!d || is_relay_domain(*d)) return Found::not_local;
    std::string addr = a.str();
    // Rule 2, "keep a copy": a target naming an address we are expanding is its own mailbox.
    if (std::find(chain_.begin(), chain_.end(), addr) != chain_.end()) return keep_copy(addr);
    if (auto it = done_.find(addr); it != done_.end()) return it->second;
    chain_.push_back(addr);
    Found f = expand_address(a, *d, depth);
    chain_.pop_back();
    done_[addr] = f;
    return f;
  }

 private:
  Found expand_address(const SplitAddress& a, const directory::Domain& d, int depth) {
    if (auto f = exact(a.str(), depth)) return *f;                         // rules 2, 3
    if (auto base = subaddress_base(a))                                    // rule 4
      if (auto f = exact(*base, depth)) return *f;
    auto wide = aliases("@" + d.name);                                     // rule 5
    if (wide.empty()) {
      if (a.local == "postmaster" && !options_.postmaster.empty())         // rule 6
        return expand_targets({options_.postmaster}, depth);
      return Found::no;
    }
    if (wide.front().front() == '@') return via_domain_alias(a, wide.front(), depth);
    return expand_targets(wide, depth);
  }

  // Rules 2 and 3 for one address; nullopt when neither an alias nor an active account exists.
  std::optional<Found> exact(const std::string& addr, int depth) {
    auto targets = aliases(addr);
    if (!targets.empty()) return expand_targets(targets, depth);  // the alias wins, even if empty-handed
    if (auto acct = active_account(addr)) {
      add_account(*acct);
      return Found::yes;
    }
    return std::nullopt;
  }

  Found via_domain_alias(const SplitAddress& a, const std::string& target, int depth) {
    SplitAddress mapped{a.local, to_lower(std::string_view(target).substr(1))};
    Found f = lookup(mapped, depth + 1);
    if (f != Found::not_local) return f;
    add_external(mapped.str());  // a domain alias onto a domain hosted elsewhere: relay
    return Found::yes;
  }

  Found expand_targets(const std::vector<std::string>& targets, int depth) {
    bool any = false;
    for (const auto& t : targets) {
      auto s = t.empty() || t.front() == '@' ? std::nullopt : split_address(t);
      Found f = s ? lookup(*s, depth + 1) : Found::no;
      if (f == Found::not_local) add_external(s->str());
      if (f == Found::no) result_.dropped.push_back(t);
      any = any || f != Found::no;
    }
    return any ? Found::yes : Found::no;
  }

  Found keep_copy(const std::string& addr) {
    auto acct = active_account(addr);
    if (!acct) return Found::no;
    add_account(*acct);
    return Found::yes;
  }

  std::optional<std::string> subaddress_base(const SplitAddress& a) const {
    if (options_.subaddress_separators.empty() || a.local.front() == '"') return std::nullopt;
    auto pos = a.local.find_first_of(options_.subaddress_separators);
    if (pos == std::string::npos || pos == 0) return std::nullopt;
    return a.local.substr(0, pos) + "@" + a.domain;
  }

  // ---- directory reads, counted and cached ----
  void count_lookup() {
    if (++lookups_ > options_.max_lookups) throw LimitExceeded("more than " + std::to_string(options_.max_lookups) + " directory lookups");
  }

  std::optional<directory::Domain> domain(const std::string& name) {
    if (auto it = domains_.find(name); it != domains_.end()) return it->second;
    count_lookup();
    auto d = dir_.find_domain(name);
    domains_[name] = d;
    return d;
  }

  std::vector<std::string> aliases(const std::string& source) {
    count_lookup();
    return dir_.alias_targets(source);
  }

  // Rule 3: a disabled account, or one with `receive` off, counts as absent.
  std::optional<directory::Account> active_account(const std::string& addr) {
    count_lookup();
    auto acct = dir_.find_account_by_address(addr);
    if (!acct || !acct->enabled || !(acct->services & directory::kReceive)) return std::nullopt;
    return acct;
  }

  // Deduplicated through hash sets (not by searching the lists): an alias with thousands of
  // targets stays linear.
  void add_account(const directory::Account& acct) {
    if (accounts_seen_.count(acct.id)) return;
    check_result_count();
    accounts_seen_.insert(acct.id);
    result_.accounts.push_back({acct.id, to_lower(acct.address), acct.quota});
  }

  void add_external(const std::string& addr) {
    if (external_seen_.count(addr)) return;
    check_result_count();
    external_seen_.insert(addr);
    result_.external.push_back(addr);
  }

  void check_result_count() {
    if (result_.accounts.size() + result_.external.size() >= options_.max_results)
      throw LimitExceeded("more than " + std::to_string(options_.max_results) + " targets");
  }

  directory::Directory& dir_;
  const ResolverOptions& options_;
  Resolution& result_;
  std::vector<std::string> chain_;            // addresses being expanded (loop detection)
  std::map<std::string, Found> done_;         // addresses fully expanded in this run
  std::map<std::string, std::optional<directory::Domain>> domains_;
  std::unordered_set<int64_t> accounts_seen_;
  std::unordered_set<std::string> external_seen_;
  size_t lookups_ = 0;
};

Resolver::Resolver(directory::Directory& directory, ResolverOptions options)
    : dir_(directory), options_(std::move(options)) {}

Resolution Resolver::resolve(std::string_view address) const {
  Resolution r;
  auto a = split_address(address);
  if (!a) {
    r.address = std::string(trim(address));
    r.detail = "not an address";
    return r;
  }
  r.address = a->str();
  try {
    Run run(dir_, options_, r);
    switch (run.lookup(*a, 0)) {
      case Run::Found::yes: r.kind = Resolution::Kind::found; break;
      case Run::Found::no: r.kind = Resolution::Kind::unknown; r.detail = "no such account, alias or catch-all"; break;
      case Run::Found::not_local:
        r.kind = Resolution::Kind::not_local;
        r.relay_domain = run.relay_domain(a->domain);
        r.detail = r.relay_domain ? "relay domain" : "domain not hosted here";
        break;
    }
  } catch (const LimitExceeded& e) {
    r = Resolution{Resolution::Kind::loop, r.address, {}, {}, {}, e.what()};
  } catch (const std::exception& e) {  // directory::Error (Unavailable), sql::Error, bad_alloc
    r = Resolution{Resolution::Kind::temporary, r.address, {}, {}, {}, e.what()};
  }
  if (r.found() && r.accounts.empty() && r.external.empty()) r.kind = Resolution::Kind::unknown;
  return r;
}

}  // namespace kurier::delivery
