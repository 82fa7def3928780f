// asio_echo_server: a TLS echo server with tlspp over Asio. Each accepted connection runs
// in its own C++20 coroutine: handshake, echo every byte back until the client's
// close_notify, answer it with ours. One thread serves them all.
//
//   asio_echo_server CERT_FILE KEY_FILE [PORT]      (listens on 127.0.0.1; 0 picks a free port)
//
// Prints "listening on 127.0.0.1:PORT" to stderr once ready; SIGINT or SIGTERM stops it.
// Try it with:  openssl s_client -connect 127.0.0.1:PORT -CAfile ROOT
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tlspp/asio.h"
#include "tlspp/config.h"

namespace {

using tcp = asio::ip::tcp;
using tls_stream = tlspp::asio::stream<tcp::socket>;

asio::awaitable<void> serve(tls_stream tls, unsigned id) {
  std::error_code ec;
  co_await tls.async_handshake(tls.server, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    std::fprintf(stderr, "connection %u: handshake: %s\n", id, ec.message().c_str());
    co_return;
  }
  const tlspp::Negotiated& n = tls.connection()->negotiated();
  std::fprintf(stderr, "connection %u: %s %s\n", id, std::string(tlspp::protocol_version_name(n.version)).c_str(),
               std::string(tlspp::cipher_suite_name(n.cipher_suite)).c_str());
  char buf[16384];
  size_t echoed = 0;
  for (;;) {
    const size_t got = co_await tls.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    co_await asio::async_write(tls, asio::buffer(buf, got), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    echoed += got;
  }
  if (ec == asio::error::eof) {
    // The client's close_notify: answer with ours (RFC 8446 §6.1).
    co_await tls.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
    std::fprintf(stderr, "connection %u: closed after %zu bytes\n", id, echoed);
  } else {
    std::fprintf(stderr, "connection %u: %s after %zu bytes\n", id, ec.message().c_str(), echoed);
  }
}

asio::awaitable<void> listen(tcp::acceptor& acceptor, std::shared_ptr<const tlspp::ServerConfig> config) {
  for (unsigned id = 1;; ++id) {
    tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
    asio::co_spawn(acceptor.get_executor(), serve(tls_stream(std::move(socket), config), id), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s CERT_FILE KEY_FILE [PORT]\n", argv[0]);
    return 2;
  }
  tlspp::ServerOptions options;
  tlspp::CertificateKeyPair pair;
  pair.cert_file = argv[1];
  pair.key_file = argv[2];
  options.certificates.push_back(pair);
  auto config = tlspp::ServerConfig::create(options);
  if (!config) {
    std::fprintf(stderr, "configuration: %s\n", config.error().to_string().c_str());
    return 1;
  }

  asio::io_context io;
  const auto port = static_cast<unsigned short>(argc > 3 ? std::atoi(argv[3]) : 8443);
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), port));
  std::fprintf(stderr, "listening on 127.0.0.1:%u\n", static_cast<unsigned>(acceptor.local_endpoint().port()));

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](std::error_code, int) { io.stop(); });
  asio::co_spawn(io, listen(acceptor, *config), asio::detached);
  io.run();
  return 0;
}
