#include "api/dns_check.h"

#include <algorithm>

#include "common/strings.h"

namespace kurier::api {
namespace {

std::string without_dot(std::string s) {
  if (!s.empty() && s.back() == '.') s.pop_back();
  return to_lower(s);
}

// The value of tag `tag` in a "k=v; k=v" record (DKIM, RFC 6376 3.2; DMARC, RFC 7489 6.4).
std::string tag_value(std::string_view record, std::string_view tag) {
  for (auto part : split(record, ';')) {
    part = trim(part);
    auto eq = part.find('=');
    if (eq != std::string_view::npos && trim(part.substr(0, eq)) == tag) {
      std::string v;
      for (char c : part.substr(eq + 1))
        if (c != ' ' && c != '\t') v.push_back(c);
      return v;
    }
  }
  return {};
}

RecordCheck check_mx(const ExpectedRecord& e, const std::string& hostname, queue::DnsResolver& dns) {
  RecordCheck r{e, "missing", {}, ""};
  auto a = dns.mx(without_dot(e.name));
  if (a.status == queue::DnsStatus::temporary) return {e, "error", {}, a.error};
  for (const auto& mx : a.records) r.found.push_back(std::to_string(mx.preference) + " " + mx.host);
  bool ours = std::any_of(a.records.begin(), a.records.end(), [&](auto& mx) { return without_dot(mx.host) == without_dot(hostname); });
  if (ours) r.status = "ok";
  else if (!a.records.empty()) r.status = "wrong", r.detail = "no MX points at " + hostname;
  return r;
}

// The TXT records at the name that start with `prefix` (case-insensitive).
std::vector<std::string> txt_with_prefix(queue::TxtAnswer& a, std::string_view prefix) {
  std::vector<std::string> out;
  for (const auto& t : a.texts)
    if (istarts_with(trim(t), prefix)) out.push_back(t);
  return out;
}

RecordCheck check_txt(const ExpectedRecord& e, std::string_view prefix, queue::DnsResolver& dns) {
  RecordCheck r{e, "missing", {}, ""};
  auto a = dns.txt(without_dot(e.name));
  if (a.status == queue::DnsStatus::temporary) return {e, "error", {}, a.error};
  r.found = txt_with_prefix(a, prefix);
  if (r.found.empty()) return r;
  if (e.kind == "spf") {
    // RFC 7208 4.5: more than one SPF record is a permanent error.
    if (r.found.size() > 1) r.status = "wrong", r.detail = "more than one SPF record";
    else if (r.found[0].find("+all") != std::string::npos) r.status = "wrong", r.detail = "+all lets anyone send";
    else if (r.found[0].find(" mx") == std::string::npos && r.found[0].find(" a") == std::string::npos &&
             r.found[0].find("include:") == std::string::npos && r.found[0].find("ip4:") == std::string::npos &&
             r.found[0].find("ip6:") == std::string::npos)
      r.status = "wrong", r.detail = "the SPF record authorizes no server";
    else r.status = "ok";
  } else if (e.kind == "dkim") {
    bool same = std::any_of(r.found.begin(), r.found.end(), [&](auto& t) { return tag_value(t, "p") == tag_value(e.value, "p"); });
    r.status = same ? "ok" : "wrong";
    if (!same) r.detail = "the published key is not this server's key";
  } else if (e.kind == "dmarc") {
    auto p = tag_value(r.found[0], "p");
    r.status = (p == "none" || p == "quarantine" || p == "reject") ? "ok" : "wrong";
    if (r.status == "wrong") r.detail = "the DMARC record has no valid p= tag";
  } else {
    r.status = "ok";
  }
  return r;
}

RecordCheck check_autoconfig(const ExpectedRecord& e, const std::string& hostname, queue::DnsResolver& dns) {
  RecordCheck r{e, "missing", {}, ""};
  auto a = dns.addresses(without_dot(e.name));
  if (a.status == queue::DnsStatus::temporary) return {e, "error", {}, a.error};
  r.found = a.addresses;
  if (a.addresses.empty()) return r;
  auto ours = dns.addresses(without_dot(hostname));
  bool shared = std::any_of(a.addresses.begin(), a.addresses.end(), [&](auto& x) {
    return std::find(ours.addresses.begin(), ours.addresses.end(), x) != ours.addresses.end();
  });
  r.status = shared ? "ok" : "wrong";
  if (!shared) r.detail = e.name + " does not lead to " + hostname;
  return r;
}

}  // namespace

std::vector<ExpectedRecord> expected_records(const std::string& domain, const std::string& hostname,
                                             const std::vector<std::pair<std::string, std::string>>& dkim_txt) {
  std::string d = without_dot(domain) + ".", host = without_dot(hostname) + ".";
  std::vector<ExpectedRecord> out;
  out.push_back({"mx", d, "MX", "10 " + host});
  out.push_back({"spf", d, "TXT", "v=spf1 mx -all"});
  for (const auto& [name, value] : dkim_txt) out.push_back({"dkim", name, "TXT", value});
  out.push_back({"dmarc", "_dmarc." + d, "TXT", "v=DMARC1; p=quarantine; rua=mailto:postmaster@" + without_dot(domain)});
  // Thunderbird's autoconfig (and Outlook's autodiscover) look the mail server up by name.
  out.push_back({"autoconfig", "autoconfig." + d, "CNAME", host});
  return out;
}

std::vector<RecordCheck> check_records(const std::vector<ExpectedRecord>& expected, const std::string& hostname,
                                       queue::DnsResolver& dns) {
  std::vector<RecordCheck> out;
  for (const auto& e : expected) {
    if (e.kind == "mx") out.push_back(check_mx(e, hostname, dns));
    else if (e.kind == "spf") out.push_back(check_txt(e, "v=spf1", dns));
    else if (e.kind == "dkim") out.push_back(check_txt(e, "v=DKIM1", dns));
    else if (e.kind == "dmarc") out.push_back(check_txt(e, "v=DMARC1", dns));
    else out.push_back(check_autoconfig(e, hostname, dns));
  }
  return out;
}

}  // namespace kurier::api
