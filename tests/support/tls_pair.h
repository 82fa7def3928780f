// Test support: a fresh PKI in memory, configurations built from it, and a pump that
// joins a client and a server connection through memory.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "crypto/sig.h"
#include "pki/builder.h"
#include "tlspp/config.h"
#include "tlspp/connection.h"

namespace tlspp::test {

// A CertificateKeyPair in PEM text for the PKI's leaf chain.
[[nodiscard]] CertificateKeyPair pem_pair(const pki::TestPki& pki);
// The root of `pki` as a PEM file in a temporary directory (removed at exit).
[[nodiscard]] std::string write_temp_pem(const Bytes& der, const std::string& name);

// A test PKI per key type, made once per process (RSA key generation is slow).
[[nodiscard]] const pki::TestPki& shared_pki(crypto::KeyType type, const std::string& name = "localhost");

// ServerName::parse for names a test knows are valid (aborts the test binary otherwise).
[[nodiscard]] ServerName server_name(std::string_view name);

// "P256", "P384", "RSA2048", "Ed25519" (for parameterized test names).
[[nodiscard]] std::string key_type_label(crypto::KeyType type);

struct PairOptions {
  crypto::KeyType key_type = crypto::KeyType::ec_p256;
};

// Client options trusting the shared PKI's root for `type`.
[[nodiscard]] ClientOptions client_options_for(crypto::KeyType type);
// Server options serving the shared PKI's leaf for `type`.
[[nodiscard]] ServerOptions server_options_for(crypto::KeyType type);

// Hands `bytes` to `to`, failing when it does not take them all (its read buffer is full).
[[nodiscard]] Status offer_all(Connection& to, ByteView bytes);

// Moves bytes both ways until neither side has anything to send. Returns the first
// error of either side (the client's first), or success.
Status pump(Connection& client, Connection& server, int max_rounds = 100);

// Writes `data` on `from` and moves records to `to` until it has read as many bytes (or an
// error); returns what `to` read. Records a test failure when `to` refuses a record.
[[nodiscard]] Bytes transfer(Connection& from, Connection& to, ByteView data);

// Runs a whole handshake; fails the test with the error on failure.
struct Pair {
  ClientConnection client;
  ServerConnection server;
};
[[nodiscard]] Result<Pair> connect(const ClientOptions& c, const ServerOptions& s, const std::string& host = "localhost");

}  // namespace tlspp::test
