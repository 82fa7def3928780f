// asio_https_get: fetches one HTTPS URL with tlspp over Asio, in a C++20 coroutine, and
// prints the response (status line, headers, body) to stdout.
//
//   asio_https_get HOST [PORT [PATH [CA_FILE]]]     (PORT 443, PATH /, the system roots)
//
// The server's certificate is verified against HOST (and CA_FILE when given). Exit status 0
// when the response arrived whole, 1 on any error (printed to stderr).
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "tlspp/asio.h"
#include "tlspp/config.h"

namespace {

using tcp = asio::ip::tcp;

asio::awaitable<int> fetch(std::shared_ptr<const tlspp::ClientConfig> config, std::string host, std::string port,
                           std::string path) {
  auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver(ex);
  const auto endpoints = co_await resolver.async_resolve(host, port, asio::use_awaitable);
  tcp::socket socket(ex);
  co_await asio::async_connect(socket, endpoints, asio::use_awaitable);

  tlspp::asio::stream<tcp::socket> tls(std::move(socket), config, host);
  co_await tls.async_handshake(tls.client, asio::use_awaitable);
  const tlspp::Negotiated& n = tls.connection()->negotiated();
  std::fprintf(stderr, "connected: %s, %s, server %s\n", std::string(tlspp::protocol_version_name(n.version)).c_str(),
               std::string(tlspp::cipher_suite_name(n.cipher_suite)).c_str(), n.peer_subject.c_str());

  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + host +
                              "\r\nConnection: close\r\nUser-Agent: tlspp-asio\r\n\r\n";
  co_await asio::async_write(tls, asio::buffer(request), asio::use_awaitable);

  // Read until the server's close_notify (asio::error::eof). A connection cut without one
  // is tlspp::asio::error::stream_truncated: the response may be incomplete.
  char buf[16384];
  for (;;) {
    std::error_code ec;
    const size_t got = co_await tls.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
    std::fwrite(buf, 1, got, stdout);
    if (ec == asio::error::eof) break;
    if (ec) {
      std::fprintf(stderr, "read: %s\n", ec.message().c_str());
      co_return 1;
    }
  }
  std::fflush(stdout);
  // Answer the server's close_notify with ours.
  std::error_code ec;
  co_await tls.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s HOST [PORT [PATH [CA_FILE]]]\n", argv[0]);
    return 2;
  }
  const std::string host = argv[1];
  const std::string port = argc > 2 ? argv[2] : "443";
  const std::string path = argc > 3 ? argv[3] : "/";

  tlspp::ClientOptions options;
  if (argc > 4) options.ca_files = {argv[4]};
  options.alpn = {"http/1.1"};
  auto config = tlspp::ClientConfig::create(options);
  if (!config) {
    std::fprintf(stderr, "configuration: %s\n", config.error().to_string().c_str());
    return 1;
  }

  asio::io_context io;
  int status = 1;
  asio::co_spawn(io, fetch(*config, host, port, path), [&](std::exception_ptr e, int rc) {
    if (!e) {
      status = rc;
      return;
    }
    try {
      std::rethrow_exception(e);
    } catch (const std::system_error& err) {
      std::fprintf(stderr, "error: %s\n", err.code().message().c_str());
    } catch (const std::exception& err) {
      std::fprintf(stderr, "error: %s\n", err.what());
    }
  });
  io.run();
  return status;
}
