#include "io/socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace tlspp::io {

namespace {

std::string strip_brackets(const std::string& host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') return host.substr(1, host.size() - 2);
  return host;
}

std::string sockaddr_text(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    if (!inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf)) return "?";
    return format_endpoint(buf, ntohs(in->sin_port));
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    if (!inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf)) return "?";
    return format_endpoint(buf, ntohs(in6->sin6_port));
  }
  return "?";
}

struct FreeAddrInfo {
  void operator()(addrinfo* a) const { freeaddrinfo(a); }
};
using AddrInfo = std::unique_ptr<addrinfo, FreeAddrInfo>;

Result<AddrInfo> resolve(const std::string& host, uint16_t port, bool passive) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  const std::string service = std::to_string(port);
  const std::string h = strip_brackets(host);
  addrinfo* list = nullptr;
  const int rc = getaddrinfo(h.empty() ? nullptr : h.c_str(), service.c_str(), &hints, &list);
  AddrInfo ai(list);
  if (rc != 0)
    return fail(Error(ErrorKind::io, AlertDescription::internal_error,
                      "cannot resolve '" + h + "': " + gai_strerror(rc)));
  return ai;
}

}  // namespace

Error io_error(std::string what, int errnum) {
  return Error(ErrorKind::io, AlertDescription::internal_error, std::move(what) + ": " + std::strerror(errnum));
}

Result<Endpoint> parse_endpoint(std::string_view text) {
  Endpoint ep;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return fail(Error::config("'" + std::string(text) + "' is not of the form [IPv6]:PORT"));
    ep.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon)
      return fail(Error::config("'" + std::string(text) + "' is not of the form HOST:PORT (bracket IPv6 literals)"));
    ep.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  if (ep.host.empty()) return fail(Error::config("'" + std::string(text) + "' has no host"));
  unsigned long port = 0;
  if (port_text.empty() || port_text.size() > 5) return fail(Error::config("'" + std::string(text) + "' has no valid port"));
  for (char c : port_text) {
    if (c < '0' || c > '9') return fail(Error::config("'" + std::string(text) + "' has no valid port"));
    port = port * 10 + static_cast<unsigned long>(c - '0');
  }
  if (port > 65535) return fail(Error::config("port " + std::string(port_text) + " is out of range"));
  ep.port = static_cast<uint16_t>(port);
  return ep;
}

std::string format_endpoint(std::string_view host, uint16_t port) {
  const bool v6 = host.find(':') != std::string_view::npos;
  return (v6 ? "[" + std::string(host) + "]" : std::string(host)) + ":" + std::to_string(port);
}

Result<int> connect_tcp(const std::string& host, uint16_t port) {
  auto ai = resolve(host, port, false);
  if (!ai) return fail(ai.error());
  int last_errno = ECONNREFUSED;
  for (const addrinfo* a = ai->get(); a; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      last_errno = errno;
      continue;
    }
    int rc;
    do rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    while (rc < 0 && errno == EINTR);
    if (rc == 0) {
      const int one = 1;
      (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      return fd;
    }
    last_errno = errno;
    ::close(fd);
  }
  return fail(io_error("cannot connect to " + format_endpoint(strip_brackets(host), port), last_errno));
}

Result<int> listen_tcp(const std::string& host, uint16_t port, int backlog) {
  auto ai = resolve(host, port, true);
  if (!ai) return fail(ai.error());
  int last_errno = EADDRNOTAVAIL;
  for (const addrinfo* a = ai->get(); a; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      last_errno = errno;
      continue;
    }
    const int one = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, backlog) == 0) return fd;
    last_errno = errno;
    ::close(fd);
  }
  return fail(io_error("cannot listen on " + format_endpoint(strip_brackets(host), port), last_errno));
}

Result<uint16_t> local_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return fail(io_error("getsockname", errno));
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port);
  return fail(Error(ErrorKind::io, AlertDescription::internal_error, "socket is not an IP socket"));
}

std::string address_name(const sockaddr_storage& address) {
  return sockaddr_text(reinterpret_cast<const sockaddr*>(&address));
}

Status set_nonblocking(int fd) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return fail(io_error("fcntl(O_NONBLOCK)", errno));
  return {};
}

Status send_all(int fd, ByteView data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(io_error("send", errno));
    }
    data = data.subspan(static_cast<size_t>(n));
  }
  return {};
}

Result<size_t> recv_some(int fd, MutByteView buf) {
  for (;;) {
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return fail(io_error("recv", errno));
  }
}

}  // namespace tlspp::io
