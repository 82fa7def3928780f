// The TLS 1.3 connected state (RFC 8446 §4.6): KeyUpdate both ways, NewSessionTicket on the
// client, the exporter. Built by either handshake when it completes.
#pragma once

#include <memory>

#include "crypto/aead.h"
#include "crypto/hash.h"
#include "handshake/io.h"
#include "keysched/transcript.h"
#include "tlspp/config.h"

namespace tlspp::handshake {

struct Tls13Secrets {
  crypto::HashAlg hash;
  crypto::AeadAlg aead;
  ByteView client_application, server_application, exporter, resumption;
};

// RFC 8446 §4.6.2: what post-handshake client authentication needs beyond the secrets.
struct PostHandshakeAuth {
  bool offered = false;               // the client sent post_handshake_auth
  keysched::Transcript transcript;    // ClientHello .. client Finished
  std::shared_ptr<const ClientConfig> client;  // client: the certificates to answer with
  std::shared_ptr<const ServerConfig> server;  // server: how to verify the answer
  bool raw_client_key = false;        // client_certificate_type RawPublicKey was negotiated
};

[[nodiscard]] std::unique_ptr<Connected> make_tls13_connected(Side side, const Tls13Secrets& secrets);
[[nodiscard]] std::unique_ptr<Connected> make_tls13_connected(Side side, const Tls13Secrets& secrets,
                                                              PostHandshakeAuth pha);

// RFC 8446 §7.3: derives the key and IV of a TLS 1.3 traffic secret and installs them for
// one direction; `label` names the secret in the key log (empty: not logged).
[[nodiscard]] Status install_tls13_keys(Io& io, Direction direction, KeyEpoch epoch, crypto::AeadAlg aead,
                                        crypto::HashAlg hash, ByteView secret, std::string_view label,
                                        bool update = false);

}  // namespace tlspp::handshake
