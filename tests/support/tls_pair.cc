#include "support/tls_pair.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>

#include "crypto/pem.h"

namespace tlspp::test {

ServerName server_name(std::string_view name) {
  auto n = ServerName::parse(name);
  if (!n) {
    std::fprintf(stderr, "test: invalid server name '%.*s'\n", static_cast<int>(name.size()), name.data());
    std::abort();
  }
  return *n;
}

CertificateKeyPair pem_pair(const pki::TestPki& p) {
  CertificateKeyPair pair;
  for (const auto& der : p.chain()) {
    const std::string pem = crypto::pem_encode("CERTIFICATE", der);
    pair.cert_pem.insert(pair.cert_pem.end(), pem.begin(), pem.end());
  }
  const std::string key = crypto::pem_encode("PRIVATE KEY", p.leaf_key.pkcs8_der());
  pair.key_pem.assign(key.begin(), key.end());
  return pair;
}

std::string write_temp_pem(const Bytes& der, const std::string& name) {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/tlspp-test-XXXXXX";
    const char* d = mkdtemp(tmpl);
    std::string s = d ? d : "/tmp";
    static std::string cleanup_dir = s;
    std::atexit([] { (void)std::system(("rm -rf '" + cleanup_dir + "'").c_str()); });
    return s;
  }();
  const std::string path = dir + "/" + name;
  std::ofstream(path) << crypto::pem_encode("CERTIFICATE", der);
  return path;
}

const pki::TestPki& shared_pki(crypto::KeyType type, const std::string& name) {
  static std::mutex m;
  static std::map<std::pair<int, std::string>, std::unique_ptr<pki::TestPki>> cache;
  std::lock_guard<std::mutex> lock(m);
  auto& slot = cache[{static_cast<int>(type), name}];
  if (!slot) {
    pki::TestPkiOptions o;
    o.key_type = type;
    o.names = {name};
    auto p = pki::make_test_pki(o);
    if (!p) {
      std::fprintf(stderr, "make_test_pki failed: %s\n", p.error().to_string().c_str());
      std::abort();
    }
    slot = std::make_unique<pki::TestPki>(std::move(*p));
  }
  return *slot;
}

ClientOptions client_options_for(crypto::KeyType type) {
  ClientOptions o;
  const auto& p = shared_pki(type);
  o.ca_files = {write_temp_pem(p.root, "root-" + std::to_string(static_cast<int>(type)) + ".pem")};
  return o;
}

ServerOptions server_options_for(crypto::KeyType type) {
  ServerOptions o;
  o.certificates = {pem_pair(shared_pki(type))};
  return o;
}

Bytes transfer(Connection& from, Connection& to, ByteView data) {
  EXPECT_TRUE(from.write(data));
  Bytes got, wire;
  for (int i = 0; i < 1000 && got.size() < data.size(); ++i) {
    wire.insert(wire.end(), from.pending_output().begin(), from.pending_output().end());
    from.consume_output(from.pending_output().size());
    // receive() takes what fits in the read buffer; the rest stays on the wire.
    auto s = to.receive(wire);
    EXPECT_TRUE(s) << s.error().to_string();
    if (!s) break;
    wire.erase(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(*s));
    uint8_t buf[4096];
    while (size_t n = to.read(buf)) got.insert(got.end(), buf, buf + n);
  }
  return got;
}

Status offer_all(Connection& to, ByteView bytes) {
  auto s = to.receive(bytes);
  if (!s) return fail(s.error());
  if (*s != bytes.size())
    return fail(Error::internal("test wire: receive() took " + std::to_string(*s) + " of " +
                                std::to_string(bytes.size()) + " bytes (its read buffer is full: read() first)"));
  return {};
}

std::string key_type_label(crypto::KeyType type) {
  switch (type) {
    case crypto::KeyType::ec_p256: return "P256";
    case crypto::KeyType::ec_p384: return "P384";
    case crypto::KeyType::rsa: return "RSA2048";
    case crypto::KeyType::ed25519: return "Ed25519";
    default: return "other";
  }
}

Status pump(Connection& client, Connection& server, int max_rounds) {
  for (int i = 0; i < max_rounds; ++i) {
    bool moved = false;
    if (client.wants_write()) {
      const Bytes b(client.pending_output().begin(), client.pending_output().end());
      client.consume_output(b.size());
      moved = true;
      if (auto s = offer_all(server, b); !s) {
        // Deliver the server's alert so the client can see it too.
        if (server.wants_write()) {
          const Bytes a(server.pending_output().begin(), server.pending_output().end());
          server.consume_output(a.size());
          (void)client.receive(a);
        }
        return s;
      }
    }
    if (server.wants_write()) {
      const Bytes b(server.pending_output().begin(), server.pending_output().end());
      server.consume_output(b.size());
      moved = true;
      if (auto s = offer_all(client, b); !s) {
        if (client.wants_write()) {
          const Bytes a(client.pending_output().begin(), client.pending_output().end());
          client.consume_output(a.size());
          (void)server.receive(a);
        }
        return s;
      }
    }
    if (!moved) return {};
  }
  return fail(Error::internal("pump: connections still talking after many rounds"));
}

Result<Pair> connect(const ClientOptions& c, const ServerOptions& s, const std::string& host) {
  auto cc = ClientConfig::create(c);
  if (!cc) return fail(cc.error());
  auto sc = ServerConfig::create(s);
  if (!sc) return fail(sc.error());
  auto name = ServerName::parse(host);
  if (!name) return fail(name.error());
  auto client = ClientConnection::create(*cc, *name);
  if (!client) return fail(client.error());
  auto server = ServerConnection::create(*sc);
  if (!server) return fail(server.error());
  Pair p{std::move(*client), std::move(*server)};
  TLSPP_TRY(pump(p.client, p.server));
  return p;
}

}  // namespace tlspp::test
