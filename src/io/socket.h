// Small POSIX socket helpers for the blocking Stream and the command-line tools. This is
// the only layer that touches sockets; nothing below it (conn/ and down) does.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "tlspp/error.h"
#include "tlspp/types.h"

namespace tlspp::io {

// An error of kind io naming what failed: "connect to 127.0.0.1:1: Connection refused".
[[nodiscard]] Error io_error(std::string what, int errnum);

// "host:port" as given on a command line: "example.com:443", "127.0.0.1:8443",
// "[::1]:443". The brackets are removed from an IPv6 literal.
struct Endpoint {
  std::string host;
  uint16_t port = 0;
};
[[nodiscard]] Result<Endpoint> parse_endpoint(std::string_view text);
// The reverse: brackets an IPv6 literal again.
[[nodiscard]] std::string format_endpoint(std::string_view host, uint16_t port);

// Resolves `host` (name or literal; brackets allowed) and connects a blocking TCP socket
// to the first address that accepts. TCP_NODELAY is set: TLS writes whole records.
[[nodiscard]] Result<int> connect_tcp(const std::string& host, uint16_t port);
// A listening TCP socket bound to host:port (port 0 picks a free one), SO_REUSEADDR set.
[[nodiscard]] Result<int> listen_tcp(const std::string& host, uint16_t port, int backlog = 128);
// The local port a socket is bound to.
[[nodiscard]] Result<uint16_t> local_port(int fd);
// An address accept() has filled in, as "127.0.0.1:5555" / "[::1]:5555" ("?" when it is
// neither IPv4 nor IPv6).
[[nodiscard]] std::string address_name(const sockaddr_storage& address);

[[nodiscard]] Status set_nonblocking(int fd);
// Sends all of `data` on a blocking socket (MSG_NOSIGNAL, retrying on EINTR).
[[nodiscard]] Status send_all(int fd, ByteView data);
// One recv() (retrying on EINTR): the byte count, 0 at end of stream.
[[nodiscard]] Result<size_t> recv_some(int fd, MutByteView buf);

}  // namespace tlspp::io
