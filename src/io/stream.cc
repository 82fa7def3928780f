#include "tlspp/stream.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "io/socket.h"

namespace tlspp {

namespace {

// Large enough for a whole maximum-size TLS record (2^14 + 256 + header) in one recv().
constexpr size_t kRecvBuffer = 17 * 1024;

}  // namespace

Stream::Stream(Stream&& other) noexcept
    : conn_(std::move(other.conn_)), fd_(std::exchange(other.fd_, -1)), eof_(other.eof_) {}

Stream& Stream::operator=(Stream&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    conn_ = std::move(other.conn_);
    fd_ = std::exchange(other.fd_, -1);
    eof_ = other.eof_;
  }
  return *this;
}

Stream::~Stream() {
  if (fd_ >= 0) ::close(fd_);
}

Result<Stream> Stream::connect(std::shared_ptr<const ClientConfig> config, const std::string& host, uint16_t port) {
  auto name = ServerName::parse(host);
  if (!name) return fail(name.error());
  return connect(std::move(config), host, port, *name);
}

Result<Stream> Stream::connect(std::shared_ptr<const ClientConfig> config, const std::string& host, uint16_t port,
                               const ServerName& server_name) {
  auto fd = io::connect_tcp(host, port);
  if (!fd) return fail(fd.error());
  return connect_fd(std::move(config), *fd, server_name);
}

Result<Stream> Stream::connect_fd(std::shared_ptr<const ClientConfig> config, int fd, const ServerName& server_name) {
  auto conn = ClientConnection::create(std::move(config), server_name);
  if (!conn) {
    ::close(fd);
    return fail(conn.error());
  }
  return handshake(std::move(*conn), fd);
}

Result<Stream> Stream::connect_fd(std::shared_ptr<const ClientConfig> config, int fd, const ServerName& server_name,
                                  const SessionTicket& ticket) {
  auto conn = ClientConnection::create(std::move(config), server_name, ticket);
  if (!conn) {
    ::close(fd);
    return fail(conn.error());
  }
  return handshake(std::move(*conn), fd);
}

Result<Stream> Stream::connect_fd_early(std::shared_ptr<const ClientConfig> config, int fd,
                                        const ServerName& server_name, ByteView early_data, const SessionTicket* ticket) {
  auto conn = ticket ? ClientConnection::create(std::move(config), server_name, *ticket)
                     : ClientConnection::create(std::move(config), server_name);
  if (!conn) {
    ::close(fd);
    return fail(conn.error());
  }
  if (!early_data.empty() && conn->early_data() == EarlyData::offered) {
    if (auto s = conn->write_early_data(early_data); !s) {
      ::close(fd);
      return fail(s.error());
    }
  }
  return handshake(std::move(*conn), fd);
}

Result<Stream> Stream::accept(std::shared_ptr<const ServerConfig> config, int fd) {
  auto conn = ServerConnection::create(std::move(config));
  if (!conn) {
    ::close(fd);
    return fail(conn.error());
  }
  return handshake(std::move(*conn), fd);
}

Result<Stream> Stream::handshake(Connection conn, int fd) {
  // From here the Stream owns fd: every return path below closes it through ~Stream.
  Stream s(std::move(conn), fd);
  while (!s.conn_.handshake_done()) {
    TLSPP_TRY(s.flush());
    auto n = s.receive_once();
    if (!n) return fail(n.error());
    if (*n == 0) {
      TLSPP_TRY(s.conn_.transport_closed());  // fails: the handshake is not done
      return fail(Error::internal("the peer closed the connection during the handshake"));
    }
  }
  // The client's Finished (or the server's tickets) still need to leave.
  TLSPP_TRY(s.flush());
  return s;
}

Status Stream::flush() {
  while (!conn_.pending_output().empty()) {
    const ByteView out = conn_.pending_output();
    auto sent = io::send_all(fd_, out);
    if (!sent) return fail(explain_send_failure(std::move(sent.error())));
    conn_.consume_output(out.size());
  }
  return {};
}

Error Stream::explain_send_failure(Error send_error) {
  // A peer that rejected us (a client certificate it requires, say) sends its alert and
  // closes; our next send then fails with "broken pipe". The alert, already in our
  // receive buffer, says why: report it instead when it is there.
  uint8_t buf[kRecvBuffer];
  for (;;) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return send_error;
    if (auto s = offer(ByteView(buf, static_cast<size_t>(n))); !s) return s.error();
  }
}

Status Stream::offer(ByteView data) {
  auto taken = conn_.receive(data);
  if (!taken) return fail(taken.error());
  backlog_.insert(backlog_.end(), data.begin() + static_cast<std::ptrdiff_t>(*taken), data.end());
  return {};
}

Result<size_t> Stream::receive_once() {
  if (!backlog_.empty()) {
    // What the connection could not take last time comes before anything newer.
    const Bytes pending = std::exchange(backlog_, {});
    const Status received = offer(pending);
    const Status flushed = flush();
    if (!received) return fail(received.error());
    if (!flushed) return fail(flushed.error());
    return pending.size();
  }
  if (eof_) return size_t{0};
  uint8_t buf[kRecvBuffer];
  auto n = io::recv_some(fd_, buf);
  if (!n) return fail(n.error());
  if (*n == 0) {
    eof_ = true;
    return size_t{0};
  }
  const Status received = offer(ByteView(buf, *n));
  // Send the reply (or, after an error, the alert) before reporting anything.
  const Status flushed = flush();
  if (!received) return fail(received.error());
  if (!flushed) return fail(flushed.error());
  return *n;
}

Result<size_t> Stream::read(MutByteView out) {
  if (out.empty()) return size_t{0};
  for (;;) {
    if (const size_t got = conn_.read(out)) return got;
    if (conn_.peer_closed()) return size_t{0};
    if (conn_.error()) return fail(*conn_.error());
    auto n = receive_once();
    if (!n) return fail(n.error());
    if (*n == 0) {
      // close_notify (0) or a truncation (an error), as Connection::transport_closed decides.
      TLSPP_TRY(conn_.transport_closed());
      return size_t{0};
    }
  }
}

Status Stream::write_all(ByteView data) {
  const Status written = conn_.write(data);
  const Status flushed = flush();
  if (!written) return written;
  return flushed;
}

Status Stream::close() {
  conn_.close();
  const Status flushed = flush();
  // RFC 8446 §6.1: close_notify closes only our writing side; the peer may still answer.
  // A peer that already answered and closed, or reset, the connection is not an error
  // here: what it sent is still there to be read.
  if (::shutdown(fd_, SHUT_WR) != 0 && errno != ENOTCONN && errno != EPIPE && errno != ECONNRESET)
    return fail(io::io_error("shutdown", errno));
  if (!flushed && flushed.error().kind != ErrorKind::io) return flushed;  // e.g. the peer's alert
  return {};
}

}  // namespace tlspp
