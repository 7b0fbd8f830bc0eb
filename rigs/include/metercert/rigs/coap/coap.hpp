// CoAP endpoints over libcoap 3 (Debian libcoap3-dev 4.3.1, OpenSSL backend; pkg-config
// libcoap-3-openssl), in RAII C++: the transport under the suite's LwM2M servers and the reference
// CMi6110 client (issue 15; LwM2M 1.1 Transport §5 binds LwM2M to CoAP over UDP, NoSec or DTLS-PSK).
//
// Sources of every shape below:
//   RFC 7252  CoAP: message types (§3, §4.2–4.3), codes c.dd (§3, §5.9, §12.1), options (§5.10:
//             Uri-Path 11, Content-Format 12, Uri-Query 15, Accept 17), content formats (§12.3),
//             retransmission (§4.2, §4.8: ACK_TIMEOUT 2 s, ACK_RANDOM_FACTOR 1.5, MAX_RETRANSMIT 4),
//             DTLS-PSK (§9.1.3.1: TLS_PSK_WITH_AES_128_CCM_8 over DTLS 1.2, RFC 6347), NoSec (§9).
//   RFC 7641  Observe: option 6, register 0 / deregister 1 (§2), notifications (§4.2).
//   RFC 7959  Block-wise transfer: done by libcoap (COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY):
//             handlers and callbacks always see whole bodies.
//   RFC 4279  PSK identity (§5.1: up to 2^16-1 bytes; we accept 1…128, RFC 7925 §4.2) and key
//             (§5.3: up to 2^16-1 bytes; we accept 1…64).
//   CMi6110 manual §7.5, objects 33906/30 (CoAP ACK timeout, s) and 33906/31 (max retransmit): the
//             per-session settings `set_ack_timeout` / `set_max_retransmit`.
//
// Threads: an Endpoint is used from one thread; its I/O runs only inside run_for / run_until /
// Session::call (libcoap's coap_io_process). Callbacks and the request handler run on that thread.
//
// Secrets: PSKs are given to libcoap and to nothing else. libcoap's log goes through one handler
// (log.hpp) that caps the level at LOG_INFO (libcoap's debug level dumps PDUs and DTLS state) and
// replaces every registered PSK (its bytes and their hex) by "<redacted>" before any output.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

struct coap_context_t;
struct coap_session_t;
struct coap_resource_t;

namespace metercert::rigs::coap {

using Bytes = std::vector<std::uint8_t>;
using Millis = std::chrono::milliseconds;

// Request methods, RFC 7252 §12.1.1 (1–4) and RFC 8132 §2–3 (FETCH 5, PATCH 6, iPATCH 7).
enum class Method : std::uint8_t { get = 1, post = 2, put = 3, del = 4, fetch = 5, patch = 6, ipatch = 7 };
const char* method_name(Method m) noexcept;  // "GET", …

// A code c.dd as its byte (RFC 7252 §3: class in the 3 high bits, detail in the 5 low bits).
constexpr std::uint8_t code(int cls, int detail) { return static_cast<std::uint8_t>((cls << 5) | detail); }
std::string code_name(std::uint8_t c);  // "2.05"
// Response codes used by LwM2M (RFC 7252 §5.9, §12.1.2; RFC 7959 §2.9).
inline constexpr std::uint8_t kCreated = code(2, 1), kDeleted = code(2, 2), kValid = code(2, 3), kChanged = code(2, 4),
                              kContent = code(2, 5), kBadRequest = code(4, 0), kUnauthorized = code(4, 1),
                              kNotFound = code(4, 4), kMethodNotAllowed = code(4, 5), kNotAcceptable = code(4, 6),
                              kUnsupportedContentFormat = code(4, 15), kInternalServerError = code(5, 0);

// Content-Format numbers (RFC 7252 §12.3; LwM2M 1.1 Core §7.1: TLV 11542, JSON 11543, SenML-JSON
// 110, SenML-CBOR 112, link-format 40, opaque 42, text 0).
inline constexpr std::uint16_t kTextPlain = 0, kLinkFormat = 40, kOctetStream = 42, kSenmlJson = 110, kSenmlCbor = 112,
                               kLwm2mTlv = 11542, kLwm2mJson = 11543;

// A DTLS 1.2 pre-shared key (RFC 4279): identity (1…128 bytes) and key (1…64 bytes).
struct Psk {
    std::string identity;
    Bytes key;
};

// Named errors: what went wrong, and where (the address, URI, identity or path).
class CoapError : public std::runtime_error {
public:
    enum class Kind {
        bad_address,      // an address or port that does not parse
        bad_uri,          // a coap:// / coaps:// URI that does not parse (RFC 7252 §6.1, §6.2)
        bad_psk,          // an identity or key outside RFC 4279's bounds (above), or coaps:// without one
        bind_failed,      // coap_new_endpoint refused the address (in use, not local)
        session_failed,   // coap_new_client_session* refused the peer
        send_failed,      // coap_send refused the PDU
        session_gone,     // the endpoint that owned a Session is destroyed
        no_dtls,          // the libcoap build lacks DTLS (coap_dtls_is_supported() == 0)
        bad_setting,      // a transmission parameter libcoap does not take (Session::set_ack_timeout)
    };
    CoapError(Kind k, const std::string& what) : std::runtime_error(what), kind(k) {}
    Kind kind;
};

// A UDP peer as text: "127.0.0.1", 5684.
struct Address {
    std::string host;
    std::uint16_t port = 0;
    [[nodiscard]] std::string str() const;  // "127.0.0.1:5684", "[::1]:5684"
};

// A request as the server side sees it (RFC 7252 §5.4, §5.10).
struct Request {
    Method method = Method::get;
    std::vector<std::string> path;            // Uri-Path segments (option 11), in order, decoded
    std::vector<std::string> query;           // Uri-Query options (15), each "k=v" as sent
    std::optional<std::uint16_t> content_format;  // option 12
    std::optional<std::uint16_t> accept;          // option 17
    std::optional<std::uint32_t> observe;         // option 6 (RFC 7641 §2: 0 register, 1 deregister)
    bool confirmable = true;                  // CON (true) or NON
    Bytes payload;                            // the whole body (block-wise reassembled)
    Address peer;
    Bytes token;                              // the request's token (RFC 7252 §5.3.1; an observation's, RFC 7641 §3.1)
    [[nodiscard]] std::string path_str() const;  // "/3/0/1"
};

// What the handler answers (RFC 7252 §5.5), and what a request gets back. Content-Format is sent
// when set; a payload larger than one block (RFC 7959) needs it (libcoap's block-wise response API
// carries a media type). Location-Path (option 8, §5.10.7): where a POST created its resource (the
// LwM2M registration's "/rd/<id>", RFC 9176 §5).
struct Response {
    Response() = default;
    Response(std::uint8_t c, std::optional<std::uint16_t> cf = std::nullopt, Bytes p = {}, std::vector<std::string> location = {})
        : code(c), content_format(cf), payload(std::move(p)), location_path(std::move(location)) {}
    std::uint8_t code = kContent;
    std::optional<std::uint16_t> content_format;
    Bytes payload;
    std::vector<std::string> location_path;
};

// What a request on a Session gets: a response, or why none came.
struct Reply {
    enum class Status {
        ok,             // `response` holds the response (or a notification)
        timeout,        // no response by the deadline of call()
        no_ack,         // MAX_RETRANSMIT reached without ACK (RFC 7252 §4.2; libcoap COAP_NACK_TOO_MANY_RETRIES)
        reset,          // the peer answered RST (RFC 7252 §4.2)
        tls_failed,     // the DTLS handshake failed (an alert: unknown identity), the session closed
                        // (COAP_NACK_TLS_FAILED), or, from call(), it had not completed by the
                        // deadline (a wrong key: the peer discards the Finished, RFC 6347 §4.1.2.7)
        not_deliverable // libcoap could not send (COAP_NACK_NOT_DELIVERABLE / ICMP)
    };
    Status status = Status::timeout;
    Response response{0, std::nullopt, {}, {}};  // code 0 (no response) unless status is ok
    std::optional<std::uint32_t> observe;  // Observe option of the response/notification
};
const char* status_name(Reply::Status s) noexcept;

// A request to send (RFC 7252 §5.4).
struct Outgoing {
    Outgoing() = default;
    Outgoing(Method m, std::string p, std::vector<std::string> q = {}, std::optional<std::uint16_t> cf = std::nullopt,
             std::optional<std::uint16_t> acc = std::nullopt, Bytes body = {}, bool con = true)
        : method(m), path(std::move(p)), query(std::move(q)), content_format(cf), accept(acc), payload(std::move(body)), confirmable(con) {}
    Method method = Method::get;
    std::string path;                          // "/3/0" or "3/0": split on '/', each a Uri-Path
    std::vector<std::string> query;            // each one Uri-Query
    std::optional<std::uint16_t> content_format;
    std::optional<std::uint16_t> accept;
    Bytes payload;                             // any size: block-wise (RFC 7959) when it needs it
    bool confirmable = true;                   // CON or NON (RFC 7252 §4.2, §4.3)
};

class Endpoint;

// A CoAP session: one peer (a client's session to its server, or a server's session with a client
// that connected). A handle: copies refer to the same session. Must not be used after its Endpoint
// is destroyed (every operation then throws CoapError(session_gone)).
class Session {
public:
    using Callback = std::function<void(const Reply&)>;

    Session() = default;
    Session(const Session&);
    Session& operator=(const Session&);
    ~Session();
    [[nodiscard]] bool valid() const noexcept;
    [[nodiscard]] Address peer() const;
    [[nodiscard]] bool secure() const;  // DTLS

    // RFC 7252 §4.8 transmission parameters of this session (CMi6110 33906/30 ACK timeout in s,
    // default 60; /31 max retransmit, default 1). libcoap 4.3.1 takes an ACK timeout of 1 s or
    // more (resolution 1 ms; it silently keeps the old value below 1 s) and a max retransmit of 1
    // or more: outside those, CoapError(bad_setting) naming the value.
    void set_ack_timeout(Millis t);
    void set_max_retransmit(unsigned n);
    [[nodiscard]] Millis ack_timeout() const;
    [[nodiscard]] unsigned max_retransmit() const;

    // Sends a request; `cb` runs once with its reply (from run_for/run_until/call). Returns the token.
    Bytes send(const Outgoing& req, Callback cb);
    // Sends and runs the endpoint's I/O until the reply or `timeout` (Reply::Status::timeout).
    Reply call(const Outgoing& req, Millis timeout);
    // Registers an observation (RFC 7641 §3.1: GET with Observe 0); `cb` runs for the first
    // response and every notification until cancel_observe. Returns the token.
    Bytes observe(Outgoing req, Callback cb);
    // Deregisters (RFC 7641 §3.6: libcoap sends a GET with Observe 1); true when one was active.
    bool cancel_observe(const Bytes& token);
    // Sends a NON 2.05 notification (RFC 7641 §4.2: `token` of the observation, Observe `observe`
    // (24 bits), Content-Format `content_format`, `payload` in one datagram) outside libcoap's
    // observer list: for a deliberately faulty client that keeps notifying an observation the
    // server cancelled (the CMi6110 fault ignores_observe_cancel). Throws CoapError(send_failed).
    void send_notification(const Bytes& token, std::uint32_t observe, std::optional<std::uint16_t> content_format, const Bytes& payload);

    [[nodiscard]] coap_session_t* native() const noexcept { return s_; }

private:
    friend class Endpoint;
    friend class Client;
    friend struct Callbacks;
    Session(Endpoint* ep, coap_session_t* s, std::weak_ptr<int> alive);
    void check() const;
    Endpoint* ep_ = nullptr;
    coap_session_t* s_ = nullptr;
    std::weak_ptr<int> alive_;
};

// What a server (or a client serving its server) answers to every request. `session` is the
// session the request came on (send requests back on it: an LwM2M DM server does).
using RequestHandler = std::function<Response(const Request&, Session& session)>;

// The common part: a libcoap context, its I/O loop, the catch-all request handler and observable
// resources. Not copyable, not movable (libcoap keeps a pointer to it).
class Endpoint {
public:
    Endpoint(const Endpoint&) = delete;
    Endpoint& operator=(const Endpoint&) = delete;
    virtual ~Endpoint();

    // Every request that reaches this endpoint (any method, any path except /.well-known/core,
    // which libcoap answers from the observable resources) goes to `h`. Without a handler: 4.04.
    void on_request(RequestHandler h);
    // Makes `path` ("/3/0") a resource of its own that GET+Observe can observe (RFC 7641 §4.1);
    // its requests still go to the handler. notify() marks it changed: libcoap then (in the I/O
    // loop) asks the handler for the body once per observer (a GET with that observer's Observe
    // option: RFC 7641 §4.2, the representation is the current state) and sends it with a fresh
    // Observe sequence number. Returns false when `path` is not observable.
    void add_observable(const std::string& path);
    bool notify(const std::string& path);
    // RFC 7641 §4.5: the observables' notifications as CON (true: each retransmitted until ACKed or
    // MAX_RETRANSMIT, RFC 7252 §4.2) or NON (false, the default: libcoap still sends every fifth one
    // CON, COAP_OBS_MAX_NON); for the observables added so far and later (libcoap's
    // COAP_RESOURCE_FLAGS_NOTIFY_CON / _NON, coap_resource_set_mode).
    void set_notify_confirmable(bool con);
    // A response whose token matches no request of this endpoint (a notification of an
    // observation already cancelled: RFC 7641 §3.6) goes to `h` (with its session and token)
    // before libcoap answers it RST. Without a handler it is only answered RST.
    using UnknownResponseHandler = std::function<void(Session& session, const Bytes& token, const Reply& reply)>;
    void on_unknown_response(UnknownResponseHandler h);

    // The I/O loop on the calling thread: for `d`, or until `done()` is true or `timeout` passes
    // (returns done()'s last value).
    void run_for(Millis d);
    bool run_until(const std::function<bool()>& done, Millis timeout);

    // Many endpoints on one thread (100 simulated modules): fd() is libcoap's epoll descriptor
    // (coap_context_get_coap_fd: readable when a datagram or a retransmission timer is due; -1 if
    // libcoap was built without epoll); when it is readable, process_ready() does that I/O
    // without waiting (coap_io_process with COAP_IO_NO_WAIT).
    [[nodiscard]] int fd() const noexcept;
    void process_ready();

    [[nodiscard]] coap_context_t* native() const noexcept { return ctx_; }

protected:
    Endpoint();
    coap_context_t* ctx_ = nullptr;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);

private:
    friend class Session;
    friend struct Callbacks;
    struct Pending {
        coap_session_t* session;
        Session::Callback cb;
        bool observe;
    };
    RequestHandler handler_;
    UnknownResponseHandler unknown_handler_;
    std::map<std::pair<coap_session_t*, Bytes>, Pending> pending_;
    std::map<std::string, coap_resource_t*> observable_;
    bool notify_con_ = false;
};

// A server: NoSec and/or DTLS-PSK endpoints on a local address (RFC 7252 §6.1: coap 5683, coaps
// 5684 by default; 0 = a free port, read back with port()/dtls_port()).
class Server : public Endpoint {
public:
    struct Options {
        std::string address = "127.0.0.1";       // loopback unless told otherwise
        std::optional<std::uint16_t> port = 0;    // NoSec; nullopt = none
        std::optional<std::uint16_t> dtls_port;   // DTLS-PSK; nullopt = none (needs psks)
        std::map<std::string, Bytes> psks;        // identity → key (the identities it accepts)
    };
    explicit Server(const Options& o);  // throws CoapError (bind_failed, bad_address, bad_psk, no_dtls)
    ~Server() override;
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    [[nodiscard]] std::uint16_t dtls_port() const noexcept { return dtls_port_; }
    // Adds or replaces an accepted identity (a bootstrap server provisions DM keys).
    void set_psk(const std::string& identity, const Bytes& key);

private:
    struct Keys;
    std::unique_ptr<Keys> keys_;
    std::uint16_t port_ = 0, dtls_port_ = 0;
};

// A client: one session to coap://host:port or coaps://host:port (PSK). It serves requests that
// arrive on that session too (on_request): an LwM2M client is the CoAP server of its DM server
// (LwM2M 1.1 Transport §6.4).
class Client : public Endpoint {
public:
    // throws CoapError (bad_uri, bad_psk, session_failed, no_dtls). Connects lazily: a coaps
    // handshake happens with the first request (libcoap); its failure is Reply::Status::tls_failed.
    explicit Client(const std::string& uri, const std::optional<Psk>& psk = std::nullopt);
    ~Client() override;
    [[nodiscard]] Session& session() noexcept { return session_; }

private:
    struct Keys;
    std::unique_ptr<Keys> keys_;
    Session session_;
};

// Parses "coap://host[:port]" / "coaps://host[:port]" (RFC 7252 §6.1, §6.2; no path). Throws
// CoapError(bad_uri) naming the URI and what is wrong.
struct Uri {
    bool secure = false;
    Address address;
};
Uri parse_uri(const std::string& uri);

}  // namespace metercert::rigs::coap
