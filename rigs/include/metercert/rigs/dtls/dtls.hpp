// A DTLS 1.2 PSK datagram transport over OpenSSL (issue 15: MQTT-SN over DTLS, ERRATA E-134):
// whole application datagrams in, whole application datagrams out — one SSL_write is one DTLS
// record in one UDP datagram, one record read is one datagram handed back. No CoAP: libcoap 4.3.1
// hands every decrypted record to its CoAP parser, so MQTT-SN needs this.
//
// Sources:
//   RFC 6347 (DTLS 1.2): §4.2.1 the cookie exchange (HelloVerifyRequest; OpenSSL's DTLSv1_listen,
//     stateless until a ClientHello carries a valid cookie), §4.2.4 handshake retransmission timers
//     (OpenSSL's DTLSv1_get_timeout / DTLSv1_handle_timeout), §4.1 records (content types 20-23,
//     version 0xFEFD), one or more records per datagram, never one split over two.
//   RFC 4279 (PSK cipher suites): the client names its identity (psk_identity), the server looks it
//     up; an unknown identity or another key fails the handshake (alert, no application data).
//   MQTT-SN 1.2 §5 (the payload carried: a datagram per MQTT-SN message; the transport never
//     interprets it).
//   CMi6110 manual §6.3 Table 2: 33905/x/2 Transport Security Mode (0 = PSK mode, 3 = No security),
//     33905/x/5 Transport Secret Key ("Key to use with the selected security mode", W Opaque). The
//     table has no identity resource; the identity used is a reading (ERRATA E-147).
//
// Crypto is OpenSSL's (DTLS_client_method / DTLS_server_method, DTLS 1.2 only, PSK callbacks, the
// cookie an HMAC-SHA256 of the peer address under a per-server random secret, EVP_Q_mac): nothing
// here is hand-written crypto. Cipher suites: PSK-AES128-CCM8 (LwM2M's mandatory
// TLS_PSK_WITH_AES_128_CCM_8), PSK-AES128-GCM-SHA256, PSK-AES128-CBC-SHA256.
//
// Secrets: keys go to OpenSSL only — never into an error, an event, a log line or a capture. A key
// log (NSS SSLKEYLOGFILE format, so Wireshark can decrypt a capture) is written only when the
// caller names a file (`keylog_path`, created mode 0600); none by default.
//
// Threads: an object is used from one thread at a time. Nothing blocks except Client::handshake
// (bounded by its timeout). Times: rigs::monotonic_now().
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace metercert::rigs::dtls {

using Bytes = std::vector<std::uint8_t>;
using Millis = std::chrono::milliseconds;

// A pre-shared key (RFC 4279): identity (1…128 bytes, shown in events), key (1…64 bytes, never shown)
struct Psk {
    std::string identity;
    Bytes key;
};

class DtlsError : public std::runtime_error {
public:
    enum class Kind : std::uint8_t {
        bad_psk,           // identity or key empty or too long (what, never the key)
        bad_address,       // not an IPv4/IPv6 literal or resolvable name, or port 0 for a client
        bind_failed,       // the server's socket
        socket_failed,     // the client's socket / connect
        ssl_failed,        // an OpenSSL context or object could not be made (its error string)
        not_connected,     // Client::send before the handshake completed (use queue) or after it failed
        too_large,         // a datagram larger than max_datagram
        keylog_failed,     // the key log file could not be created
    };
    DtlsError(Kind k, const std::string& what) : std::runtime_error(what), kind_(k) {}
    [[nodiscard]] Kind kind() const noexcept { return kind_; }

private:
    Kind kind_;
};
const char* kind_name(DtlsError::Kind k) noexcept;  // "bad_psk", …

// What happened to a peer's session (Server::take_events, Client::failure): one line per event,
// no secret in any of them.
struct Event {
    enum class Kind : std::uint8_t {
        established,       // handshake completed (identity, cipher, handshake_ms)
        handshake_failed,  // alert or error during the handshake (reason: OpenSSL's error string or alert)
        handshake_timeout, // not completed within handshake_timeout (RFC 6347 §4.2.4 retransmissions included)
        closed,            // close_notify received
        not_dtls,          // a datagram that is no DTLS 1.x record from a peer with no session (e.g. plain MQTT-SN)
        cookie_sent,       // a HelloVerifyRequest (RFC 6347 §4.2.1) went to a new peer
    };
    Kind kind = Kind::established;
    std::string peer;       // "HOST:PORT"
    std::string identity;   // the PSK identity the client presented ("" when none yet)
    std::string cipher;     // established: the negotiated suite (OpenSSL name)
    std::string reason;     // failures
    double handshake_ms = 0;
};
const char* event_name(Event::Kind k) noexcept;  // "established", …

// True when `d` starts with a DTLS record header (RFC 6347 §4.1: content type 20-23, version
// major 0xFE) — what a capture's reader uses to tell DTLS from clear datagrams.
bool looks_like_dtls(std::span<const std::uint8_t> d) noexcept;

// ------------------------------------------------------------------ client
struct ClientOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    Psk psk;
    Millis handshake_timeout{10000};  // the whole handshake, retransmissions included
    std::string keylog_path;          // "" = none (the default)
    std::size_t max_datagram = 1280;  // largest application datagram accepted by send
    unsigned mtu = 1400;              // DTLS_set_link_mtu
};

class Client {
public:
    enum class State : std::uint8_t { handshaking, connected, failed, closed };
    // Opens a connected UDP socket to host:port and sends the ClientHello. Throws DtlsError
    // (bad_psk, bad_address, socket_failed, ssl_failed, keylog_failed).
    explicit Client(ClientOptions o);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    [[nodiscard]] int fd() const noexcept;  // poll it for POLLIN, then call process()
    [[nodiscard]] State state() const noexcept;
    [[nodiscard]] const std::optional<Event>& failure() const noexcept;  // why state() is failed
    [[nodiscard]] double handshake_ms() const noexcept;  // 0 until connected
    [[nodiscard]] std::string cipher() const;

    // Drives the handshake (datagrams waiting, retransmission timers, the overall timeout) and
    // returns the application datagrams received since the last call. Never throws; a failure
    // shows in state() / failure().
    std::vector<Bytes> process();
    // Time until process() must run again for the handshake's timers (nullopt: none pending)
    [[nodiscard]] std::optional<Millis> next_timeout() const;
    // Blocks (poll) until connected, failed or `timeout`; returns state() == connected
    bool handshake(Millis timeout);

    // One application datagram. While handshaking it is queued and sent once connected (returns
    // true); false when failed or closed. Throws DtlsError(too_large).
    bool send(std::span<const std::uint8_t> datagram);
    void close();  // close_notify (once), then closed

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// ------------------------------------------------------------------ server
struct ServerOptions {
    std::string address = "127.0.0.1";        // loopback unless told
    std::uint16_t port = 0;                    // 0: a free port (port())
    std::map<std::string, Bytes> psks;         // identity → key (at least one)
    Millis handshake_timeout{10000};           // per peer, from its first cookie-verified ClientHello
    std::string keylog_path;                   // "" = none (the default)
    std::size_t max_peers = 4096;              // sessions (handshaking or connected) at once; beyond: dropped
    unsigned mtu = 1400;
};

// One application datagram from a peer's session
struct Datagram {
    std::string peer;      // "HOST:PORT" as the socket saw it
    std::string identity;  // the PSK identity of its session
    Bytes bytes;
};

struct PeerInfo {
    std::string peer, identity, cipher;
    bool established = false;
    double handshake_ms = 0;
    std::uint64_t datagrams_in = 0, datagrams_out = 0;  // application datagrams
};

// Several clients share the one UDP socket: sessions are demultiplexed by peer address; a new
// peer gets a HelloVerifyRequest (DTLSv1_listen, no state kept) before any session exists.
class Server {
public:
    // Throws DtlsError (bad_psk: no psks or a bad one; bad_address; bind_failed; ssl_failed; keylog_failed)
    explicit Server(ServerOptions o);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    [[nodiscard]] int fd() const noexcept;
    [[nodiscard]] std::uint16_t port() const noexcept;

    // Reads every datagram waiting on the socket, drives each peer's handshake and timers, and
    // returns the application datagrams. Never throws.
    std::vector<Datagram> process();
    [[nodiscard]] std::optional<Millis> next_timeout() const;
    // One application datagram to an established peer; false when `peer` has no established session
    bool send(const std::string& peer, std::span<const std::uint8_t> datagram);

    [[nodiscard]] std::vector<PeerInfo> peers() const;  // current sessions
    std::vector<Event> take_events();                    // since the last call (kept up to 10000)
    void close_all();                                    // close_notify to every established peer

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace metercert::rigs::dtls
