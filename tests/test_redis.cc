// tlspp_redis (adapters/redis): 0-RTT anti-replay and session ticket keys shared by several
// servers through Redis (RFC 8446 §8), against a redis-server each test starts on 127.0.0.1
// (a free port, no persistence) and stops: URL parsing, SET NX semantics across stores and
// threads, expiry, a Redis that is down or stalled (declines within the timeout, recovers),
// ticket keys that servers agree on, two in-memory servers sharing state, and two `tlspp
// server` processes.
#include "tlspp/redis.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cli_support.h"
#include "support/tls_pair.h"

namespace tlspp {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// A port the kernel had free a moment ago (bound to 127.0.0.1:0, then closed).
uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ADD_FAILURE() << "cannot find a free port: " << std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

// A redis-server of the test's own on 127.0.0.1 (and a Unix socket), without persistence;
// stopped by its PID when destroyed. stop() and start() again keep the port.
class RedisServer {
 public:
  explicit RedisServer(std::vector<std::string> extra = {}) : extra_(std::move(extra)) {
    port_ = free_port();
    socket_ = ::testing::TempDir() + "tlspp-redis-" + std::to_string(::getpid()) + "-" + std::to_string(port_) + ".sock";
    start();
  }
  ~RedisServer() { stop(); }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  void start() {
    std::vector<std::string> args = {TLSPP_REDIS_SERVER, "--bind", "127.0.0.1", "--port", std::to_string(port_),
                                     "--unixsocket", socket_, "--unixsocketperm", "700", "--save", "",
                                     "--appendonly", "no", "--daemonize", "no", "--dir", ::testing::TempDir(),
                                     "--logfile", "", "--loglevel", "warning"};
    args.insert(args.end(), extra_.begin(), extra_.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ASSERT_GT(pid_, 0) << "fork: " << std::strerror(errno);
    // Ready once it answers PING (AUTH failures count as answers for a server with a password).
    const auto deadline = Clock::now() + 5s;
    RedisOptions probe = options();
    probe.connect_timeout_ms = 100;
    for (;;) {
      std::string error;
      if (ping_redis(probe, &error) || error.find("AUTH") != std::string::npos ||
          error.find("NOAUTH") != std::string::npos)
        return;
      ASSERT_LT(Clock::now(), deadline) << "redis-server did not start: " << error;
      std::this_thread::sleep_for(10ms);
    }
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGCONT);
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    ::unlink(socket_.c_str());
  }
  void pause() { ::kill(pid_, SIGSTOP); }
  void resume() { ::kill(pid_, SIGCONT); }

  [[nodiscard]] uint16_t port() const { return port_; }
  [[nodiscard]] const std::string& unix_socket() const { return socket_; }
  [[nodiscard]] std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  // Options for this server with short timeouts, so that failures show quickly.
  [[nodiscard]] RedisOptions options() const {
    RedisOptions o;
    o.host = "127.0.0.1";
    o.port = port_;
    o.connect_timeout_ms = 200;
    o.command_timeout_ms = 150;
    o.retry_interval_ms = 100;
    return o;
  }

 private:
  std::vector<std::string> extra_;
  uint16_t port_ = 0;
  std::string socket_;
  pid_t pid_ = -1;
};

Bytes id_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// ---------------------------------------------------------------- URLs

TEST(RedisUrl, ParsesHostPortPasswordDbAndSockets) {
  auto o = parse_redis_url("redis://127.0.0.1");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->host, "127.0.0.1");
  EXPECT_EQ(o->port, 6379);
  EXPECT_EQ(o->db, 0u);
  EXPECT_FALSE(o->password);
  EXPECT_TRUE(o->unix_socket.empty());

  o = parse_redis_url("redis://:s3cret@cache.internal:6380/3");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->host, "cache.internal");
  EXPECT_EQ(o->port, 6380);
  EXPECT_EQ(o->db, 3u);
  ASSERT_TRUE(o->password);
  EXPECT_EQ(*o->password, "s3cret");
  EXPECT_FALSE(o->username);

  o = parse_redis_url("REDIS://tls:p%40ss%3Aword@[::1]:7000/");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->host, "::1");
  EXPECT_EQ(o->port, 7000);
  ASSERT_TRUE(o->username && o->password);
  EXPECT_EQ(*o->username, "tls");
  EXPECT_EQ(*o->password, "p@ss:word");
  EXPECT_EQ(describe_redis(*o), "[::1]:7000");

  o = parse_redis_url("unix:///run/redis/redis.sock?db=2");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->unix_socket, "/run/redis/redis.sock");
  EXPECT_EQ(o->db, 2u);
  EXPECT_EQ(describe_redis(*o), "unix:/run/redis/redis.sock");
  o = parse_redis_url("redis+unix://:pw@/tmp/r.sock");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->unix_socket, "/tmp/r.sock");
  ASSERT_TRUE(o->password);
  EXPECT_EQ(*o->password, "pw");
}

TEST(RedisUrl, RefusesMalformedOnesAndSaysWhyWithoutThePassword) {
  const struct {
    const char* url;
    const char* says;
  } cases[] = {
      {"", "expected redis://"},
      {"127.0.0.1:6379", "expected redis://"},
      {"http://127.0.0.1", "unknown scheme 'http://'"},
      {"rediss://127.0.0.1", "TLS"},
      {"redis://", "no host"},
      {"redis://:pw@", "no host"},
      {"redis://h:0", "port must be a number from 1 to 65535"},
      {"redis://h:65536", "port must be a number from 1 to 65535"},
      {"redis://h:http", "port must be a number"},
      {"redis://h:", "a port number is needed"},
      {"redis://h/one", "database number"},
      {"redis://h/1?timeout=3", "no ?parameters"},
      {"redis://hunter2@h", "[USER]:PASSWORD"},
      {"redis://:bad%zzhunter2@h", "[USER]:PASSWORD"},
      {"redis://[::1:6379", "closing ']'"},
      {"redis://::1:6379", "brackets"},
      {"unix://run/redis.sock", "absolute path"},
      {"unix:///run/redis.sock?timeout=1", "db=N"},
      {"unix:///run/redis.sock?db=x", "database number"},
  };
  for (const auto& c : cases) {
    std::string error;
    EXPECT_FALSE(parse_redis_url(c.url, &error)) << c.url;
    EXPECT_EQ(error.rfind("bad Redis URL: ", 0), 0u) << c.url << ": " << error;
    EXPECT_NE(error.find(c.says), std::string::npos) << c.url << ": " << error;
    EXPECT_EQ(error.find("hunter2"), std::string::npos) << "a message repeats the password: " << error;
  }
}

// ---------------------------------------------------------------- anti-replay

TEST(RedisAntiReplay, AcceptsAnIdOnceAndDistinctIdsEach) {
  RedisServer redis;
  auto store = make_redis_anti_replay(redis.options());
  const std::time_t later = std::time(nullptr) + 60;
  const Bytes a = {'h', 0, 1, 2, 0xff}, b = {'h', 0, 1, 2, 0xfe}, c = {'t', 0};
  EXPECT_TRUE(store->first_use(a, later));
  EXPECT_FALSE(store->first_use(a, later)) << "a replay";
  EXPECT_TRUE(store->first_use(b, later)) << "ids differing in one byte are distinct";
  EXPECT_TRUE(store->first_use(c, later));
  EXPECT_TRUE(store->first_use(Bytes{'t'}, later)) << "binary ids are not cut at a zero byte";
  EXPECT_FALSE(store->first_use(c, later));
  EXPECT_FALSE(store->first_use(b, later));
  // Another key prefix is another namespace.
  RedisOptions other = redis.options();
  other.key_prefix = "fleet-b:";
  EXPECT_TRUE(make_redis_anti_replay(other)->first_use(a, later));
}

TEST(RedisAntiReplay, ForgetsAnIdWhenItExpires) {
  RedisServer redis;
  auto store = make_redis_anti_replay(redis.options());
  const Bytes id = id_of("h-short-lived");
  // Expiries are whole seconds: one second from now is kept at least a second.
  EXPECT_TRUE(store->first_use(id, std::time(nullptr) + 1));
  EXPECT_FALSE(store->first_use(id, std::time(nullptr) + 1));
  const Bytes kept = id_of("h-long-lived");
  EXPECT_TRUE(store->first_use(kept, std::time(nullptr) + 60));
  std::this_thread::sleep_for(1100ms);
  EXPECT_TRUE(store->first_use(id, std::time(nullptr) + 60)) << "expired, so new again";
  EXPECT_FALSE(store->first_use(id, std::time(nullptr) + 60));
  EXPECT_FALSE(store->first_use(kept, std::time(nullptr) + 60)) << "not expired yet";
}

TEST(RedisAntiReplay, TwoServersSharingRedisAcceptEachIdOnceBetweenThem) {
  RedisServer redis;
  auto a = make_redis_anti_replay(redis.options());
  auto b = make_redis_anti_replay(redis.options());
  const std::time_t later = std::time(nullptr) + 60;
  EXPECT_TRUE(a->first_use(id_of("ticket-1"), later));
  EXPECT_FALSE(b->first_use(id_of("ticket-1"), later)) << "replayed to the other server";
  EXPECT_TRUE(b->first_use(id_of("ticket-2"), later));
  EXPECT_FALSE(a->first_use(id_of("ticket-2"), later));

  // Many threads on both "servers" racing on the same ids: each id is accepted exactly once.
  RedisOptions small = redis.options();
  small.max_connections = 3;  // fewer connections than threads: they wait their turn
  small.command_timeout_ms = 2000;
  auto c = make_redis_anti_replay(small), d = make_redis_anti_replay(small);
  constexpr int kIds = 150, kThreads = 8;
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      AntiReplay& store = t % 2 ? *c : *d;
      for (int i = 0; i < kIds; ++i) {
        const Bytes id = id_of("race-" + std::to_string(i));
        if (store.first_use(id, later)) accepted.fetch_add(1);
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted.load(), kIds);
}

TEST(RedisAntiReplay, DeclinesQuicklyWhileRedisIsDownOrStalledAndRecovers) {
  RedisServer redis;
  std::atomic<int> reports{0};
  RedisOptions o = redis.options();
  o.on_error = [&reports](const std::string& m) {
    reports.fetch_add(1);
    EXPECT_NE(m.find("Redis at 127.0.0.1:"), std::string::npos) << m;
  };
  auto store = make_redis_anti_replay(o);
  const std::time_t later = std::time(nullptr) + 60;
  ASSERT_TRUE(store->first_use(id_of("before"), later));

  // Stalled (SIGSTOP: the socket is open but nothing answers): false within the command timeout.
  redis.pause();
  auto t0 = Clock::now();
  EXPECT_FALSE(store->first_use(id_of("while-stalled"), later));
  EXPECT_LT(ms_since(t0), o.command_timeout_ms + 250.0);
  EXPECT_GE(reports.load(), 1);
  // Within the retry interval: false at once, no new attempt.
  t0 = Clock::now();
  EXPECT_FALSE(store->first_use(id_of("while-stalled-2"), later));
  EXPECT_LT(ms_since(t0), 20.0);
  redis.resume();
  std::this_thread::sleep_for(std::chrono::milliseconds(o.retry_interval_ms + 20));
  EXPECT_TRUE(store->first_use(id_of("after-stall"), later)) << "back once Redis answers";

  // Down (killed): false at once (connection refused), and back when Redis is.
  redis.stop();
  t0 = Clock::now();
  EXPECT_FALSE(store->first_use(id_of("while-down"), later));
  EXPECT_FALSE(store->first_use(id_of("while-down"), later));
  EXPECT_LT(ms_since(t0), o.command_timeout_ms + 250.0);
  redis.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(o.retry_interval_ms + 20));
  EXPECT_TRUE(store->first_use(id_of("while-down"), later)) << "a declined id was never recorded";
  EXPECT_FALSE(store->first_use(id_of("while-down"), later));

  // A restart while the pool holds connections: the stale ones are replaced at once.
  redis.stop();
  redis.start();
  EXPECT_TRUE(store->first_use(id_of("after-restart"), later));

  // A port where nothing listens.
  RedisOptions nowhere = o;
  nowhere.port = free_port();
  t0 = Clock::now();
  EXPECT_FALSE(make_redis_anti_replay(nowhere)->first_use(id_of("x"), later));
  EXPECT_LT(ms_since(t0), o.connect_timeout_ms + 250.0);
}

TEST(RedisAntiReplay, AuthDbAndUnixSockets) {
  RedisServer redis({"--requirepass", "pa ss"});
  RedisOptions o = redis.options();
  std::string error;
  EXPECT_FALSE(ping_redis(o, &error));
  EXPECT_NE(error.find("NOAUTH"), std::string::npos) << error;
  EXPECT_FALSE(make_redis_anti_replay(o)->first_use(id_of("x"), std::time(nullptr) + 60)) << "no password: declined";
  o.password = "hunter2";
  EXPECT_FALSE(ping_redis(o, &error));
  EXPECT_NE(error.find("AUTH failed"), std::string::npos) << error;
  EXPECT_EQ(error.find("hunter2"), std::string::npos) << error;

  auto url = parse_redis_url("redis://:pa%20ss@127.0.0.1:" + std::to_string(redis.port()) + "/1");
  ASSERT_TRUE(url);
  EXPECT_TRUE(ping_redis(*url, &error)) << error;
  auto db1 = make_redis_anti_replay(*url);
  const std::time_t later = std::time(nullptr) + 60;
  EXPECT_TRUE(db1->first_use(id_of("x"), later));
  EXPECT_FALSE(db1->first_use(id_of("x"), later));
  // The same id in database 0 is another key; the Unix socket reaches the same server.
  auto sock = parse_redis_url("unix://:pa%20ss@" + redis.unix_socket());
  ASSERT_TRUE(sock);
  EXPECT_TRUE(ping_redis(*sock, &error)) << error;
  auto db0 = make_redis_anti_replay(*sock);
  EXPECT_TRUE(db0->first_use(id_of("x"), later));
  EXPECT_FALSE(db0->first_use(id_of("x"), later));
  sock->db = 1;
  EXPECT_FALSE(make_redis_anti_replay(*sock)->first_use(id_of("x"), later));
}

// ---------------------------------------------------------------- ticket keys

TEST(RedisTicketKeys, ServersAgreeOnEachPeriodsKeyAndPeriodsDiffer) {
  RedisServer redis;
  auto a = make_redis_ticket_key_source(redis.options(), 3600);
  auto b = make_redis_ticket_key_source(redis.options(), 3600);
  const uint64_t now = static_cast<uint64_t>(std::time(nullptr)) / 3600;
  const SecretBytes a_now = a->key(now);
  ASSERT_EQ(a_now.size(), 32u);
  EXPECT_NE(a_now, SecretBytes(Bytes(32, 0)));
  EXPECT_EQ(b->key(now), a_now) << "the second server reads the key the first made";
  const SecretBytes b_next = b->key(now + 1);
  ASSERT_EQ(b_next.size(), 32u);
  EXPECT_NE(b_next, a_now);
  EXPECT_EQ(a->key(now + 1), b_next);
  EXPECT_EQ(a->key(now), a_now);
  // Sources racing for a period nobody has asked for yet still agree.
  std::vector<std::shared_ptr<TicketKeySource>> fleet;
  for (int i = 0; i < 6; ++i) fleet.push_back(make_redis_ticket_key_source(redis.options(), 3600));
  std::vector<SecretBytes> got(fleet.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < fleet.size(); ++i) threads.emplace_back([&, i] { got[i] = fleet[i]->key(now + 2); });
  for (auto& t : threads) t.join();
  for (const auto& k : got) {
    EXPECT_EQ(k.size(), 32u);
    EXPECT_EQ(k, got[0]);
  }
  // Another prefix, another fleet: its own keys.
  RedisOptions other = redis.options();
  other.key_prefix = "other-fleet:";
  const SecretBytes o_now = make_redis_ticket_key_source(other, 3600)->key(now);
  EXPECT_EQ(o_now.size(), 32u);
  EXPECT_NE(o_now, a_now);
  // A period long over gets no new key.
  EXPECT_TRUE(a->key(now - 10).empty());
}

TEST(RedisTicketKeys, CachedKeysServeWithoutRedisAndNewOnesWaitForIt) {
  RedisServer redis;
  auto source = make_redis_ticket_key_source(redis.options(), 3600);
  const uint64_t now = static_cast<uint64_t>(std::time(nullptr)) / 3600;
  const SecretBytes k = source->key(now);
  ASSERT_EQ(k.size(), 32u);
  redis.stop();
  const auto t0 = Clock::now();
  EXPECT_EQ(source->key(now), k) << "the current period's key is kept in memory";
  EXPECT_LT(ms_since(t0), 5.0);
  EXPECT_TRUE(source->key(now + 1).empty()) << "a period never fetched: no key while Redis is down";
  EXPECT_TRUE(make_redis_ticket_key_source(redis.options(), 3600)->key(now).empty());
  redis.start();  // empty: no persistence
  std::this_thread::sleep_for(std::chrono::milliseconds(redis.options().retry_interval_ms + 20));
  EXPECT_EQ(source->key(now + 1).size(), 32u);
}

// ---------------------------------------------------------------- two servers in memory

const Bytes kRequest = {'G', 'E', 'T', ' ', '/', '\r', '\n'};

Bytes read_early(Connection& c) {
  Bytes got;
  uint8_t buf[1024];
  while (const size_t n = c.read_early_data(buf)) got.insert(got.end(), buf, buf + n);
  return got;
}

// A server configuration as a server of the fleet would make it: its own connections to Redis.
std::shared_ptr<const ServerConfig> fleet_server(const RedisServer& redis, bool shared_keys = true) {
  ServerOptions s = test::server_options_for(crypto::KeyType::ec_p256);
  s.max_early_data = 4096;
  s.anti_replay = make_redis_anti_replay(redis.options());
  if (shared_keys) s.ticket_key_source = make_redis_ticket_key_source(redis.options(), s.ticket_key_rotation_seconds);
  auto config = ServerConfig::create(s);
  EXPECT_TRUE(config) << config.error().to_string();
  return config ? *config : nullptr;
}

TEST(RedisFleet, ZeroRttOnOneServerIsNotAcceptedAgainOnAnotherAndTicketsResumeAcross) {
  RedisServer redis;
  const auto a = fleet_server(redis), b = fleet_server(redis);
  const auto alone = fleet_server(redis, false);  // Redis anti-replay, but its own ticket keys
  ASSERT_TRUE(a && b && alone);
  ClientOptions co = test::client_options_for(crypto::KeyType::ec_p256);
  co.early_data = true;
  auto client_config = ClientConfig::create(co);
  ASSERT_TRUE(client_config);

  // A full handshake with A: two tickets.
  std::vector<SessionTicket> tickets;
  {
    auto c = ClientConnection::create(*client_config, test::server_name("localhost"));
    auto s = ServerConnection::create(a);
    ASSERT_TRUE(c && s);
    ASSERT_TRUE(test::pump(*c, *s));
    tickets = c->take_session_tickets();
    ASSERT_EQ(tickets.size(), 2u);
    EXPECT_EQ(tickets[0].max_early_data, 4096u);
  }

  // 0-RTT with the first ticket on A: accepted.
  auto client = ClientConnection::create(*client_config, test::server_name("localhost"), tickets[0]);
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->write_early_data(kRequest));
  const Bytes flight(client->pending_output().begin(), client->pending_output().end());
  client->consume_output(flight.size());
  auto on_a = ServerConnection::create(a);
  ASSERT_TRUE(on_a && test::offer_all(*on_a, flight));
  EXPECT_EQ(on_a->early_data(), EarlyData::accepted);
  EXPECT_EQ(read_early(*on_a), kRequest);
  ASSERT_TRUE(test::pump(*client, *on_a));
  EXPECT_EQ(client->early_data(), EarlyData::accepted);
  EXPECT_TRUE(client->negotiated().resumed);

  // The same first flight replayed to B: B opens the ticket (shared keys) but has seen the
  // ClientHello through Redis, so the early data is declined and never reaches it.
  auto on_b = ServerConnection::create(b);
  ASSERT_TRUE(on_b);
  auto st = on_b->receive(flight);
  ASSERT_TRUE(st) << st.error().to_string();
  EXPECT_EQ(on_b->early_data(), EarlyData::rejected);
  EXPECT_TRUE(read_early(*on_b).empty()) << "replayed early data must not reach the application";

  // A new ClientHello with the ticket A already took 0-RTT for: declined on B too (§8.1,
  // single use), and the handshake resumes in 1-RTT.
  {
    auto again = ClientConnection::create(*client_config, test::server_name("localhost"), tickets[0]);
    auto s = ServerConnection::create(b);
    ASSERT_TRUE(again && s);
    ASSERT_TRUE(again->write_early_data(kRequest));
    ASSERT_TRUE(test::pump(*again, *s));
    EXPECT_EQ(s->early_data(), EarlyData::rejected);
    EXPECT_TRUE(again->negotiated().resumed) << "declining 0-RTT still resumes";
    EXPECT_EQ(test::transfer(*again, *s, kRequest), kRequest);
  }

  // A's second ticket on B: resumed with 0-RTT accepted.
  {
    auto c = ClientConnection::create(*client_config, test::server_name("localhost"), tickets[1]);
    auto s = ServerConnection::create(b);
    ASSERT_TRUE(c && s);
    ASSERT_TRUE(c->write_early_data(kRequest));
    ASSERT_TRUE(test::pump(*c, *s));
    EXPECT_EQ(s->early_data(), EarlyData::accepted);
    EXPECT_EQ(read_early(*s), kRequest);
    EXPECT_TRUE(c->negotiated().resumed);
    tickets = c->take_session_tickets();  // B's tickets, for the control below
    ASSERT_FALSE(tickets.empty());
  }

  // The control: a server with ticket keys of its own cannot open them.
  {
    auto c = ClientConnection::create(*client_config, test::server_name("localhost"), tickets[0]);
    auto s = ServerConnection::create(alone);
    ASSERT_TRUE(c && s);
    ASSERT_TRUE(c->write_early_data(kRequest));
    ASSERT_TRUE(test::pump(*c, *s));
    EXPECT_FALSE(c->negotiated().resumed);
    EXPECT_EQ(s->early_data(), EarlyData::rejected);
  }
}

// ---------------------------------------------------------------- tlspp server

using cli_test::client_args;
using cli_test::files;
using cli_test::run_cli;
using cli_test::Server;
using cli_test::write_file;

TEST(RedisCli, TwoServersShareTicketKeysAndTheAntiReplayRecord) {
  RedisServer redis;
  const std::vector<std::string> flags = {"--echo", "--early-data", "16384", "--anti-replay", redis.url(),
                                          "--ticket-keys", redis.url()};
  Server a(flags), b(flags);
  ASSERT_NE(a.port(), 0) << a.log();
  ASSERT_NE(b.port(), 0) << b.log();
  const std::string sessions = files().dir + "/redis-cli-" + std::to_string(redis.port()) + ".sessions";
  const std::string early = files().dir + "/redis-cli-" + std::to_string(redis.port()) + ".early";
  write_file(early, Bytes{'h', 'e', 'l', 'l', 'o'});

  const auto o1 = run_cli(client_args(a, {"--request", "x", "--timeout", "0.3", "--summary", "--sess-out", sessions}));
  ASSERT_EQ(o1.status, 0) << o1.err;
  // A's ticket, with early data, on B: resumed, 0-RTT accepted.
  const std::vector<std::string> zero_rtt = {"--sess-in", sessions, "--early-data", early, "--timeout", "0.3",
                                             "--summary"};
  const auto o2 = run_cli(client_args(b, zero_rtt));
  ASSERT_EQ(o2.status, 0) << o2.err;
  EXPECT_NE(o2.err.find("resumed: yes\n"), std::string::npos) << o2.err;
  EXPECT_NE(o2.err.find("early_data: accepted\n"), std::string::npos) << o2.err;
  EXPECT_EQ(o2.out, "hello");
  // The same ticket and early data on A: B took them, so A declines (and the data is sent
  // after the handshake).
  const auto o3 = run_cli(client_args(a, zero_rtt));
  ASSERT_EQ(o3.status, 0) << o3.err;
  EXPECT_NE(o3.err.find("resumed: yes\n"), std::string::npos) << o3.err;
  EXPECT_NE(o3.err.find("early_data: rejected\n"), std::string::npos) << o3.err;
  EXPECT_EQ(o3.out, "hello");
  ::unlink(sessions.c_str());
  ::unlink(early.c_str());
}

TEST(RedisCli, AnUnreachableRedisStopsTheServerAtStartupWithOneLine) {
  const std::string dead = "redis://127.0.0.1:" + std::to_string(free_port());
  for (const std::vector<std::string>& flags :
       {std::vector<std::string>{"--early-data", "100", "--anti-replay", dead}, {"--ticket-keys", dead}}) {
    std::vector<std::string> args = {"server", "--listen", "127.0.0.1:0", "--cert", files().chain, "--key", files().key};
    args.insert(args.end(), flags.begin(), flags.end());
    const auto o = run_cli(args);
    EXPECT_EQ(o.status, 1) << o.err;
    EXPECT_EQ(cli_test::count_lines(o.err), 1u) << o.err;
    EXPECT_EQ(o.err.rfind("tlspp server: " + flags[flags.size() - 2] + ": Redis at 127.0.0.1:", 0), 0u) << o.err;
    EXPECT_NE(o.err.find("Connection refused"), std::string::npos) << o.err;
  }
  // A malformed URL is a usage error.
  const auto bad = run_cli({"server", "--cert", files().chain, "--key", files().key, "--ticket-keys", "redis://h:0"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("tlspp server: --ticket-keys: bad Redis URL: the port must be"), std::string::npos) << bad.err;
  const auto not_url = run_cli({"server", "--cert", files().chain, "--key", files().key, "--ticket-keys", "memory"});
  EXPECT_EQ(not_url.status, 2);
  EXPECT_NE(not_url.err.find("--ticket-keys takes a Redis URL"), std::string::npos) << not_url.err;
}

}  // namespace
}  // namespace tlspp
