// event_loop_server: an echo server that serves many TLS connections from one poll()
// loop with the sans-I/O API. No threads, no blocking calls: each connection is a
// tlspp::ServerConnection, and the loop only moves bytes between it and its socket.
//
//   event_loop_server CERT_FILE KEY_FILE [PORT]      (listens on 127.0.0.1, default 8443)
//
// Try it with:  openssl s_client -connect 127.0.0.1:8443 -tls1_3 -CAfile ROOT
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

#include "tlspp/config.h"
#include "tlspp/connection.h"

namespace {

struct Peer {
  int fd;
  tlspp::ServerConnection tls;
  bool done = false;    // closed or failed: drop once the output is sent
  bool broken = false;  // the socket failed: drop at once
  // Received bytes the connection did not take (our echo is backed up because the client
  // does not read): no more recv() until they have been taken.
  std::vector<uint8_t> backlog;
};

// Sends what the connection has queued, as far as the socket takes it without blocking.
// Returns false if the socket failed.
bool send_pending(Peer& p) {
  while (p.tls.wants_write()) {
    const tlspp::ByteView out = p.tls.pending_output();
    const ssize_t n = send(p.fd, out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
    p.tls.consume_output(static_cast<size_t>(n));
  }
  return true;
}

// Hands received bytes to the connection and echoes any application data back. receive()
// takes only what fits (our queued echo is bounded); the rest waits in the backlog.
void feed(Peer& p, tlspp::ByteView data) {
  while (!data.empty()) {
    // The handshake, alerts and KeyUpdates all happen inside receive(); on a fatal error it
    // queues the alert in pending_output(), which the loop still sends before dropping us.
    auto taken = p.tls.receive(data);
    if (!taken) {
      std::fprintf(stderr, "connection %d: %s\n", p.fd, taken.error().to_string().c_str());
      p.done = true;
      return;
    }
    data = data.subspan(*taken);
    uint8_t plain[16384];
    while (const size_t got = p.tls.read(plain)) (void)p.tls.write(tlspp::ByteView(plain, got));
    if (p.tls.peer_closed()) {  // RFC 8446 §6.1: answer close_notify with our own
      p.tls.close();
      p.done = true;
      return;
    }
    if (*taken == 0) {  // our output is full: keep the rest until the client reads
      p.backlog.assign(data.begin(), data.end());
      return;
    }
  }
}

// Feeds what the socket has to the connection.
void on_readable(Peer& p) {
  uint8_t buf[17 * 1024];
  const ssize_t n = recv(p.fd, buf, sizeof buf, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
  if (n <= 0) {  // the TCP connection ended (or failed)
    p.done = true;
    return;
  }
  feed(p, tlspp::ByteView(buf, static_cast<size_t>(n)));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s CERT_FILE KEY_FILE [PORT]\n", argv[0]);
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);

  // One configuration shared by every connection.
  tlspp::ServerOptions options;
  tlspp::CertificateKeyPair pair;
  pair.cert_file = argv[1];
  pair.key_file = argv[2];
  options.certificates.push_back(pair);
  auto config = tlspp::ServerConfig::create(options);
  if (!config) {
    std::fprintf(stderr, "configuration: %s\n", config.error().to_string().c_str());
    return 1;
  }

  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(argc > 3 ? std::atoi(argv[3]) : 8443));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(listener, 64) != 0) {
    std::perror("bind/listen");
    return 1;
  }
  std::fprintf(stderr, "echo server on 127.0.0.1:%d\n", ntohs(addr.sin_port));

  std::vector<Peer> peers;
  for (;;) {
    // Watch the listener, each live peer for input, and each peer with queued output for
    // room to send it.
    std::vector<pollfd> fds{{listener, POLLIN, 0}};
    for (const Peer& p : peers)
      fds.push_back({p.fd, static_cast<short>((p.done || !p.backlog.empty() ? 0 : POLLIN) | (p.tls.wants_write() ? POLLOUT : 0)), 0});
    if (poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) return 1;

    // fds[i + 1] belongs to peers[i]; new peers are appended after this pass.
    for (size_t i = 0; i < peers.size(); ++i) {
      if (!peers[i].done && (fds[i + 1].revents & (POLLIN | POLLHUP | POLLERR))) on_readable(peers[i]);
      if (!send_pending(peers[i])) peers[i].broken = true;
      if (!peers[i].backlog.empty() && !peers[i].tls.wants_write()) {
        const std::vector<uint8_t> pending = std::exchange(peers[i].backlog, {});
        feed(peers[i], pending);
      }
    }
    // Drop the finished peers whose last bytes (echo, close_notify or alert) have left.
    std::erase_if(peers, [](const Peer& p) {
      if (!p.broken && (!p.done || p.tls.wants_write())) return false;
      close(p.fd);
      return true;
    });

    if (fds[0].revents & POLLIN) {
      const int fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK);
      if (fd < 0) continue;
      auto tls = tlspp::ServerConnection::create(*config);
      if (!tls) {
        close(fd);
        continue;
      }
      peers.push_back({fd, std::move(*tls), false, false, {}});
    }
  }
}
