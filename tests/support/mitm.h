// Test support: a man in the middle between a tlspp client and a tlspp server in memory,
// able to read and rewrite handshake messages even when they are encrypted.
//
// Both endpoints' configurations get a key log callback, so the harness learns each
// traffic secret when its sender installs it, which is before the sender writes any record
// under it. For each direction the harness
//   1. deframes the sender's output and decrypts protected records with its own
//      record::Protection that follows the sender's write keys (the suite comes from
//      the ServerHello; the keys change after the sender's Finished and KeyUpdate, as
//      RFC 8446 §4.4.4 and §4.6.3 say, and at the first protected record);
//   2. splits the plaintext into Items (one whole handshake message, one alert, one
//      ChangeCipherSpec, one piece of application data) and hands them to the test's
//      flight mutator, which may replace, drop, duplicate, reorder or insert items, move
//      them to another key epoch, or insert raw wire bytes;
//   3. frames the items again (handshake messages of one epoch coalesced into records of at
//      most 2^14 bytes) and encrypts them with a second set of Protection objects, one
//      per key epoch, whose sequence numbers count the records actually forwarded;
//   4. hands the wire records to the test's raw mutator (flip bits, drop, insert records)
//      and delivers them to the receiver.
// Everything forwarded is logged, so tests can check which alert went where.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/secret.h"
#include "record/record.h"
#include "tlspp/config.h"
#include "tlspp/connection.h"
#include "tlspp/error.h"
#include "wire/codec.h"
#include "wire/messages.h"
#include "wire/types.h"

namespace tlspp::test {

enum class Dir : uint8_t { to_server, to_client };
[[nodiscard]] inline Dir reverse(Dir d) { return d == Dir::to_server ? Dir::to_client : Dir::to_server; }
[[nodiscard]] inline Dir from(Side sender) { return sender == Side::client ? Dir::to_server : Dir::to_client; }

// Key epochs of one direction, numbered as the harness sees them. In TLS 1.2 a sender's
// records are plaintext until its ChangeCipherSpec and kApplicationKeys after it.
inline constexpr unsigned kPlaintext = 0;
inline constexpr unsigned kHandshakeKeys = 1;    // *_HANDSHAKE_TRAFFIC_SECRET
inline constexpr unsigned kApplicationKeys = 2;  // *_TRAFFIC_SECRET_0; 3, 4, ... after KeyUpdates
// CLIENT_EARLY_TRAFFIC_SECRET (0-RTT, RFC 8446 §2.3), outside the numbered sequence. A client
// that offers early data writes its first protected records under it, until its
// EndOfEarlyData (accepted, §4.5) or until it reads an EncryptedExtensions without
// early_data or a HelloRetryRequest (declined, §4.2.10); the harness follows what it forwards.
// The keys come from the client's key log and the suite from the resumed ticket.
inline constexpr unsigned kEarlyKeys = 0xffffffffu;

// One unit of what a sender sent.
struct Item {
  // The (inner) content type. ContentType::invalid marks raw wire bytes, forwarded as they
  // are (header included) without framing or encryption.
  record::ContentType type = record::ContentType::handshake;
  // handshake: one whole message, header included; alert: level and description;
  // change_cipher_spec: the record body; application_data: the plaintext.
  Bytes data;
  unsigned epoch = kPlaintext;  // the key protecting it
  bool own_record = false;      // a record of its own (never coalesced or split)
  size_t padding = 0;           // TLSInnerPlaintext zero padding (RFC 8446 §5.4), implies own_record

  [[nodiscard]] bool is(wire::HandshakeType t) const {
    return type == record::ContentType::handshake && !data.empty() && data[0] == static_cast<uint8_t>(t);
  }
  [[nodiscard]] bool is_alert() const { return type == record::ContentType::alert; }
  // The handshake message body (after the 4-byte header).
  [[nodiscard]] ByteView body() const;
  // "ClientHello", "alert(fatal, decode_error)", "ChangeCipherSpec", ...; for failure messages.
  [[nodiscard]] std::string describe() const;
};

// Item factories.
[[nodiscard]] Item handshake_item(Bytes message, unsigned epoch);
// A handshake message from its type and body (the header is added).
[[nodiscard]] Item handshake_item(wire::HandshakeType type, ByteView body, unsigned epoch);
[[nodiscard]] Item alert_item(AlertDescription alert, unsigned epoch, uint8_t level = 2);
[[nodiscard]] Item record_item(record::ContentType type, Bytes data, unsigned epoch);  // own_record
[[nodiscard]] Item raw_item(Bytes wire_bytes);
// A plaintext record header and body, any length (the header says body.size()).
[[nodiscard]] Bytes raw_record(record::ContentType type, ByteView body, uint16_t version = 0x0303);

// What one sender wrote in one go (its whole pending output), as items.
struct Flight {
  Dir dir;
  std::vector<Item> items;

  // Index of the n-th (0-based) handshake message of type t, or items.size().
  [[nodiscard]] size_t find(wire::HandshakeType t, size_t nth = 0) const;
  [[nodiscard]] bool has(wire::HandshakeType t) const { return find(t) != items.size(); }
  // The first message of type t; records a test failure (and returns a dummy) when absent.
  Item& get(wire::HandshakeType t);
  // Removes / duplicates / replaces the first message of type t.
  void drop(wire::HandshakeType t);
  void insert_before(wire::HandshakeType t, Item item);
  void insert_after(wire::HandshakeType t, Item item);
  [[nodiscard]] std::string describe() const;
};

class Mitm {
 public:
  using FlightMutator = std::function<void(Flight&)>;
  using RecordMutator = std::function<void(Dir, std::vector<Bytes>& records)>;

  // Creates the configurations (with key log callbacks chained before any given ones) and
  // the two connections, the client offering to resume `ticket` when given; the
  // ClientHello waits in the client's output until run().
  [[nodiscard]] static Result<std::unique_ptr<Mitm>> create(ClientOptions client, ServerOptions server,
                                                            const std::string& host = "localhost",
                                                            const SessionTicket* ticket = nullptr);
  Mitm(const Mitm&) = delete;
  Mitm& operator=(const Mitm&) = delete;
  ~Mitm();

  [[nodiscard]] ClientConnection& client() { return *client_; }
  [[nodiscard]] ServerConnection& server() { return *server_; }
  [[nodiscard]] Connection& conn(Side s) { return s == Side::client ? static_cast<Connection&>(*client_) : *server_; }

  // Called for every flight in either direction (check flight.dir). Unset: forward as is.
  FlightMutator on_flight;
  // Called with the wire records of each delivery, after framing and encryption.
  RecordMutator on_records;

  // Moves one sender's pending output through the harness to the receiver. Returns the
  // receiver's receive() status (success when nothing was pending).
  Status step(Dir dir);
  // Steps both directions until neither side has output (alerts included), at most
  // `max_rounds` times.
  void run(int max_rounds = 50);
  // Frames, encrypts and delivers `items` now (no flight mutator); returns the receiver's
  // status.
  Status deliver(Dir dir, std::vector<Item> items);
  // Delivers raw wire bytes now.
  Status deliver_raw(Dir dir, ByteView bytes);
  // A protected record under `epoch` of `dir`'s forwarding keys whose inner plaintext is
  // `inner` exactly (content type byte and padding included, any length, even beyond
  // 2^14 + 1, and even without a content type), consuming a sequence number.
  [[nodiscard]] Bytes seal_raw(Dir dir, unsigned epoch, ByteView inner);

  // What the harness forwarded in a direction (after mutation), and what the sender
  // originally sent, in order.
  [[nodiscard]] const std::vector<Item>& forwarded(Dir dir) const { return forwarded_[idx(dir)]; }
  [[nodiscard]] const std::vector<Item>& original(Dir dir) const { return original_[idx(dir)]; }
  // The last item forwarded in `dir`, nullptr if none.
  [[nodiscard]] const Item* last_forwarded(Dir dir) const;
  // The sender's current write epoch as the harness tracks it.
  [[nodiscard]] unsigned sender_epoch(Dir dir) const { return in_[idx(dir)].epoch; }

 private:
  Mitm() = default;
  static size_t idx(Dir d) { return static_cast<size_t>(d); }
  void on_keylog(Side logger, const std::string& line);
  [[nodiscard]] std::optional<crypto::Secret> secret(Dir dir, unsigned epoch);
  void learn_suite(const Item& item);
  // The suite protecting `epoch` (the ticket's for early data).
  [[nodiscard]] std::optional<CipherSuite> suite_of(unsigned epoch) const {
    return epoch == kEarlyKeys ? early_suite_ : suite_;
  }
  // Installs the TLS 1.3 keys of `epoch` of `dir`'s sender; false when not known.
  [[nodiscard]] bool install13(Dir dir, unsigned epoch, record::Protection& prot);
  // What forwarding `items` to the client tells about its write keys while it may still be
  // writing early data.
  void follow_early_answer(Dir dir, const std::vector<Item>& items);
  // TLS 1.2 (RFC 5246 §6.3): keys come from the master secret (the CLIENT_RANDOM key log
  // line) and both randoms; installs the write keys of `dir`'s sender.
  [[nodiscard]] bool install12(Dir dir, record::Protection& prot) const;
  void parse(Dir dir, ByteView bytes, std::vector<Item>& out);
  void take_handshake(Dir dir, ByteView data, std::vector<Item>& out);
  [[nodiscard]] std::vector<Bytes> encode(Dir dir, const std::vector<Item>& items);
  void seal_into(Dir dir, unsigned epoch, record::ContentType type, ByteView data, size_t padding,
                 std::vector<Bytes>& records);
  Status send(Dir dir, std::vector<Bytes> records);
  [[nodiscard]] Connection& sender(Dir d) { return d == Dir::to_server ? static_cast<Connection&>(*client_) : *server_; }
  [[nodiscard]] Connection& receiver(Dir d) { return d == Dir::to_server ? static_cast<Connection&>(*server_) : *client_; }

  struct Inbound {
    record::Deframer deframer;
    record::Protection prot;
    unsigned epoch = kPlaintext;
    Bytes hs_buffer;
  };
  std::optional<ClientConnection> client_;
  std::optional<ServerConnection> server_;
  // Write secrets by NSS label, per direction, as the sender logged them.
  std::array<std::map<std::string, Bytes>, 2> logged_;
  std::array<std::map<unsigned, Bytes>, 2> derived_;  // epochs after KeyUpdates
  std::optional<CipherSuite> suite_;
  std::optional<CipherSuite> early_suite_;  // the resumed ticket's
  bool client_early_ = false;               // the client's first protected records are early data
  bool tls12_ = false;  // the ServerHello chose TLS 1.2
  Bytes client_random_, server_random_, master_;
  std::array<Inbound, 2> in_;
  std::array<std::map<unsigned, std::unique_ptr<record::Protection>>, 2> out_;
  std::array<std::vector<Item>, 2> forwarded_, original_;
};

// --- Assertions shared by the negative tests ---

// `detector` failed with `alert` (not because it received one) and a message containing
// `text`; the last thing it sent was that alert, fatal; its peer reports
// ErrorKind::alert_received with the same alert; and both stay failed (see
// expect_stays_failed).
void expect_fatal(Mitm& m, Side detector, AlertDescription alert, std::string_view text);
// Every later call returns the connection's error unchanged and nothing more is sent.
void expect_stays_failed(Connection& c);

// --- Rewriting messages ---

// The encoding of a typed extension (wire/extensions.h) or any value with encode(Writer&).
template <class T>
[[nodiscard]] Bytes encode_value(const T& v) {
  Bytes out;
  wire::Writer w(out);
  v.encode(w);
  return out;
}
// Replaces the data of the extension of type t, appending it when absent.
void set_extension(std::vector<wire::Extension>& exts, wire::ExtensionType t, ByteView data);
void remove_extension(std::vector<wire::Extension>& exts, wire::ExtensionType t);

// Decodes the handshake message of `item` as Msg, lets `f` change it, and encodes it back
// into the item. The decoded message borrows from a copy of the original bytes that lives
// until the encoding is done, so `f` may point fields at its own buffers too.
template <class Msg, class F>
void rewrite(Item& item, F&& f) {
  const Bytes original = item.data;
  auto m = Msg::decode(ByteView(original).subspan(4));
  if (!m) {
    ADD_FAILURE() << "cannot decode " << item.describe() << ": " << m.error().to_string();
    return;
  }
  f(*m);
  item.data = wire::encode_message(*m).value();
}

// Whether a server_hello item is a HelloRetryRequest (RFC 8446 §4.1.3).
[[nodiscard]] bool is_hello_retry_request(const Item& item);

}  // namespace tlspp::test
