// tlspp::asio: TLS over Asio (standalone Asio, <asio.hpp>), shaped like asio::ssl::stream.
//
//   asio::ip::tcp::socket sock(io);
//   tlspp::asio::stream<asio::ip::tcp::socket> tls(std::move(sock), client_config, "example.com");
//   co_await tls.async_handshake(tls.client, asio::use_awaitable);
//   co_await asio::async_write(tls, asio::buffer(request), asio::use_awaitable);
//   size_t n = co_await tls.async_read_some(asio::buffer(buf), asio::use_awaitable);
//   co_await tls.async_shutdown(asio::use_awaitable);
//
// The stream drives a sans-I/O tlspp::Connection (tlspp/connection.h): bytes the socket
// delivers go to Connection::receive(), what the connection queues (handshake messages,
// records, alerts) is written to the socket. Header-only; it uses only tlspp's public API,
// so the program links tlspp (libcrypto) and nothing else for TLS.
//
// Operations (each also synchronous, throwing asio::system_error or with an error_code&):
//   async_handshake(type, token)     void(error_code)
//   async_read_some(buffers, token)  void(error_code, size_t)
//   async_write_some(buffers, token) void(error_code, size_t)   (AsyncWriteStream: async_write works)
//   async_shutdown(token)            void(error_code)          (close_notify, RFC 8446 §6.1)
// Completion tokens go through asio::async_compose: callbacks, asio::use_future and
// asio::use_awaitable (C++20 coroutines) all work, as do adapters such as redirect_error.
//
// Errors: a TLS failure is an error_code of tlspp::asio::category() whose value encodes the
// tlspp::ErrorKind and the alert (tlspp::asio::error_kind(ec), tlspp::asio::error_alert(ec));
// last_error() has the full tlspp::Error with its sentence. The peer's close_notify ends
// reading with asio::error::eof; a transport that ends without close_notify is
// tlspp::asio::error::stream_truncated (RFC 8446 §6.1: the data may have been cut short), like
// asio::ssl::error::stream_truncated.
//
// Concurrency, as with asio::ssl::stream: the stream is not thread-safe (use one strand), and
// at most one read (async_read_some) and one write (async_write_some) may be outstanding at
// a time, besides which a handshake or a shutdown runs alone (a shutdown may also overlap a
// read that is waiting for data). Data written before the handshake completes is held
// and sent when it does.
//
// Coroutines with clang and libstdc++: Asio (1.22, Debian 12's, and later releases) enables
// co_await for clang only with <experimental/coroutine>, which libstdc++ 12 lacks. The tlspp_asio CMake target defines ASIO_HAS_CO_AWAIT and
// ASIO_HAS_STD_COROUTINE for clang; without CMake, define them before including Asio.
#pragma once

#if defined(__clang__) && defined(__cpp_impl_coroutine) && !defined(ASIO_DETAIL_CONFIG_HPP)
#ifndef ASIO_HAS_CO_AWAIT
#define ASIO_HAS_CO_AWAIT 1
#endif
#ifndef ASIO_HAS_STD_COROUTINE
#define ASIO_HAS_STD_COROUTINE 1
#endif
#endif

#include <asio.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "tlspp/config.h"
#include "tlspp/connection.h"
#include "tlspp/error.h"
#include "tlspp/server_name.h"
#include "tlspp/types.h"

namespace tlspp::asio {

// ---------------------------------------------------------------- errors

namespace error {
// Values of category(): 1000 * (ErrorKind + 1) + alert. The one value applications test
// for by name:
enum stream_errors {
  // The transport ended without the peer's close_notify (ErrorKind::truncated).
  stream_truncated = 1000 * (static_cast<int>(ErrorKind::truncated) + 1) + static_cast<int>(AlertDescription::close_notify),
};
}  // namespace error

const std::error_category& category();

namespace detail {

inline constexpr int kKindStride = 1000;

inline std::string describe_kind(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::decode: return "malformed TLS message";
    case ErrorKind::peer_misbehaved: return "TLS protocol violation by the peer";
    case ErrorKind::peer_incompatible: return "no TLS parameters in common with the peer";
    case ErrorKind::bad_certificate: return "certificate rejected";
    case ErrorKind::crypto: return "TLS cryptographic check failed";
    case ErrorKind::internal: return "internal TLS error";
    case ErrorKind::io: return "transport error";
    case ErrorKind::config: return "TLS configuration error";
    case ErrorKind::alert_received: return "the peer sent a fatal alert";
    case ErrorKind::closed: return "the peer closed the connection during the handshake";
    case ErrorKind::truncated: return "stream truncated (the transport ended without close_notify)";
  }
  return "TLS error";
}

class category_impl final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "tlspp"; }
  [[nodiscard]] std::string message(int value) const override {
    const int kind = value / kKindStride - 1;
    const int alert = value % kKindStride;
    if (kind < 0 || kind > static_cast<int>(ErrorKind::truncated) || alert > 255) return "unknown tlspp error";
    const auto k = static_cast<ErrorKind>(kind);
    std::string text = describe_kind(k);
    if (k != ErrorKind::truncated && k != ErrorKind::closed)
      text += " (alert " + alert_name(static_cast<AlertDescription>(alert)) + ")";
    return text;
  }
};

}  // namespace detail

// The category of every TLS error the stream reports.
inline const std::error_category& category() {
  static const detail::category_impl instance;
  return instance;
}

namespace error {
inline std::error_code make_error_code(stream_errors e) { return {static_cast<int>(e), category()}; }
}  // namespace error

// The error_code for a tlspp::Error: its kind and alert (a truncation is always
// error::stream_truncated).
inline std::error_code make_error_code(const Error& e) {
  if (e.kind == ErrorKind::truncated) return error::make_error_code(error::stream_truncated);
  return {detail::kKindStride * (static_cast<int>(e.kind) + 1) + static_cast<int>(e.alert), category()};
}

// What an error_code of category() says; nothing for other categories.
inline std::optional<ErrorKind> error_kind(const std::error_code& ec) {
  if (ec.category() != category() || ec.value() < detail::kKindStride) return std::nullopt;
  return static_cast<ErrorKind>(ec.value() / detail::kKindStride - 1);
}
inline std::optional<AlertDescription> error_alert(const std::error_code& ec) {
  if (ec.category() != category() || ec.value() < detail::kKindStride) return std::nullopt;
  return static_cast<AlertDescription>(ec.value() % detail::kKindStride);
}

}  // namespace tlspp::asio

namespace std {
template <>
struct is_error_code_enum<tlspp::asio::error::stream_errors> : true_type {};
}  // namespace std

namespace tlspp::asio {

// ---------------------------------------------------------------- the stream

class stream_base {
 public:
  enum handshake_type { client, server };

 protected:
  ~stream_base() = default;
};

template <class NextLayer>
class stream : public stream_base {
 public:
  using next_layer_type = std::remove_reference_t<NextLayer>;
  using lowest_layer_type = typename next_layer_type::lowest_layer_type;
  using executor_type = typename next_layer_type::executor_type;

  // A client stream: `arg` (a connected socket, moved in, or an executor / io_context to
  // construct one) and the name the server's certificate is verified against, sent as SNI
  // (tlspp::ServerName; a name that does not parse fails the handshake with a config error).
  template <class Arg>
  stream(Arg&& arg, std::shared_ptr<const ClientConfig> config, std::string server_name)
      : next_(std::forward<Arg>(arg)),
        client_config_(std::move(config)),
        server_name_(std::move(server_name)),
        read_done_(next_.get_executor()),
        write_done_(next_.get_executor()) {
    init_events();
  }
  template <class Arg>
  stream(Arg&& arg, std::shared_ptr<const ClientConfig> config, const ServerName& server_name)
      : stream(std::forward<Arg>(arg), std::move(config), server_name.str()) {}
  // A server stream.
  template <class Arg>
  stream(Arg&& arg, std::shared_ptr<const ServerConfig> config)
      : next_(std::forward<Arg>(arg)),
        server_config_(std::move(config)),
        read_done_(next_.get_executor()),
        write_done_(next_.get_executor()) {
    init_events();
  }

  stream(stream&&) = default;
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;

  executor_type get_executor() noexcept { return next_.get_executor(); }
  next_layer_type& next_layer() { return next_; }
  const next_layer_type& next_layer() const { return next_; }
  lowest_layer_type& lowest_layer() { return next_.lowest_layer(); }
  const lowest_layer_type& lowest_layer() const { return next_.lowest_layer(); }

  // A client stream offers to resume this session (ClientConnection::create says when the
  // ticket is actually offered). Call before the handshake. Without it, a configuration with
  // a session store resumes from the store by itself.
  void set_session(SessionTicket ticket) { ticket_ = std::move(ticket); }

  // The connection, once the handshake has started (nullptr before): negotiated(),
  // take_session_tickets(), export_keying_material(), key_update()...
  [[nodiscard]] Connection* connection() {
    if (client_) return &*client_;
    if (server_) return &*server_;
    return nullptr;
  }
  [[nodiscard]] const Connection* connection() const {
    if (client_) return &*client_;
    if (server_) return &*server_;
    return nullptr;
  }
  // The server side's connection (post-handshake client authentication), or nullptr.
  [[nodiscard]] ServerConnection* server_connection() { return server_ ? &*server_ : nullptr; }

  // The TLS error behind the last error_code of category() this stream reported.
  [[nodiscard]] const std::optional<Error>& last_error() const { return last_error_; }

  // ------------------------------------------------------------ synchronous

  void handshake(handshake_type type) {
    std::error_code ec;
    throw_if(handshake(type, ec));
  }
  std::error_code handshake(handshake_type type, std::error_code& ec) {
    handshake_op op{type};
    run_sync(op, ec);
    return ec;
  }

  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers) {
    std::error_code ec;
    const size_t n = read_some(buffers, ec);
    throw_if(ec);
    return n;
  }
  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers, std::error_code& ec) {
    read_op<MutableBufferSequence> op{buffers};
    return run_sync(op, ec);
  }

  template <class ConstBufferSequence>
  size_t write_some(const ConstBufferSequence& buffers) {
    std::error_code ec;
    const size_t n = write_some(buffers, ec);
    throw_if(ec);
    return n;
  }
  template <class ConstBufferSequence>
  size_t write_some(const ConstBufferSequence& buffers, std::error_code& ec) {
    write_op<ConstBufferSequence> op{buffers};
    return run_sync(op, ec);
  }

  void shutdown() {
    std::error_code ec;
    throw_if(shutdown(ec));
  }
  std::error_code shutdown(std::error_code& ec) {
    shutdown_op op;
    run_sync(op, ec);
    return ec;
  }

  // ------------------------------------------------------------ asynchronous

  template <class CompletionToken>
  auto async_handshake(handshake_type type, CompletionToken&& token) {
    return ::asio::async_compose<CompletionToken, void(std::error_code)>(
        async_driver<handshake_op, false>{this, handshake_op{type}}, token, next_);
  }

  template <class MutableBufferSequence, class CompletionToken>
  auto async_read_some(const MutableBufferSequence& buffers, CompletionToken&& token) {
    return ::asio::async_compose<CompletionToken, void(std::error_code, size_t)>(
        async_driver<read_op<MutableBufferSequence>, true>{this, read_op<MutableBufferSequence>{buffers}}, token,
        next_);
  }

  template <class ConstBufferSequence, class CompletionToken>
  auto async_write_some(const ConstBufferSequence& buffers, CompletionToken&& token) {
    return ::asio::async_compose<CompletionToken, void(std::error_code, size_t)>(
        async_driver<write_op<ConstBufferSequence>, true>{this, write_op<ConstBufferSequence>{buffers}}, token,
        next_);
  }

  template <class CompletionToken>
  auto async_shutdown(CompletionToken&& token) {
    return ::asio::async_compose<CompletionToken, void(std::error_code)>(
        async_driver<shutdown_op, false>{this, shutdown_op{}}, token, next_);
  }

 private:
  // What an operation needs next.
  enum class action { done, read, write, wait_read, wait_write };

  // Large enough for a whole maximum-size TLS record (2^14 + 256 + header) in one read.
  static constexpr size_t kReadChunk = 17 * 1024;
  // How much plaintext one write_some takes (four full records).
  static constexpr size_t kWriteChunk = 4 * 16384;
  // How much queued output one socket write carries at most.
  static constexpr size_t kSendChunk = 256 * 1024;

  // An event for operations waiting on the other direction's socket operation: a timer that
  // never expires by itself and is cancelled when that operation finishes.
  using event_timer = ::asio::basic_waitable_timer<std::chrono::steady_clock,
                                                   ::asio::wait_traits<std::chrono::steady_clock>, executor_type>;

  void init_events() {
    read_done_.expires_at(std::chrono::steady_clock::time_point::max());
    write_done_.expires_at(std::chrono::steady_clock::time_point::max());
  }

  static void throw_if(const std::error_code& ec) {
    if (ec) throw std::system_error(ec);
  }

  // ------------------------------------------------------------ shared state machine

  std::error_code fail_with(const Error& e) {
    last_error_ = e;
    return make_error_code(e);
  }

  [[nodiscard]] bool output_pending() const {
    const Connection* c = connection();
    return c && !c->pending_output().empty();
  }

  // Starts the connection (first handshake step); false with `ec` set when it cannot be made.
  bool start(handshake_type type, std::error_code& ec) {
    if (connection()) return true;
    if ((type == client) != static_cast<bool>(client_config_)) {
      ec = fail_with(Error::config(type == client ? "a client handshake on a stream made with a ServerConfig"
                                                  : "a server handshake on a stream made with a ClientConfig"));
      return false;
    }
    if (type == client) {
      auto name = ServerName::parse(server_name_);
      if (!name) {
        ec = fail_with(name.error());
        return false;
      }
      auto conn = ticket_ ? ClientConnection::create(client_config_, *name, *ticket_)
                          : ClientConnection::create(client_config_, *name);
      ticket_.reset();
      if (!conn) {
        ec = fail_with(conn.error());
        return false;
      }
      client_.emplace(std::move(*conn));
    } else {
      auto conn = ServerConnection::create(server_config_);
      if (!conn) {
        ec = fail_with(conn.error());
        return false;
      }
      server_.emplace(std::move(*conn));
    }
    return true;
  }

  // Offers received bytes not yet taken to the connection. True when it took some (or
  // failed: the connection's error() then says so); false when back-pressure stopped it.
  bool feed() {
    Connection& c = *connection();
    const ByteView pending(in_.data() + in_begin_, in_end_ - in_begin_);
    auto taken = c.receive(pending);
    if (!taken) {
      in_begin_ = in_end_ = 0;
      return true;
    }
    in_begin_ += *taken;
    if (in_begin_ == in_end_) in_begin_ = in_end_ = 0;
    return *taken > 0;
  }
  [[nodiscard]] bool backlog() const { return in_end_ > in_begin_; }

  // The next socket operation to reach `goal`: writes first (queued output, such as an alert
  // or a reply to the peer, leaves before we wait for more input), then reads.
  [[nodiscard]] action want_write() const { return writing_ ? action::wait_write : action::write; }
  [[nodiscard]] action want_read() const { return reading_ ? action::wait_read : action::read; }

  // The connection took none of the received bytes (back-pressure): what it has queued must
  // leave first. Its read buffer being full cannot be why here, as every operation that
  // feeds it reads it (or is done) first.
  action stalled(std::error_code& ec) {
    if (output_pending()) return want_write();
    if (writing_) return action::wait_write;
    ec = fail_with(Error::internal("the connection takes no input and has nothing to send"));
    return action::done;
  }

  // The error the connection failed with, once its queued output (the alert) has left.
  std::optional<action> failed(std::error_code& ec) {
    const Connection& c = *connection();
    if (!c.error()) return std::nullopt;
    if (output_pending() || writing_) return want_write();
    ec = fail_with(*c.error());
    return action::done;
  }

  struct handshake_op {
    handshake_type type;
    action step(stream& s, std::error_code& ec, size_t&) {
      if (!s.start(type, ec)) return action::done;
      Connection& c = *s.connection();
      for (;;) {
        if (auto a = s.failed(ec)) return *a;
        // Our flight (and, once done, the client's Finished or the server's tickets) leaves.
        if (s.output_pending()) return s.want_write();
        if (c.handshake_done()) return s.writing_ ? action::wait_write : action::done;
        if (s.backlog()) {
          if (s.feed()) continue;
          return s.stalled(ec);
        }
        if (s.eof_) {
          if (auto st = c.transport_closed(); !st) {
            ec = s.fail_with(st.error());
            return action::done;
          }
          ec = s.fail_with(Error(ErrorKind::closed, AlertDescription::close_notify,
                                 "the peer closed the connection during the handshake"));
          return action::done;
        }
        return s.want_read();
      }
    }
  };

  template <class Buffers>
  struct read_op {
    Buffers buffers;
    action step(stream& s, std::error_code& ec, size_t& n) {
      if (::asio::buffer_size(buffers) == 0) return action::done;
      Connection* cp = s.connection();
      if (!cp) {
        ec = s.fail_with(Error::config("read before the handshake"));
        return action::done;
      }
      Connection& c = *cp;
      for (;;) {
        // A reply the peer waits for (a KeyUpdate's, a post-handshake Certificate) leaves
        // first, unless the writer is already sending (it sends all that is queued).
        if (s.output_pending() && !s.writing_) return action::write;
        if (c.readable() > 0) {
          for (auto it = ::asio::buffer_sequence_begin(buffers); it != ::asio::buffer_sequence_end(buffers); ++it) {
            const ::asio::mutable_buffer b(*it);
            const size_t got = c.read(MutByteView(static_cast<uint8_t*>(b.data()), b.size()));
            n += got;
            if (got < b.size()) break;
          }
          return action::done;
        }
        if (c.peer_closed()) {
          ec = ::asio::error::eof;
          return action::done;
        }
        if (auto a = s.failed(ec)) return *a;
        if (s.backlog()) {
          if (s.feed()) continue;
          return s.stalled(ec);
        }
        if (s.eof_) {
          auto st = c.transport_closed();
          if (st) {
            ec = ::asio::error::eof;
          } else {
            ec = s.fail_with(st.error());
          }
          return action::done;
        }
        return s.want_read();
      }
    }
  };

  template <class Buffers>
  struct write_op {
    Buffers buffers;
    bool queued = false;
    size_t accepted = 0;
    action step(stream& s, std::error_code& ec, size_t& n) {
      Connection* cp = s.connection();
      if (!cp) {
        ec = s.fail_with(Error::config("write before the handshake"));
        return action::done;
      }
      Connection& c = *cp;
      if (!queued) {
        queued = true;
        const size_t total = std::min(::asio::buffer_size(buffers), kWriteChunk);
        if (total == 0) return action::done;
        auto first = ::asio::buffer_sequence_begin(buffers);
        const ::asio::const_buffer head(*first);
        Status st;
        if (head.size() >= total) {
          st = c.write(ByteView(static_cast<const uint8_t*>(head.data()), total));
        } else {
          s.gather_.resize(total);
          ::asio::buffer_copy(::asio::buffer(s.gather_), buffers, total);
          st = c.write(ByteView(s.gather_));
        }
        if (!st) {
          // A failed connection still sends the alert naming its error.
          if (auto a = s.failed(ec)) return *a;
          ec = s.fail_with(st.error());
          return action::done;
        }
        accepted = total;
      }
      // Complete once the records are with the socket (or an error stopped them).
      if (s.output_pending() || s.writing_) return s.want_write();
      if (auto a = s.failed(ec)) return *a;
      n = accepted;
      return action::done;
    }
  };

  struct shutdown_op {
    bool sent = false;
    // A peer that sent its close_notify may close the transport without waiting for ours:
    // failing to send ours then is no error (there is nobody left to tell).
    static bool forgive(stream& s, const std::error_code& ec) {
      const Connection* c = s.connection();
      return c && c->peer_closed() &&
             (ec == ::asio::error::broken_pipe || ec == ::asio::error::connection_reset ||
              ec == ::asio::error::not_connected || ec == ::asio::error::eof);
    }
    action step(stream& s, std::error_code& ec, size_t&) {
      Connection* cp = s.connection();
      if (!cp) {
        ec = s.fail_with(Error::config("shutdown before the handshake"));
        return action::done;
      }
      Connection& c = *cp;
      if (!sent) {
        sent = true;
        if (!c.error()) c.close();  // RFC 8446 §6.1: close_notify, no writes after it
      }
      for (;;) {
        if (s.output_pending()) return s.want_write();
        if (auto a = s.failed(ec)) return *a;
        if (s.writing_) return action::wait_write;
        // Then the peer's close_notify. Data it sends meanwhile is discarded.
        uint8_t sink[4096];
        while (c.read(sink) > 0) {
        }
        if (c.peer_closed()) return action::done;
        if (s.backlog()) {
          if (s.feed()) continue;
          return s.stalled(ec);
        }
        if (s.eof_) {
          if (auto st = c.transport_closed(); !st) {
            ec = s.fail_with(st.error());
          } else {
            ec = {};
          }
          return action::done;
        }
        return s.want_read();
      }
    }
  };

  // ------------------------------------------------------------ socket operations

  // The next chunk of queued output, moved out of the connection so that it stays valid
  // while the socket sends it (the connection may queue more meanwhile).
  ::asio::const_buffer begin_write() {
    Connection& c = *connection();
    const ByteView out = c.pending_output();
    const size_t take = std::min(out.size(), kSendChunk);
    out_.assign(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(take));
    c.consume_output(take);
    writing_ = true;
    return ::asio::buffer(out_);
  }
  void end_write() {
    writing_ = false;
    out_.clear();
    write_done_.cancel();
  }
  ::asio::mutable_buffer begin_read() {
    in_.resize(kReadChunk);
    in_begin_ = in_end_ = 0;
    reading_ = true;
    return ::asio::buffer(in_);
  }
  // Returns false with `ec` set when the transport failed (end of stream is not a failure:
  // the connection decides whether it was clean).
  bool end_read(std::error_code& ec, size_t n) {
    reading_ = false;
    read_done_.cancel();
    in_end_ = n;
    if (ec == ::asio::error::eof) {
      eof_ = true;
      ec = {};
    }
    return !ec;
  }

  // Whether `op` can go on after the transport failed with `ec` (only a shutdown can).
  template <class Op>
  static bool forgiven(stream& s, const std::error_code& ec) {
    if constexpr (requires { Op::forgive(s, ec); }) {
      return Op::forgive(s, ec);
    } else {
      return false;
    }
  }

  template <class Op>
  size_t run_sync(Op& op, std::error_code& ec) {
    ec = {};
    size_t n = 0;
    for (;;) {
      switch (op.step(*this, ec, n)) {
        case action::done:
          return n;
        case action::write: {
          const auto buf = begin_write();
          ::asio::write(next_, buf, ec);
          end_write();
          if (ec && !forgiven<Op>(*this, ec)) return 0;
          ec = {};
          break;
        }
        case action::read: {
          const auto buf = begin_read();
          const size_t got = next_.read_some(buf, ec);
          if (!end_read(ec, got) && !forgiven<Op>(*this, ec)) return 0;
          ec = {};
          break;
        }
        case action::wait_read:
        case action::wait_write:
          // Only an asynchronous operation of the other direction can be in progress.
          ec = ::asio::error::in_progress;
          return 0;
      }
    }
  }

  // The asynchronous driver: runs op.step() and performs what it asks for until done. With
  // `WithSize` the completion signature is (error_code, size_t), otherwise (error_code).
  template <class Op, bool WithSize>
  struct async_driver {
    stream* s;
    Op op;
    action last = action::done;
    bool started = false;
    bool posted = false;
    std::error_code result_ec{};
    size_t result_n = 0;

    template <class Self>
    void operator()(Self& self, std::error_code ec = {}, size_t n = 0) {
      if (posted) return finish(self);
      if (started) {
        switch (last) {
          case action::write:
            s->end_write();
            if (ec && !forgiven<Op>(*s, ec)) return complete(self, ec, 0);
            break;
          case action::read:
            if (!s->end_read(ec, n) && !forgiven<Op>(*s, ec)) return complete(self, ec, 0);
            break;
          case action::wait_read:
          case action::wait_write:
            break;  // the event fired (cancelled): look again
          case action::done:
            break;
        }
      }
      const bool first = !started;
      started = true;
      std::error_code step_ec;
      last = op.step(*s, step_ec, result_n);
      switch (last) {
        case action::done:
          result_ec = step_ec;
          if (first) {
            // Never complete inside the initiating call.
            posted = true;
            auto ex = s->get_executor();
            ::asio::post(ex, std::move(self));
            return;
          }
          return finish(self);
        case action::write:
          ::asio::async_write(s->next_, s->begin_write(), std::move(self));
          return;
        case action::read:
          s->next_.async_read_some(s->begin_read(), std::move(self));
          return;
        case action::wait_read:
          s->read_done_.async_wait(std::move(self));
          return;
        case action::wait_write:
          s->write_done_.async_wait(std::move(self));
          return;
      }
    }

    template <class Self>
    void complete(Self& self, std::error_code ec, size_t n) {
      result_ec = ec;
      result_n = n;
      finish(self);
    }
    template <class Self>
    void finish(Self& self) {
      if constexpr (WithSize) {
        self.complete(result_ec, result_n);
      } else {
        self.complete(result_ec);
      }
    }
  };

  next_layer_type next_;
  std::shared_ptr<const ClientConfig> client_config_;
  std::shared_ptr<const ServerConfig> server_config_;
  std::string server_name_;
  std::optional<SessionTicket> ticket_;
  std::optional<ClientConnection> client_;
  std::optional<ServerConnection> server_;
  std::optional<Error> last_error_;

  // Received bytes [in_begin_, in_end_) of in_ not yet taken by the connection.
  std::vector<uint8_t> in_;
  size_t in_begin_ = 0, in_end_ = 0;
  bool eof_ = false;      // the transport reached end of stream
  bool reading_ = false;  // a socket read is in progress (into in_)
  // The output being sent (copied out of the connection).
  std::vector<uint8_t> out_;
  bool writing_ = false;
  std::vector<uint8_t> gather_;  // a write_some's buffers, joined
  event_timer read_done_, write_done_;
};

}  // namespace tlspp::asio
