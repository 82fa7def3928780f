// The TLS 1.3 client handshake (RFC 8446 §2, §4), one message at a time:
//
//   start            -> ClientHello                      -> ExpectServerHello
//   ExpectServerHello   (HelloRetryRequest -> ClientHello2, once)
//                    -> ExpectEncryptedExtensions -> ExpectCertificateOrRequest
//                    -> [ExpectCertificate] -> ExpectCertificateVerify -> ExpectFinished
//                    -> [Certificate, CertificateVerify,] Finished -> Connected
#pragma once

#include <memory>
#include <string>

#include "handshake/io.h"
#include "tlspp/config.h"

namespace tlspp::handshake {

// `ticket` (may be null) is a session to offer for resumption; it is copied.
[[nodiscard]] std::unique_ptr<Handshake> make_tls13_client(std::shared_ptr<const ClientConfig> config,
                                                           const ServerName& server_name, const SessionTicket* ticket);

}  // namespace tlspp::handshake
