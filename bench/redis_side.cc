// The anti-replay row against Redis (tlspp_redis): a redis-server the bench starts on
// 127.0.0.1 for the run, or the one TLSPP_BENCH_REDIS=HOST:PORT names.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "sides.h"
#ifdef TLSPP_BENCH_HAVE_REDIS
#include "tlspp/redis.h"
#endif

namespace bench {

#ifdef TLSPP_BENCH_HAVE_REDIS
namespace {

// redis-server on the PATH, or empty.
std::string find_redis_server() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t at = 0;
  while (at <= dirs.size()) {
    const size_t end = std::min(dirs.find(':', at), dirs.size());
    const std::string candidate = dirs.substr(at, end - at) + "/redis-server";
    if (end > at && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    at = end + 1;
  }
  return {};
}

uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  if (fd >= 0) ::close(fd);
  return port;
}

}  // namespace

BenchRedis::~BenchRedis() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

BenchRedis::BenchRedis() {
  tlspp::RedisOptions o;
  o.command_timeout_ms = 1000;  // a loaded machine must not turn a slow reply into a refusal
  if (const char* env = std::getenv("TLSPP_BENCH_REDIS"); env && *env) {
    const std::string spec = env;
    const size_t colon = spec.rfind(':');
    std::string error;
    auto parsed = tlspp::parse_redis_url("redis://" + spec, &error);
    if (colon == std::string::npos || !parsed) {
      skipped_ = "TLSPP_BENCH_REDIS must be HOST:PORT" + (error.empty() ? "" : " (" + error + ")");
      return;
    }
    o = *parsed;
    o.command_timeout_ms = 1000;
    if (!tlspp::ping_redis(o, &error)) {
      skipped_ = "TLSPP_BENCH_REDIS: " + error;
      return;
    }
    where_ = tlspp::describe_redis(o) + " (TLSPP_BENCH_REDIS)";
  } else {
    const std::string server = find_redis_server();
    if (server.empty()) {
      skipped_ = "redis-server is not installed";
      return;
    }
    o.host = "127.0.0.1";
    o.port = free_port();
    std::vector<std::string> args = {server, "--bind", "127.0.0.1", "--port", std::to_string(o.port), "--save", "",
                                     "--appendonly", "no", "--daemonize", "no", "--dir", "/tmp", "--logfile", ""};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // gone with the bench, even when it dies
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    std::string error = "fork failed";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (pid_ > 0 && !tlspp::ping_redis(o, &error)) {
      if (std::chrono::steady_clock::now() > deadline) {
        skipped_ = "redis-server did not start: " + error;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (pid_ <= 0) {
      skipped_ = error;
      return;
    }
    where_ = "a redis-server started by the bench on " + tlspp::describe_redis(o);
  }
  options_ = std::make_shared<tlspp::RedisOptions>(o);
}

std::shared_ptr<tlspp::AntiReplay> BenchRedis::make() {
  // A key prefix of its own for each store, so that a new store starts empty as a new memory
  // store does (the ids of a measurement start again from the same counter).
  tlspp::RedisOptions o = *options_;
  o.key_prefix = "tlspp-bench:" + std::to_string(::getpid()) + ":" + std::to_string(++stores_) + ":";
  return tlspp::make_redis_anti_replay(o);
}
#else
BenchRedis::BenchRedis() : skipped_("tlspp_redis is not built (configure with -DTLSPP_REDIS=ON)") {}
BenchRedis::~BenchRedis() = default;
std::shared_ptr<tlspp::AntiReplay> BenchRedis::make() { return nullptr; }
#endif

}  // namespace bench
