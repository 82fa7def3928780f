/// @file
/// @brief Sans-I/O TLS connections.
///
/// A connection never touches a socket. The application moves bytes:
///
/// @code{.unparsed}
///   received from the network  -> receive(bytes)
///   pending_output()           -> send to the network, then consume_output(n)
///   write(plaintext)           -> queued, encrypted into pending_output()
///   read(buffer)               <- decrypted application data
/// @endcode
///
/// Two variants skip a copy each: write_into(plaintext, buffer) seals records straight into
/// the application's send buffer, and read_view() with consume_read(n) reads received data
/// where it was decrypted.
///
/// There is one path for everything: the handshake, application data, alerts and
/// KeyUpdates all go through receive() and pending_output(). After a fatal error the
/// connection produces nothing but the alert that reports it (records it had queued before
/// the error stay ahead of the alert, whose record sequence depends on them); every later
/// call returns the same error.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tlspp/config.h"
#include "tlspp/error.h"
#include "tlspp/export.h"
#include "tlspp/secret.h"
#include "tlspp/server_name.h"
#include "tlspp/types.h"

namespace tlspp {

/// What the handshake settled. Available once handshake_done() (some fields earlier).
struct Negotiated {
  ProtocolVersion version = ProtocolVersion::tls13;  ///< TLS 1.3 or TLS 1.2
  CipherSuite cipher_suite{};  ///< the cipher suite in use
  NamedGroup group{};  ///< the (EC)DHE group (none for psk_ke or a resumed TLS 1.2 session)
  SignatureScheme signature_scheme{};  ///< the one the server (peer, for a server: client) signed with
  std::string alpn;                    ///< empty: none
  std::string server_name;             ///< SNI sent (client) or received (server)
  bool hello_retry_request = false;  ///< the server sent a HelloRetryRequest
  bool resumed = false;  ///< a session was resumed (no certificates were exchanged)
  ///@{
  /// The external PSK's identity when one authenticated the handshake (no certificates
  /// then; peer_key is "PSK"), and whether it went without (EC)DHE (psk_ke).
  std::string psk_identity;
  bool psk_without_dhe = false;
  ///@}
  /// The peer's certificate chain, DER, leaf first (empty when none was sent).
  std::vector<Bytes> peer_certificates;
  std::string peer_subject;   ///< "CN=localhost"
  std::string peer_key;       ///< "ECDSA P-256"
  bool peer_verified = false;  ///< chain and name verified (false when verification was skipped)
  /// RFC 7250: the peer authenticated with a raw public key (peer_certificates then holds its
  /// one SubjectPublicKeyInfo, peer_subject is empty) that matched a configured pin.
  bool peer_raw_public_key = false;
  /// Lower-case hex SHA-256 of the peer's DER SubjectPublicKeyInfo (the leaf's, for X.509):
  /// the value a pin names. Empty when the peer sent no key.
  std::string peer_spki_sha256;
  ///@{
  /// RFC 8449: the record_size_limit the peer sent (0: none), which the protected records
  /// sent to it respect, and whether ours was negotiated (then enforced on what it sends).
  uint16_t peer_record_size_limit = 0;
  bool record_size_limit_negotiated = false;
  ///@}
  ///@{
  /// RFC 8446 §4.6.2 post-handshake client authentication (TLS 1.3). The client offered it
  /// (post_handshake_auth); on a server, a CertificateRequest is waiting for its answer; how
  /// many answers have completed (server: received and verified; client: sent), and whether
  /// the last one was an empty Certificate. When a server accepts a certificate this way,
  /// the peer fields above describe it from then on.
  bool post_handshake_auth_offered = false;
  bool post_handshake_auth_pending = false;
  unsigned post_handshake_auth_answers = 0;
  bool post_handshake_auth_declined = false;
  ///@}
};

/// A session the client may resume later: a TLS 1.3 ticket (RFC 8446 §4.6.1), or a TLS 1.2
/// session (RFC 5246 §7.4.1.2 session ID, RFC 5077 ticket, or both).
struct SessionTicket {
  ProtocolVersion version = ProtocolVersion::tls13;  ///< the version the session was made with
  uint32_t lifetime_seconds = 0;  ///< how long the server lets the session be resumed
  uint32_t age_add = 0;  ///< TLS 1.3: obfuscates the ticket age the client reports (RFC 8446 §4.6.1)
  Bytes nonce;  ///< TLS 1.3: the ticket_nonce the PSK was derived with
  Bytes ticket;  ///< the opaque ticket the server issued (empty: none)
  uint32_t max_early_data = 0;  ///< TLS 1.3: how many bytes of 0-RTT data the ticket allows (0: none)
  /// TLS 1.3: the PSK derived for this ticket; TLS 1.2: the master secret. Wiped with the ticket.
  SecretBytes resumption_secret;
  ///@{
  /// TLS 1.2: the session ID the server assigned (empty: none), and whether the session used
  /// the extended master secret (RFC 7627 §5.3: a client resumes only such sessions by default).
  Bytes session_id;
  bool extended_master_secret = false;
  ///@}
  CipherSuite cipher_suite{};  ///< the cipher suite of the session
  ///@{
  /// RFC 8446 §4.6.1: what the session was made with. A client offers the ticket only to
  /// the same server name, when the ticket's ALPN protocol (if any) is still configured and
  /// its suite is too.
  std::string server_name;
  std::string alpn;
  ///@}
  std::time_t received_at = 0;  ///< when the client received the session (Unix time)
  ///@{
  /// Who the server proved to be when the ticket was issued (a resumed connection reports
  /// these again, since no certificate is sent).
  std::string peer_subject;
  std::string peer_key;
  bool peer_verified = false;
  ///@}
  ///@{
  /// TLS 1.3: whether that proof was a raw public key (RFC 7250), and its SPKI's SHA-256.
  bool peer_raw_public_key = false;
  std::string peer_spki_sha256;
  ///@}
};

/// 0-RTT as the handshake settled it (RFC 8446 §4.2.10): not offered by the client, offered
/// (the server has not answered yet), accepted or rejected by the server.
enum class EarlyData : uint8_t { not_offered, offered, accepted, rejected };

/// A sans-I/O TLS connection, client or server (ClientConnection, ServerConnection): the
/// application moves its bytes to and from the network. Move-only.
class TLSPP_API Connection {
 public:
  ///@{
  /// A moved-from connection may only be destroyed or assigned to.
  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  ///@}
  ~Connection();

  /// Processes bytes received from the peer and returns how many it took: all of them,
  /// unless the application has CommonOptions::read_buffer_limit bytes unread or more than
  /// output_limit bytes wait in pending_output(). Then it stops at a record boundary and
  /// the rest must be offered again once read() or sending made room (stop reading the
  /// socket meanwhile: that is the back-pressure that bounds what a peer can make us hold).
  /// Bytes after the peer's close_notify are taken and ignored. On a fatal error returns it,
  /// queues the alert for the peer (send pending_output() before closing the socket), and
  /// stays failed.
  [[nodiscard]] Result<size_t> receive(ByteView data);
  /// Received bytes held until the rest of their record or handshake message arrives (a
  /// server may put a deadline on a peer that stalls with a message half sent).
  [[nodiscard]] size_t buffered_input() const;
  /// Bytes waiting to be sent to the peer; valid until the next call on this connection.
  [[nodiscard]] ByteView pending_output() const;
  /// Marks the first n bytes of pending_output() as sent.
  void consume_output(size_t n);
  /// Whether pending_output() has bytes to send.
  [[nodiscard]] bool wants_write() const { return !pending_output().empty(); }
  /// Gives back what an idle connection can rebuild: the record ciphers' contexts (about
  /// 2 KiB of libcrypto state per connection; the keys stay, wiped with the connection) and
  /// empty buffers. The next record sent or received sets the ciphers up again, at about a
  /// microsecond each, so call it when a connection goes quiet, not between records (a
  /// server holding many idle connections calls it when one has nothing to send and is
  /// waiting for its peer). The connection behaves the same either way.
  void release_idle_memory();

  /// Queues application data (encrypted at once into pending_output()). Before the handshake
  /// completes, data is buffered and sent when it does. Fails after close or error.
  [[nodiscard]] Status write(ByteView plaintext);
  /// write() without the output queue's copy: records are sealed straight into `out` (a
  /// send buffer, a registered I/O ring slot), after whatever pending_output() held, which
  /// moves there first. Returns how many bytes of `out` were filled; send them before
  /// anything pending_output() still has. A record that does not fit whole is queued in
  /// pending_output(), as write() would queue it, and tops `out` up from there: no data is
  /// refused for want of room. Size `out` with sealed_size() to have nothing queued. Before the handshake completes, the
  /// data waits as with write() and `out` receives only the handshake bytes pending.
  [[nodiscard]] Result<size_t> write_into(ByteView plaintext, MutByteView out);
  /// The bytes on the wire of write() or write_into() of `plaintext_len` bytes now: record
  /// headers, tags and (TLS 1.2 AES-GCM) explicit nonces included. Exact once the
  /// handshake is done, an upper bound before; an automatic KeyUpdate (TLS 1.3) adds a
  /// record of its own to pending_output().
  [[nodiscard]] size_t sealed_size(size_t plaintext_len) const;
  /// Copies up to out.size() bytes of received application data; returns how many (0 when
  /// none is buffered).
  [[nodiscard]] size_t read(MutByteView out);
  /// The received application data, where the connection decrypted it, for reading in
  /// place instead of copying out with read(); valid until the next call on this
  /// connection. Mark what was used with consume_read().
  [[nodiscard]] ByteView read_view() const;
  /// Drops the first n bytes of read_view() (at most all of them).
  void consume_read(size_t n);
  /// How many bytes of received application data read() can return now.
  [[nodiscard]] size_t readable() const;

  /// The handshake completed (on a client, the server's Finished was verified; on a
  /// server, the client's).
  [[nodiscard]] bool handshake_done() const;
  /// The peer sent close_notify: no more data will arrive.
  [[nodiscard]] bool peer_closed() const;
  /// Sends close_notify (RFC 8446 §6.1); no writes after it.
  void close();
  /// Tells the connection that its transport reached end of stream (a TCP FIN). Succeeds
  /// when the peer had sent close_notify first. Otherwise the connection fails (and stays
  /// failed) with ErrorKind::truncated, alert close_notify: RFC 8446 §6.1, an end of stream
  /// without close_notify may be an attacker cutting the data short. During the handshake
  /// it fails with ErrorKind::closed. Decrypted data received before remains readable.
  [[nodiscard]] Status transport_closed();
  /// The fatal error that ended the connection, if any.
  [[nodiscard]] const std::optional<Error>& error() const;

  /// RFC 8446 §4.6.3: starts a KeyUpdate (our write keys change at once); with
  /// request_peer, the peer is asked to update its keys too.
  [[nodiscard]] Status key_update(bool request_peer);
  /// RFC 8446 §7.5 exporter; available after the handshake.
  [[nodiscard]] Result<Bytes> export_keying_material(std::string_view label, ByteView context,
                                                     size_t length) const;

  /// What the handshake settled (Negotiated says which fields are known when).
  [[nodiscard]] const Negotiated& negotiated() const;

  /// 0-RTT. Client: offered (right after create(), with ClientOptions::early_data and a
  /// ticket that allows it), then accepted or rejected once the server has answered.
  /// Server: accepted when it took the client's early data, rejected when it declined it.
  [[nodiscard]] EarlyData early_data() const;
  /// Client, while early_data() is offered: sends `data` as early data, at most the ticket's
  /// max_early_data in all. Early data can be replayed by an attacker: only requests that are
  /// safe to repeat. When the server rejects it, nothing is resent by the library: the
  /// application decides (write() it again once the handshake is done, or not).
  [[nodiscard]] Status write_early_data(ByteView data);
  /// Server: early data received, kept apart from read()'s 1-RTT data (readable as soon as
  /// it arrives, before the handshake completes).
  [[nodiscard]] size_t read_early_data(MutByteView out);
  /// Session tickets received so far (client side).
  [[nodiscard]] std::vector<SessionTicket> take_session_tickets();

  /// @cond INTERNAL
  struct TLSPP_LOCAL Core;  ///< the implementation (conn/)
  Core& core() { return *core_; }

 protected:
  TLSPP_LOCAL explicit Connection(std::unique_ptr<Core> core);
  std::unique_ptr<Core> core_;
  /// @endcond
};

/// The client side of a connection.
class TLSPP_API ClientConnection : public Connection {
 public:
  /// Starts a handshake with `server_name`: the name the certificate is verified against,
  /// sent as SNI when it is a DNS name (an IP address is verified but not sent, RFC 6066 §3).
  /// The ClientHello is in pending_output() when this returns.
  [[nodiscard]] static Result<ClientConnection> create(std::shared_ptr<const ClientConfig> config,
                                                       const ServerName& server_name);
  /// The same, offering to resume the session of `ticket` (RFC 8446 §2.2): if the server
  /// accepts, no certificate is exchanged and negotiated().resumed is true; otherwise a full
  /// handshake follows. A ticket is offered only where RFC 8446 §4.6.1 allows resuming it:
  /// issued for this same server name, not expired, for a suite still configured, with its
  /// ALPN protocol (if any) still configured, and verified as this configuration verifies
  /// (a ticket from an unverified session is not offered by a verifying client). Otherwise
  /// the ticket is ignored and a full handshake runs.
  [[nodiscard]] static Result<ClientConnection> create(std::shared_ptr<const ClientConfig> config,
                                                       const ServerName& server_name, const SessionTicket& ticket);

 private:
  using Connection::Connection;
  TLSPP_LOCAL static Result<ClientConnection> create_resuming(std::shared_ptr<const ClientConfig> config,
                                                              const ServerName& server_name,
                                                              const SessionTicket* ticket);
};

/// The server side of a connection.
class TLSPP_API ServerConnection : public Connection {
 public:
  /// Starts a server connection; it waits for the client's ClientHello in receive().
  [[nodiscard]] static Result<ServerConnection> create(std::shared_ptr<const ServerConfig> config);

  /// RFC 8446 §4.6.2: asks the client for a certificate now that the handshake is done (TLS
  /// 1.3, and only of a client that offered post_handshake_auth). The answer arrives through
  /// receive(): negotiated().post_handshake_auth_pending turns false and
  /// post_handshake_auth_answers goes up once the client's Certificate, CertificateVerify and
  /// Finished are verified (its certificate against client_ca_files, or a raw key against
  /// the pins); post_handshake_auth_declined says it sent none. A certificate that fails
  /// verification fails the connection with the alert it deserves. One request at a time.
  [[nodiscard]] Status request_client_certificate();

 private:
  using Connection::Connection;
};

}  // namespace tlspp
