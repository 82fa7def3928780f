// The TLS 1.3 server handshake (RFC 8446 §2, §4):
//
//   ExpectClientHello -> (HelloRetryRequest -> ExpectClientHello2)
//                     -> ServerHello, EncryptedExtensions, [CertificateRequest],
//                        Certificate, CertificateVerify, Finished (one flight)
//                     -> [ExpectCertificate -> ExpectCertificateVerify] -> ExpectFinished
//                     -> Connected ([NewSessionTicket])
#pragma once

#include <memory>

#include "handshake/io.h"
#include "tlspp/config.h"

namespace tlspp::handshake {

[[nodiscard]] std::unique_ptr<Handshake> make_tls13_server(std::shared_ptr<const ServerConfig> config);

}  // namespace tlspp::handshake
