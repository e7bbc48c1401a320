// MTA-STS discovery, HTTPS fetch (Boost.Beast, only in this file) and the durable policy cache
// (see mta_sts_fetch.h).
#include "net/asio.h"  // first: Boost.Asio configuration

#include "queue/mta_sts_fetch.h"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <fcntl.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/log.h"
#include "common/strings.h"
#include "net/tls.h"
#include "queue/dns.h"
#include "queue/tls_verify.h"

namespace kurier::queue {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr size_t kMaxPolicyBytes = 64 * 1024;  // RFC 8461 3.3: "SHOULD NOT exceed 64 KiB"
constexpr const char* kPolicyPath = "/.well-known/mta-sts.txt";

struct FetchJob {
  std::string host;
  std::string ip;
  uint16_t port = 443;
  const TrustStore* trust = nullptr;
  PolicyText result;
};

// One HTTPS GET. The handshake does not verify; the chain is checked right after it, before
// the request is sent, so the error names the reason.
asio::awaitable<void> run_fetch(FetchJob* job, asio::ssl::context* ctx) {
  auto ex = co_await asio::this_coro::executor;
  boost::system::error_code ec;
  asio::ip::address address = asio::ip::make_address(job->ip, ec);
  if (ec) {
    job->result.error = "invalid address " + job->ip;
    co_return;
  }
  asio::ssl::stream<tcp::socket> stream(ex, *ctx);
  co_await stream.next_layer().async_connect(tcp::endpoint(address, job->port), asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    job->result.error = "connect to " + job->ip + ": " + ec.message();
    co_return;
  }
  SSL_set_tlsext_host_name(stream.native_handle(), job->host.c_str());  // SNI, RFC 6066 3
  co_await stream.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    job->result.error = "TLS handshake with " + job->host + ": " + ec.message();
    co_return;
  }
  ChainCheck check = verify_pkix(*job->trust, net::peer_certificate_chain(stream.native_handle()), {job->host});
  if (!check.ok) {
    job->result.error = "certificate of " + job->host + ": " + check.error;
    co_return;
  }
  http::request<http::empty_body> request(http::verb::get, kPolicyPath, 11);
  request.set(http::field::host, job->host);
  request.set(http::field::user_agent, "kurier");
  co_await http::async_write(stream, request, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    job->result.error = "sending the request to " + job->host + ": " + ec.message();
    co_return;
  }
  boost::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxPolicyBytes);
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    job->result.error = "reading the policy from " + job->host + ": " + ec.message();
    co_return;
  }
  auto& response = parser.get();
  // RFC 8461 3.3: only 200 counts; redirects MUST NOT be followed.
  if (response.result() != http::status::ok) {
    job->result.error = "https://" + job->host + kPolicyPath + " answered " + std::to_string(response.result_int());
    co_return;
  }
  job->result.ok = true;
  job->result.body = std::move(response.body());
}

bool valid_domain_file_name(const std::string& d) {
  if (d.empty() || d.size() > 253 || d[0] == '.' || d.find("..") != std::string::npos) return false;
  for (char c : d)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-')) return false;
  return true;
}

void write_durably(const std::filesystem::path& path, const std::string& data) {
  static std::atomic<unsigned> counter{0};  // deliveries to one domain may store at once
  auto tmp = path;
  tmp += ".tmp" + std::to_string(::getpid()) + "." + std::to_string(++counter);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot create " + tmp.string() + ": " + std::strerror(errno));
  bool ok = ::write(fd, data.data(), data.size()) == ssize_t(data.size()) && ::fdatasync(fd) == 0;
  int saved = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(ok ? errno : saved));
  }
  int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace

PolicyText fetch_policy_text(const std::string& host, const std::string& ip, uint16_t port,
                             const TrustStore& trust, std::chrono::milliseconds timeout) {
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  ctx.set_verify_mode(asio::ssl::verify_none);  // checked by verify_pkix after the handshake
  FetchJob job{host, ip, port, &trust, {}};
  bool done = false;
  {
    asio::io_context io;
    asio::co_spawn(io, run_fetch(&job, &ctx), [&done](std::exception_ptr) { done = true; });
    io.run_for(timeout);
  }  // an unfinished fetch is destroyed with its io_context
  if (!done && job.result.error.empty()) job.result.error = "fetching https://" + host + kPolicyPath + " timed out";
  return job.result;
}

MtaStsResolver::MtaStsResolver(MtaStsSettings settings, DnsResolver& dns, const TrustStore& trust)
    : settings_(std::move(settings)), dns_(dns), trust_(trust) {}

std::optional<MtaStsResolver::Cached> MtaStsResolver::load(const std::string& domain, int64_t now) const {
  std::ifstream in(settings_.cache_dir / domain);
  if (!in) return std::nullopt;
  Cached c;
  std::string fetched;
  if (!std::getline(in, c.id) || !std::getline(in, fetched)) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = parse_sts_policy(text.str());
  auto when = parse_uint(fetched);
  if (!parsed.policy || !when) return std::nullopt;
  c.fetched = int64_t(*when);
  c.policy = *parsed.policy;
  if (c.fetched + c.policy.max_age < now) return std::nullopt;  // RFC 8461 5.1: expired
  return c;
}

void MtaStsResolver::store(const std::string& domain, const std::string& id, int64_t now, const std::string& text) const {
  std::error_code ec;
  std::filesystem::create_directories(settings_.cache_dir, ec);
  write_durably(settings_.cache_dir / domain, id + "\n" + std::to_string(now) + "\n" + text);
}

PolicyText MtaStsResolver::fetch(const std::string& domain) const {
  std::string host = "mta-sts." + domain;
  AddressAnswer addresses = dns_.addresses(host);
  if (addresses.status != DnsStatus::ok || addresses.addresses.empty())
    return {false, "", "no address for " + host + ": " + addresses.error};
  PolicyText last;
  for (const auto& ip : addresses.addresses) {
    last = fetch_policy_text(host, ip, settings_.port, trust_, settings_.timeout);
    if (last.ok) break;
  }
  return last;
}

PolicyLookup MtaStsResolver::policy_for(const std::string& domain_in, int64_t now) {
  std::string domain = to_lower(domain_in);
  if (!valid_domain_file_name(domain)) return {std::nullopt, "not a domain name"};
  std::optional<Cached> cached = load(domain, now);
  TxtAnswer txt = dns_.txt("_mta-sts." + domain);
  std::optional<std::string> id = txt.status == DnsStatus::ok ? parse_sts_record(txt.texts) : std::nullopt;
  if (!id) {
    // RFC 8461 5.1: no (valid) record — a cached policy stays in force until it expires.
    if (cached) return {cached->policy, "cached policy " + cached->id + " (no current TXT record)"};
    return {std::nullopt, "no MTA-STS record"};
  }
  if (cached && cached->id == *id) return {cached->policy, "cached policy " + *id};
  PolicyText fetched = fetch(domain);
  MtaStsParse parsed = fetched.ok ? parse_sts_policy(fetched.body) : MtaStsParse{std::nullopt, fetched.error};
  if (!parsed.policy) {
    log::warn("queue.mta_sts_fetch_failed", {{"domain", domain}, {"id", *id}, {"error", parsed.error}});
    if (cached) return {cached->policy, "cached policy " + cached->id + " (fetching " + *id + " failed)"};
    return {std::nullopt, "policy " + *id + " unavailable: " + parsed.error};
  }
  try {
    store(domain, *id, now, fetched.body);
  } catch (const std::exception& ex) {
    log::warn("queue.mta_sts_cache_failed", {{"domain", domain}, {"error", ex.what()}});
  }
  log::info("queue.mta_sts_policy", {{"domain", domain}, {"id", *id}, {"mode", to_string(parsed.policy->mode)},
                                     {"max_age", parsed.policy->max_age}});
  return {parsed.policy, "fetched policy " + *id};
}

}  // namespace kurier::queue
