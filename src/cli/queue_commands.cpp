#include "cli/queue_commands.h"

#include <cstdio>
#include <ctime>
#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/output.h"
#include "common/strings.h"
#include "common/xtext.h"
#include "queue/envelope_json.h"
#include "queue/queue.h"
#include "queue/spool.h"

namespace kurier::cli {
namespace {

std::filesystem::path queue_dir(Context& ctx) { return ctx.config().data_dir / "queue"; }

std::unique_ptr<queue::Spool> open_spool(Context& ctx) {
  try {
    return std::make_unique<queue::Spool>(queue_dir(ctx));
  } catch (const std::exception& e) {
    throw Failure(std::string("cannot open the queue: ") + e.what());
  }
}

// Postfix mailq style: one block per message, the recipients (and why they wait) under it.
void print_queue(const std::vector<queue::Envelope>& all) {
  if (all.empty()) {
    std::cout << "Mail queue is empty\n";
    return;
  }
  std::printf("%-12s  %-10s  %8s  %-20s  %-20s  %s\n", "ID", "STATE", "SIZE", "ARRIVED", "NEXT ATTEMPT", "SENDER");
  uint64_t total = 0;
  for (const auto& e : all) {
    total += e.size;
    bool waiting = e.state == queue::MessageState::deferred || e.state == queue::MessageState::queued;
    std::printf("%-12s  %-10s  %8llu  %-20s  %-20s  %s\n", e.id.c_str(), queue::to_string(e.state),
                static_cast<unsigned long long>(e.size), time_text(e.created).c_str(),
                waiting ? time_text(e.next_attempt).c_str() : "-", e.sender.empty() ? "<>" : e.sender.c_str());
    for (const auto& r : e.recipients) {
      std::string line = "    " + r.address + "  " + queue::to_string(r.state);
      if (!r.status.empty()) line += " " + r.status;
      if (r.state != queue::RecipientState::delivered && !r.diagnostic.empty()) line += "  (" + r.diagnostic + ")";
      std::cout << line << "\n";
    }
    if (!e.last_error.empty() && e.pending_count() > 0) std::cout << "    last error: " << e.last_error << "\n";
  }
  std::cout << "-- " << all.size() << (all.size() == 1 ? " message, " : " messages, ") << format_size(total) << "B\n";
}

struct InjectOptions {
  std::string from, notify, ret, envid;
  std::vector<std::string> recipients;
};

// Like Postfix's `sendmail -f FROM RCPT... < message`: queues a message for remote recipients.
void inject(Context& ctx, const InjectOptions& o) {
  queue::EnqueueRequest req;
  req.sender = o.from;
  req.authenticated_as = "operator";  // whoever may run the CLI on the data directory: signed
  if (!o.from.empty() && o.from.find('@') == std::string::npos) throw Failure("invalid sender '" + o.from + "'");
  auto ret = queue::parse_ret(o.ret);
  if (!ret) throw Failure("invalid --ret '" + o.ret + "': use FULL or HDRS");
  req.ret = *ret;
  req.envid = encode_xtext(o.envid);
  unsigned notify = 0;
  if (!o.notify.empty()) {
    auto n = queue::parse_notify(o.notify);
    if (!n) throw Failure("invalid --notify '" + o.notify + "': NEVER, or a list of SUCCESS,FAILURE,DELAY");
    notify = *n;
  }
  for (const auto& r : o.recipients) {
    auto at = r.rfind('@');
    if (at == std::string::npos || at + 1 == r.size()) throw Failure("invalid recipient '" + r + "'");
    if (ctx.directory().find_domain(r.substr(at + 1)))
      throw Failure(r + " is a local address: the queue only sends to other servers (deliver it with LMTP)");
    req.recipients.push_back({r, notify, ""});
  }
  queue::Queue q(queue::QueueSettings::from_config(ctx.config()));
  q.set_local_domains([&ctx](std::string_view d) { return ctx.directory().find_domain(d).has_value(); });
  std::unique_ptr<queue::QueueWriter> writer;
  try {
    writer = q.begin(std::move(req));
    char buf[64 * 1024];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) writer->write(std::string_view(buf, n));
    if (writer->too_large()) throw Failure("message larger than max_message_size");
    std::string id = writer->commit();
    if (ctx.json) return print_json({{"id", id}});
    std::cout << "queued as " << id << "\n";
  } catch (const queue::QueueError& e) {
    throw Failure(e.what());
  }
}

}  // namespace

void add_queue_commands(CLI::App& app, Context& ctx) {
  auto* q = app.add_subcommand("queue", "inspect and manage the outbound mail queue")->require_subcommand(1);
  static std::string id;

  q->add_subcommand("list", "list queued messages with the state of each recipient")->callback([&ctx] {
    auto all = open_spool(ctx)->list();
    if (ctx.json) {
      auto arr = nlohmann::json::array();
      for (const auto& e : all) arr.push_back(queue::envelope_json(e));
      return print_json(arr);
    }
    print_queue(all);
  });

  auto* retry = q->add_subcommand("retry", "make a deferred message (or every message) due now");
  retry->add_option("ID", id, "queue id (default: every message)");
  retry->callback([&ctx] {
    auto spool = open_spool(ctx);
    size_t n;
    try {
      n = spool->retry(id, std::time(nullptr));
    } catch (const std::exception& e) {
      throw Failure(e.what());
    }
    if (!id.empty() && n == 0) {
      if (!spool->load(id)) throw Failure("no message " + id + " in the queue");
      throw Failure("message " + id + " is being delivered right now");
    }
    if (ctx.json) return print_json({{"retried", n}});
    std::cout << (id.empty() ? std::to_string(n) + (n == 1 ? " message" : " messages") : id) << " scheduled for delivery now\n";
  });

  auto* remove = q->add_subcommand("remove", "delete a message from the queue (no bounce is sent)");
  remove->add_option("ID", id, "queue id")->required();
  remove->callback([&ctx] {
    bool removed;
    try {
      removed = open_spool(ctx)->remove(id);
    } catch (const queue::QueueError& e) {
      throw Failure(e.what());
    }
    if (!removed) throw Failure("no message " + id + " in the queue");
    if (!ctx.json) std::cout << "removed " << id << "\n";
  });

  static InjectOptions inject_opts;
  auto* inj = q->add_subcommand("inject", "queue a message read from stdin for remote recipients (like sendmail -f)");
  inj->add_option("--from", inject_opts.from, "envelope sender ('' for a null sender)")->required();
  inj->add_option("--notify", inject_opts.notify, "DSN NOTIFY: NEVER or SUCCESS,FAILURE,DELAY");
  inj->add_option("--ret", inject_opts.ret, "DSN RET: FULL or HDRS");
  inj->add_option("--envid", inject_opts.envid, "DSN ENVID");
  inj->add_option("RECIPIENT", inject_opts.recipients, "remote addresses")->required();
  inj->callback([&ctx] { inject(ctx, inject_opts); });
}

}  // namespace kurier::cli
