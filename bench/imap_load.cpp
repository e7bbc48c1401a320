// IMAP load generator, in C++ so that on a 2-core machine the figures measure the servers, not
// the client: its CPU cost per operation is small next to the servers'. Each client thread is
// its own user and runs, for D seconds: UID SEARCH ALL; UID FETCH 1:* (FLAGS); a header fetch and
// a whole-body fetch of a random message; STORE +/-\Seen; APPEND; every 5th APPEND, SEARCH FROM,
// SEARCH HEADER Message-ID and STORE \Deleted + EXPUNGE of what it appended; and whenever the
// operation count modulo 50 is below 8 it logs out and in again. Prints the total operations/s.
// With --latency 1, also prints to stderr each command's count, p50, p99 and share of the
// clients' waiting time, to see which commands a throughput figure is waiting on.
// usage: imap_load PORT PASSWORD [--clients C] [--seconds D] [--users U] [--latency 1]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Options {
  int port = 0;
  std::string password;
  int clients = 20;
  int seconds = 20;
  int users = 20;
  bool latency = false;
};

// Milliseconds each command took, by its name ("UID STORE", "APPEND"), per client thread.
using Latencies = std::map<std::string, std::vector<double>>;

std::string command_name(const std::string& text) {
  size_t end = text.find(' ');
  if (text.compare(0, 4, "UID ") == 0) end = text.find(' ', 4);
  return text.substr(0, end);
}

// One blocking IMAP connection: sends a tagged command and collects the response up to the
// tagged line, with literals read by their announced length.
class Client {
 public:
  Client(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("connect");
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    read_line();  // greeting
  }
  ~Client() { close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Runs one command; returns the untagged lines (literal bytes dropped). Throws unless OK.
  std::vector<std::string> command(const std::string& text) {
    auto t0 = std::chrono::steady_clock::now();
    std::string tag = "A" + std::to_string(++tag_number_);
    send_all(tag + " " + text + "\r\n");
    auto untagged = read_until(tag);
    record(command_name(text), t0);
    return untagged;
  }

  // APPEND with a synchronizing literal, as imaplib sends it.
  void append(const std::string& mailbox, const std::string& message) {
    auto t0 = std::chrono::steady_clock::now();
    std::string tag = "A" + std::to_string(++tag_number_);
    send_all(tag + " APPEND " + mailbox + " {" + std::to_string(message.size()) + "}\r\n");
    std::string line = read_line();
    if (line.empty() || line[0] != '+') throw std::runtime_error("APPEND refused: " + line);
    send_all(message + "\r\n");
    read_until(tag);
    record("APPEND", t0);
  }

  Latencies* latencies = nullptr;  // where command times go, when measured

 private:
  void record(const std::string& name, std::chrono::steady_clock::time_point t0) {
    if (latencies)
      (*latencies)[name].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }

  std::vector<std::string> read_until(const std::string& tag) {
    std::vector<std::string> untagged;
    for (;;) {
      std::string line = read_line();
      if (line.compare(0, tag.size() + 1, tag + " ") == 0) {
        if (line.compare(tag.size() + 1, 2, "OK") != 0) throw std::runtime_error(line);
        return untagged;
      }
      untagged.push_back(line);
    }
  }

  // A line without its CRLF; a literal ({n} at the end) is consumed and its bytes skipped.
  std::string read_line() {
    std::string line;
    for (;;) {
      size_t end = buffer_.find("\r\n", start_);
      if (end == std::string::npos) {
        fill();
        continue;
      }
      line.append(buffer_, start_, end - start_);
      start_ = end + 2;
      size_t brace = line.size() && line.back() == '}' ? line.rfind('{') : std::string::npos;
      if (brace == std::string::npos) return line;
      size_t length = std::strtoul(line.c_str() + brace + 1, nullptr, 10);
      while (buffer_.size() - start_ < length) fill();
      start_ += length;
    }
  }

  void fill() {
    if (start_ > 0) {
      buffer_.erase(0, start_);
      start_ = 0;
    }
    char chunk[65536];
    ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) throw std::runtime_error("connection closed");
    buffer_.append(chunk, static_cast<size_t>(n));
  }

  void send_all(const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      sent += static_cast<size_t>(n);
    }
  }

  int fd_ = -1;
  unsigned tag_number_ = 0;
  std::string buffer_;
  size_t start_ = 0;
};

// The UIDs of "* SEARCH 1 2 3" lines.
std::vector<std::string> search_uids(const std::vector<std::string>& untagged) {
  std::vector<std::string> uids;
  for (const auto& line : untagged) {
    if (line.rfind("* SEARCH", 0) != 0) continue;
    size_t pos = 8;
    while (pos < line.size()) {
      size_t next = line.find(' ', pos + 1);
      std::string word = line.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1);
      if (!word.empty()) uids.push_back(word);
      pos = next == std::string::npos ? line.size() : next;
    }
  }
  return uids;
}

std::string join(const std::vector<std::string>& words, char sep) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : std::string(1, sep)) + w;
  return out;
}

std::string message_text(int index, int appended) {
  return "From: load@example.org\r\nTo: user@example.test\r\nSubject: load test\r\nMessage-ID: <" +
         std::to_string(index) + "." + std::to_string(appended) + "@load.example.org>\r\n\r\n" +
         std::string(2000, 'x') + "\r\n";
}

long run_client(const Options& opt, int index, Latencies& latencies) {
  std::mt19937 rng(static_cast<unsigned>(index));
  std::string user = "user" + std::to_string(index % opt.users + 1) + "@example.test";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(opt.seconds);
  long ops = 0;
  auto session = [&] {
    auto c = std::make_unique<Client>(opt.port);
    if (opt.latency) c->latencies = &latencies;
    c->command("LOGIN \"" + user + "\" \"" + opt.password + "\"");
    c->command("SELECT INBOX");
    return c;
  };
  auto im = session();
  ops += 2;
  int appended = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    auto uids = search_uids(im->command("UID SEARCH ALL"));
    ops += 1;
    if (!uids.empty()) {
      const std::string& uid = uids[rng() % uids.size()];
      im->command("UID FETCH 1:* (FLAGS)");
      im->command("UID FETCH " + uid + " (BODY.PEEK[HEADER] RFC822.SIZE)");
      im->command("UID FETCH " + uid + " (BODY.PEEK[])");
      im->command("UID STORE " + uid + " +FLAGS (\\Seen)");
      im->command("UID STORE " + uid + " -FLAGS (\\Seen)");
      ops += 5;
    }
    im->append("INBOX", message_text(index, appended));
    appended += 1;
    ops += 1;
    if (appended % 5 == 0) {
      im->command("UID SEARCH FROM load@example.org");
      auto mine = search_uids(im->command("UID SEARCH HEADER Message-ID load.example.org"));
      if (!mine.empty()) {
        im->command("UID STORE " + join(mine, ',') + " +FLAGS.SILENT (\\Deleted)");
        im->command("EXPUNGE");
      }
      ops += 4;
    }
    if (ops % 50 < 8) {
      im->command("LOGOUT");
      im = session();
      ops += 3;
    }
  }
  im->command("LOGOUT");
  return ops;
}

Options parse(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: imap_load PORT PASSWORD [--clients C] [--seconds D] [--users U]\n");
    std::exit(2);
  }
  Options opt;
  opt.port = std::atoi(argv[1]);
  opt.password = argv[2];
  for (int i = 3; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    int value = std::atoi(argv[i + 1]);
    if (flag == "--clients") opt.clients = value;
    else if (flag == "--seconds") opt.seconds = value;
    else if (flag == "--users") opt.users = value;
    else if (flag == "--latency") opt.latency = value != 0;
  }
  return opt;
}

void print_latencies(Latencies& all) {
  double waited = 0;
  for (auto& [name, times] : all)
    for (double t : times) waited += t;
  std::fprintf(stderr, "%-14s %8s %9s %9s %7s\n", "command", "count", "p50_ms", "p99_ms", "share");
  for (auto& [name, times] : all) {
    std::sort(times.begin(), times.end());
    double sum = 0;
    for (double t : times) sum += t;
    std::fprintf(stderr, "%-14s %8zu %9.2f %9.2f %6.1f%%\n", name.c_str(), times.size(), times[times.size() / 2],
                 times[std::min(times.size() - 1, times.size() * 99 / 100)], 100 * sum / waited);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options opt = parse(argc, argv);
  std::atomic<long> total{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  std::mutex merge_mutex;
  Latencies all;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < opt.clients; ++i)
    threads.emplace_back([&, i] {
      try {
        Latencies mine;
        total += run_client(opt, i, mine);
        std::lock_guard lock(merge_mutex);
        for (auto& [name, times] : mine) all[name].insert(all[name].end(), times.begin(), times.end());
      } catch (const std::exception& e) {
        if (failures++ == 0) std::fprintf(stderr, "client %d: %s\n", i, e.what());
      }
    });
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (failures > 0) {
    std::fprintf(stderr, "%d clients failed\n", failures.load());
    return 1;
  }
  if (opt.latency) print_latencies(all);
  std::printf("%.0f\n", static_cast<double>(total) / elapsed);
  return 0;
}
