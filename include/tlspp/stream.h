/// @file
/// @brief A blocking TLS stream over a connected socket.
///
/// Stream is the simple shell around the sans-I/O Connection for programs that are happy
/// to block: connect (or accept), handshake, then read and write plaintext. Everything
/// still goes through the one Connection path; Stream only moves its bytes to and from
/// the socket.
///
/// Ownership: a Stream owns its socket. It closes the fd when it is destroyed, and the
/// factory functions that take an fd take it over whether they succeed or fail (on
/// failure the fd is closed after any alert has been sent). A Stream is move-only; a
/// moved-from Stream owns nothing. The configuration is shared: the Stream's connection
/// keeps the shared_ptr alive for as long as it needs it.
///
/// Every call sends whatever the connection has queued before it returns, including
/// after an error, so that the alert naming the error reaches the peer.
///
/// SIGPIPE: sends use MSG_NOSIGNAL, so a peer that went away is an error, not a signal.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tlspp/config.h"
#include "tlspp/connection.h"
#include "tlspp/error.h"
#include "tlspp/export.h"
#include "tlspp/types.h"

namespace tlspp {

/// A blocking TLS stream over a connected socket that it owns. Move-only.
class TLSPP_API Stream {
 public:
  /// Resolves `host` (a name, or an IPv4/IPv6 literal, brackets allowed: "[::1]"), connects
  /// to the first address that accepts, then runs the handshake, verifying the certificate
  /// against `host` (ServerName::parse; a host that is not a valid name fails before any
  /// connection is made).
  [[nodiscard]] static Result<Stream> connect(std::shared_ptr<const ClientConfig> config, const std::string& host,
                                              uint16_t port);
  /// The same, verifying (and sending as SNI) `server_name` instead of `host`.
  [[nodiscard]] static Result<Stream> connect(std::shared_ptr<const ClientConfig> config, const std::string& host,
                                              uint16_t port, const ServerName& server_name);
  /// Runs a client handshake on `fd`, an already connected stream socket (takes it over).
  [[nodiscard]] static Result<Stream> connect_fd(std::shared_ptr<const ClientConfig> config, int fd,
                                                 const ServerName& server_name);
  /// The same, offering to resume `ticket`'s session (ClientConnection::create says when the
  /// ticket is offered; a full handshake follows when it is not, or when the server declines).
  [[nodiscard]] static Result<Stream> connect_fd(std::shared_ptr<const ClientConfig> config, int fd,
                                                 const ServerName& server_name, const SessionTicket& ticket);
  /// The same, resuming a session of the configuration's session store (or `ticket`) and
  /// sending `early_data` as 0-RTT data when the session allows it (ClientOptions::early_data).
  /// connection().early_data() then says whether the server accepted it; when it did not,
  /// the data was not delivered and nothing is resent: write it again if it is safe to.
  [[nodiscard]] static Result<Stream> connect_fd_early(std::shared_ptr<const ClientConfig> config, int fd,
                                                       const ServerName& server_name, ByteView early_data,
                                                       const SessionTicket* ticket = nullptr);
  /// Runs a server handshake on `fd`, an accepted stream socket (takes it over).
  [[nodiscard]] static Result<Stream> accept(std::shared_ptr<const ServerConfig> config, int fd);

  ///@{
  /// Moves the socket and the connection; the moved-from Stream owns nothing (assigning
  /// closes the socket the target owned).
  Stream(Stream&& other) noexcept;
  Stream& operator=(Stream&& other) noexcept;
  ///@}
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  /// Closes the socket (without sending close_notify: call close() for that).
  ~Stream();

  /// Reads application data into `out`, blocking until at least one byte is available.
  /// Returns 0 once the peer has sent close_notify. A TCP close without close_notify is an
  /// error of kind ErrorKind::truncated (RFC 8446 §6.1: the data may have been truncated);
  /// see Connection::transport_closed.
  [[nodiscard]] Result<size_t> read(MutByteView out);
  /// Encrypts and sends all of `data`, blocking until the socket has taken it.
  [[nodiscard]] Status write_all(ByteView data);
  /// Sends close_notify (RFC 8446 §6.1), then shuts down the sending half of the socket.
  /// Reading remains possible: the peer may still send data and its own close_notify.
  [[nodiscard]] Status close();

  /// For event loops that poll the socket themselves: one recv() (which blocks only when
  /// nothing has arrived yet; call it after poll() reports the fd readable), fed to the
  /// connection, any reply sent. Returns the number of bytes received from the network,
  /// 0 at TCP end of stream. Decrypted data is then available from connection().read().
  [[nodiscard]] Result<size_t> receive_once();

  ///@{
  /// The sans-I/O connection inside (negotiated(), read() after receive_once(), ...).
  [[nodiscard]] Connection& connection() { return conn_; }
  [[nodiscard]] const Connection& connection() const { return conn_; }
  ///@}
  /// The socket, for poll(); still owned by the Stream.
  [[nodiscard]] int fd() const { return fd_; }

 private:
  Stream(Connection conn, int fd) : conn_(std::move(conn)), fd_(fd) {}
  [[nodiscard]] TLSPP_LOCAL static Result<Stream> handshake(Connection conn, int fd);
  [[nodiscard]] TLSPP_LOCAL Status flush();
  [[nodiscard]] TLSPP_LOCAL Error explain_send_failure(Error send_error);
  /// Hands received bytes to the connection; what it does not take waits in backlog_.
  [[nodiscard]] TLSPP_LOCAL Status offer(ByteView data);

  Connection conn_;
  int fd_ = -1;
  bool eof_ = false;  ///< the peer closed its sending half of TCP
  /// Received bytes the connection did not take yet (its read buffer was full): offered
  /// again, before any new recv(), once the application has read.
  Bytes backlog_;
};

}  // namespace tlspp
