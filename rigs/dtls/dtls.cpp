// DTLS 1.2 PSK datagram transport over OpenSSL (dtls.hpp).
#include "metercert/rigs/dtls/dtls.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>

#include "metercert/rigs/clock.hpp"

namespace metercert::rigs::dtls {

const char* kind_name(DtlsError::Kind k) noexcept {
    switch (k) {
        case DtlsError::Kind::bad_psk: return "bad_psk";
        case DtlsError::Kind::bad_address: return "bad_address";
        case DtlsError::Kind::bind_failed: return "bind_failed";
        case DtlsError::Kind::socket_failed: return "socket_failed";
        case DtlsError::Kind::ssl_failed: return "ssl_failed";
        case DtlsError::Kind::not_connected: return "not_connected";
        case DtlsError::Kind::too_large: return "too_large";
        case DtlsError::Kind::keylog_failed: return "keylog_failed";
    }
    return "?";
}

const char* event_name(Event::Kind k) noexcept {
    switch (k) {
        case Event::Kind::established: return "established";
        case Event::Kind::handshake_failed: return "handshake_failed";
        case Event::Kind::handshake_timeout: return "handshake_timeout";
        case Event::Kind::closed: return "closed";
        case Event::Kind::not_dtls: return "not_dtls";
        case Event::Kind::cookie_sent: return "cookie_sent";
    }
    return "?";
}

bool looks_like_dtls(std::span<const std::uint8_t> d) noexcept {
    // RFC 6347 §4.1: ContentType (20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data),
    // ProtocolVersion {254, 253} (1.2) or {254, 255} (1.0), epoch, sequence_number, length: 13 bytes
    return d.size() >= 13 && d[0] >= 20 && d[0] <= 23 && d[1] == 0xFE;
}

namespace {

constexpr const char* kCiphers = "PSK-AES128-CCM8:PSK-AES128-GCM-SHA256:PSK-AES128-CBC-SHA256";

double ms_since(TimePoint t) { return static_cast<double>((monotonic_now() - t).count()) / 1000.0; }

std::string ssl_reason() {
    std::string out;
    while (const unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!out.empty()) out += "; ";
        out += buf;
    }
    return out.empty() ? std::string("no OpenSSL error queued") : out;
}

std::string addr_str(const sockaddr_storage& a) {
    char host[INET6_ADDRSTRLEN] = {};
    if (a.ss_family == AF_INET) {
        const auto& s = reinterpret_cast<const sockaddr_in&>(a);
        ::inet_ntop(AF_INET, &s.sin_addr, host, sizeof host);
        return fmt::format("{}:{}", host, ntohs(s.sin_port));
    }
    const auto& s = reinterpret_cast<const sockaddr_in6&>(a);
    ::inet_ntop(AF_INET6, &s.sin6_addr, host, sizeof host);
    return fmt::format("[{}]:{}", host, ntohs(s.sin6_port));
}

void check_psk(const std::string& identity, const Bytes& key) {
    if (identity.empty() || identity.size() > 128)
        throw DtlsError(DtlsError::Kind::bad_psk, fmt::format("dtls: PSK identity must have 1…128 bytes (has {})", identity.size()));
    if (key.empty() || key.size() > 64)
        throw DtlsError(DtlsError::Kind::bad_psk, fmt::format("dtls: PSK for identity '{}' must have 1…64 bytes (has {})", identity, key.size()));
}

// ------------------------------------------------------------ the datagram BIO
// One peer's link on a shared UDP socket: reads hand OpenSSL one queued datagram at a time (a DTLS
// "packet"), writes go out as one datagram to the peer.
struct Link {
    int fd = -1;
    bool connected = false;  // client: send(); server: sendto(peer)
    sockaddr_storage peer{};
    socklen_t peer_len = 0;
    std::deque<Bytes> in;
};

int link_write(BIO* b, const char* data, int len) {
    auto* l = static_cast<Link*>(BIO_get_data(b));
    BIO_clear_retry_flags(b);
    const ssize_t n = l->connected ? ::send(l->fd, data, static_cast<std::size_t>(len), 0)
                                   : ::sendto(l->fd, data, static_cast<std::size_t>(len), 0, reinterpret_cast<const sockaddr*>(&l->peer), l->peer_len);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        BIO_set_retry_write(b);
        return -1;
    }
    return len;  // other errors (ICMP unreachable): the datagram is lost, DTLS retransmits
}

int link_read(BIO* b, char* buf, int len) {
    auto* l = static_cast<Link*>(BIO_get_data(b));
    BIO_clear_retry_flags(b);
    if (l->in.empty()) {
        BIO_set_retry_read(b);
        return -1;
    }
    Bytes d = std::move(l->in.front());
    l->in.pop_front();
    const int n = std::min(len, static_cast<int>(d.size()));
    std::memcpy(buf, d.data(), static_cast<std::size_t>(n));
    return n;
}

long link_ctrl(BIO* b, int cmd, long, void* ptr) {
    auto* l = static_cast<Link*>(BIO_get_data(b));
    switch (cmd) {
        case BIO_CTRL_FLUSH:
        case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT:
        case BIO_CTRL_DGRAM_SET_PEER:
        case BIO_CTRL_DGRAM_SET_CONNECTED:
            return 1;
        case BIO_CTRL_PENDING: return l && !l->in.empty() ? static_cast<long>(l->in.front().size()) : 0;
        case BIO_CTRL_WPENDING: return 0;
        case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD: return l && l->peer.ss_family == AF_INET6 ? 48 : 28;
        case BIO_CTRL_DGRAM_GET_PEER: {
            if (!l || !ptr) return 0;
            auto* out = static_cast<BIO_ADDR*>(ptr);
            if (l->peer.ss_family == AF_INET) {
                const auto& s = reinterpret_cast<const sockaddr_in&>(l->peer);
                return BIO_ADDR_rawmake(out, AF_INET, &s.sin_addr, sizeof s.sin_addr, s.sin_port);
            }
            const auto& s = reinterpret_cast<const sockaddr_in6&>(l->peer);
            return BIO_ADDR_rawmake(out, AF_INET6, &s.sin6_addr, sizeof s.sin6_addr, s.sin6_port);
        }
        default: return 0;
    }
}

int link_create(BIO* b) {
    BIO_set_init(b, 1);
    return 1;
}

const BIO_METHOD* link_method() {
    static BIO_METHOD* m = [] {
        BIO_METHOD* x = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "metercert datagram link");
        BIO_meth_set_write(x, link_write);
        BIO_meth_set_read(x, link_read);
        BIO_meth_set_ctrl(x, link_ctrl);
        BIO_meth_set_create(x, link_create);
        return x;
    }();
    return m;
}

BIO* new_link_bio(Link* l) {
    BIO* b = BIO_new(link_method());
    if (!b) throw DtlsError(DtlsError::Kind::ssl_failed, "dtls: BIO_new failed: " + ssl_reason());
    BIO_set_data(b, l);
    return b;
}

// ------------------------------------------------------------ key log (only when asked)
struct Keylog {
    FILE* f = nullptr;
    explicit Keylog(const std::string& path) {
        if (path.empty()) return;
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd < 0 || !(f = ::fdopen(fd, "a"))) {
            if (fd >= 0) ::close(fd);
            throw DtlsError(DtlsError::Kind::keylog_failed, fmt::format("dtls: cannot create the key log file '{}': {}", path, std::strerror(errno)));
        }
    }
    ~Keylog() {
        if (f) std::fclose(f);
    }
    void line(const char* s) const {
        if (!f) return;
        std::fputs(s, f);
        std::fputc('\n', f);
        std::fflush(f);
    }
};

int keylog_index() {
    static const int i = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return i;
}

void keylog_cb(const SSL* ssl, const char* line) {
    if (const auto* k = static_cast<const Keylog*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), keylog_index()))) k->line(line);
}

SSL_CTX* new_ctx(const SSL_METHOD* method, unsigned mtu) {
    (void)mtu;
    SSL_CTX* ctx = SSL_CTX_new(method);
    if (!ctx) throw DtlsError(DtlsError::Kind::ssl_failed, "dtls: SSL_CTX_new failed: " + ssl_reason());
    if (SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) != 1 || SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(ctx, kCiphers) != 1) {
        SSL_CTX_free(ctx);
        throw DtlsError(DtlsError::Kind::ssl_failed, "dtls: cannot limit the context to DTLS 1.2 PSK: " + ssl_reason());
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    return ctx;
}

void set_mtu(SSL* ssl, unsigned mtu) {
    SSL_set_options(ssl, SSL_OP_NO_QUERY_MTU);
    DTLS_set_link_mtu(ssl, mtu);
}

}  // namespace

// ================================================================== client
struct Client::Impl {
    ClientOptions o;
    int fd = -1;
    SSL_CTX* ctx = nullptr;
    SSL* ssl = nullptr;
    Link link;
    std::unique_ptr<Keylog> keylog;
    State state = State::handshaking;
    std::optional<Event> failure;
    TimePoint started{};
    double hs_ms = 0;
    std::deque<Bytes> queued;
    std::deque<Bytes> early;  // application datagrams handshake() read: the next process() returns them
    std::string peer;

    ~Impl() {
        if (ssl) SSL_free(ssl);  // frees the BIO
        if (ctx) SSL_CTX_free(ctx);
        if (fd >= 0) ::close(fd);
    }

    void fail(Event::Kind k, std::string reason) {
        state = State::failed;
        Event e;
        e.kind = k;
        e.peer = peer;
        e.identity = o.psk.identity;
        e.reason = std::move(reason);
        failure = std::move(e);
        queued.clear();
    }

    void step_handshake() {
        ERR_clear_error();
        const int r = SSL_do_handshake(ssl);
        if (r == 1) {
            state = State::connected;
            hs_ms = ms_since(started);
            while (!queued.empty()) {
                SSL_write(ssl, queued.front().data(), static_cast<int>(queued.front().size()));
                queued.pop_front();
            }
            return;
        }
        const int err = SSL_get_error(ssl, r);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return;
        fail(Event::Kind::handshake_failed, ssl_reason());
    }
};

Client::Client(ClientOptions o) : impl_(std::make_unique<Impl>()) {
    Impl& m = *impl_;
    m.o = std::move(o);
    check_psk(m.o.psk.identity, m.o.psk.key);
    if (m.o.port == 0) throw DtlsError(DtlsError::Kind::bad_address, fmt::format("dtls: no port for '{}'", m.o.host));
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* res = nullptr;
    std::string host = m.o.host;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (::getaddrinfo(host.c_str(), std::to_string(m.o.port).c_str(), &hints, &res) != 0 || !res)
        throw DtlsError(DtlsError::Kind::bad_address, fmt::format("dtls: cannot resolve '{}'", m.o.host));
    m.fd = ::socket(res->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const bool ok = m.fd >= 0 && ::connect(m.fd, res->ai_addr, res->ai_addrlen) == 0;
    if (ok) {
        std::memcpy(&m.link.peer, res->ai_addr, res->ai_addrlen);
        m.link.peer_len = res->ai_addrlen;
    }
    ::freeaddrinfo(res);
    if (!ok) throw DtlsError(DtlsError::Kind::socket_failed, fmt::format("dtls: cannot open a UDP socket to {}:{}: {}", m.o.host, m.o.port, std::strerror(errno)));
    m.peer = addr_str(m.link.peer);
    m.link.fd = m.fd;
    m.link.connected = true;
    m.keylog = std::make_unique<Keylog>(m.o.keylog_path);
    m.ctx = new_ctx(DTLS_client_method(), m.o.mtu);
    if (m.keylog->f) {
        SSL_CTX_set_ex_data(m.ctx, keylog_index(), m.keylog.get());
        SSL_CTX_set_keylog_callback(m.ctx, keylog_cb);
    }
    m.ssl = SSL_new(m.ctx);
    if (!m.ssl) throw DtlsError(DtlsError::Kind::ssl_failed, "dtls: SSL_new failed: " + ssl_reason());
    SSL_set_app_data(m.ssl, &m);
    SSL_set_psk_client_callback(m.ssl, [](SSL* s, const char*, char* identity, unsigned max_identity, unsigned char* psk,
                                          unsigned max_psk) -> unsigned {
        const auto* self = static_cast<const Impl*>(SSL_get_app_data(s));
        const auto& p = self->o.psk;
        if (p.identity.size() + 1 > max_identity || p.key.size() > max_psk) return 0;
        std::memcpy(identity, p.identity.c_str(), p.identity.size() + 1);
        std::memcpy(psk, p.key.data(), p.key.size());
        return static_cast<unsigned>(p.key.size());
    });
    BIO* b = new_link_bio(&m.link);
    SSL_set_bio(m.ssl, b, b);
    set_mtu(m.ssl, m.o.mtu);
    SSL_set_connect_state(m.ssl);
    m.started = monotonic_now();
    m.step_handshake();  // the ClientHello
}

Client::~Client() = default;

int Client::fd() const noexcept { return impl_->fd; }
Client::State Client::state() const noexcept { return impl_->state; }
const std::optional<Event>& Client::failure() const noexcept { return impl_->failure; }
double Client::handshake_ms() const noexcept { return impl_->hs_ms; }
std::string Client::cipher() const {
    return impl_->state == State::connected ? std::string(SSL_get_cipher_name(impl_->ssl)) : std::string();
}

std::vector<Bytes> Client::process() {
    Impl& m = *impl_;
    std::vector<Bytes> out(std::make_move_iterator(m.early.begin()), std::make_move_iterator(m.early.end()));
    m.early.clear();
    std::uint8_t buf[65536];
    for (;;) {
        const ssize_t n = ::recv(m.fd, buf, sizeof buf, 0);
        if (n < 0 && errno == ECONNREFUSED) continue;  // an ICMP unreachable for an earlier datagram
        if (n < 0) break;
        m.link.in.emplace_back(buf, buf + n);
    }
    if (m.state == State::failed || m.state == State::closed) {
        m.link.in.clear();
        return out;
    }
    if (m.state == State::handshaking) {
        m.step_handshake();
        if (m.state == State::handshaking) {
            timeval tv{};
            if (DTLSv1_get_timeout(m.ssl, &tv) == 1 && tv.tv_sec == 0 && tv.tv_usec == 0) DTLSv1_handle_timeout(m.ssl);
            if (ms_since(m.started) > static_cast<double>(m.o.handshake_timeout.count()))
                m.fail(Event::Kind::handshake_timeout, fmt::format("no DTLS handshake with {} within {} ms", m.peer, m.o.handshake_timeout.count()));
        }
        if (m.state != State::connected) return out;
    }
    while (!m.link.in.empty() || SSL_pending(m.ssl) > 0) {
        ERR_clear_error();
        const int r = SSL_read(m.ssl, buf, sizeof buf);
        if (r > 0) {
            out.emplace_back(buf, buf + r);
            continue;
        }
        const int err = SSL_get_error(m.ssl, r);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) continue;
        if (err == SSL_ERROR_ZERO_RETURN) {
            m.state = State::closed;
            Event e;
            e.kind = Event::Kind::closed;
            e.peer = m.peer;
            e.identity = m.o.psk.identity;
            m.failure = e;
        } else {
            m.fail(Event::Kind::handshake_failed, ssl_reason());
        }
        break;
    }
    return out;
}

std::optional<Millis> Client::next_timeout() const {
    const Impl& m = *impl_;
    if (m.state != State::handshaking) return std::nullopt;
    timeval tv{};
    Millis t = m.o.handshake_timeout - Millis(static_cast<long>(ms_since(m.started)));
    if (DTLSv1_get_timeout(m.ssl, &tv) == 1) t = std::min(t, Millis(tv.tv_sec * 1000 + tv.tv_usec / 1000));
    return std::max(t, Millis(0));
}

bool Client::handshake(Millis timeout) {
    const TimePoint end = monotonic_now() + std::chrono::duration_cast<Duration>(timeout);
    while (impl_->state == State::handshaking) {
        const auto left = std::chrono::duration_cast<Millis>(end - monotonic_now());
        if (left.count() <= 0) break;
        Millis wait = std::min(left, next_timeout().value_or(left));
        pollfd p{impl_->fd, POLLIN, 0};
        ::poll(&p, 1, static_cast<int>(std::max<long>(1, wait.count())));
        auto early = process();  // application data before handshake() returned: kept for the caller's process()
        for (auto& d : early) impl_->early.push_back(std::move(d));
    }
    return impl_->state == State::connected;
}

bool Client::send(std::span<const std::uint8_t> d) {
    Impl& m = *impl_;
    if (d.size() > m.o.max_datagram)
        throw DtlsError(DtlsError::Kind::too_large, fmt::format("dtls: datagram of {} bytes exceeds {} bytes", d.size(), m.o.max_datagram));
    if (m.state == State::handshaking) {
        m.queued.emplace_back(d.begin(), d.end());
        return true;
    }
    if (m.state != State::connected) return false;
    ERR_clear_error();
    return SSL_write(m.ssl, d.data(), static_cast<int>(d.size())) == static_cast<int>(d.size());
}

void Client::close() {
    Impl& m = *impl_;
    if (m.state == State::connected) SSL_shutdown(m.ssl);
    if (m.state != State::failed) m.state = State::closed;
}

// ================================================================== server
namespace {
struct SslFree {
    void operator()(SSL* s) const { SSL_free(s); }
};
struct Peer {
    std::unique_ptr<Link> link;
    std::unique_ptr<SSL, SslFree> owned;  // frees the BIO too
    SSL* ssl = nullptr;
    PeerInfo info;
    TimePoint started{};
};
}  // namespace

struct Server::Impl {
    ServerOptions o;
    int fd = -1;
    std::uint16_t port = 0;
    SSL_CTX* ctx = nullptr;
    std::unique_ptr<Keylog> keylog;
    unsigned char cookie_secret[32] = {};
    Link listen_link;   // the datagram DTLSv1_listen looks at
    SSL* listener = nullptr;
    std::map<std::string, Peer> peers;
    std::vector<Event> events;

    ~Impl() {
        peers.clear();
        if (listener) SSL_free(listener);
        if (ctx) SSL_CTX_free(ctx);
        if (fd >= 0) ::close(fd);
        OPENSSL_cleanse(cookie_secret, sizeof cookie_secret);
    }

    void event(Event e) {
        if (events.size() < 10000) events.push_back(std::move(e));
    }

    SSL* new_listener() {
        SSL* s = SSL_new(ctx);
        if (!s) throw DtlsError(DtlsError::Kind::ssl_failed, "dtls: SSL_new failed: " + ssl_reason());
        BIO* b = new_link_bio(&listen_link);
        SSL_set_bio(s, b, b);
        set_mtu(s, o.mtu);
        return s;
    }

    // RFC 6347 §4.2.1: the cookie is HMAC-SHA256(secret, the peer's address and port)
    bool cookie_of(SSL* ssl, unsigned char* out, std::size_t* len) const {
        const auto* l = static_cast<const Link*>(BIO_get_data(SSL_get_rbio(ssl)));
        const auto* data = reinterpret_cast<const unsigned char*>(&l->peer);
        unsigned char mac[EVP_MAX_MD_SIZE];
        std::size_t n = 0;
        if (!EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, cookie_secret, sizeof cookie_secret, data, l->peer_len, mac, sizeof mac, &n))
            return false;
        n = std::min<std::size_t>(n, DTLS1_COOKIE_LENGTH - 1);
        std::memcpy(out, mac, n);
        *len = n;
        return true;
    }

    void drop(std::map<std::string, Peer>::iterator it, Event::Kind k, std::string reason) {
        Event e;
        e.kind = k;
        e.peer = it->first;
        e.identity = it->second.info.identity;
        e.reason = std::move(reason);
        event(std::move(e));
        peers.erase(it);
    }

    void drive(std::map<std::string, Peer>::iterator it, std::vector<Datagram>& out) {
        Peer& p = it->second;
        if (!p.info.established) {
            ERR_clear_error();
            const int r = SSL_do_handshake(p.ssl);
            if (const char* id = SSL_get_psk_identity(p.ssl)) p.info.identity = id;
            if (r == 1) {
                p.info.established = true;
                p.info.handshake_ms = ms_since(p.started);
                p.info.cipher = SSL_get_cipher_name(p.ssl);
                Event e;
                e.kind = Event::Kind::established;
                e.peer = it->first;
                e.identity = p.info.identity;
                e.cipher = p.info.cipher;
                e.handshake_ms = p.info.handshake_ms;
                event(std::move(e));
            } else {
                const int err = SSL_get_error(p.ssl, r);
                if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) return drop(it, Event::Kind::handshake_failed, ssl_reason());
                p.link->in.clear();
                return;
            }
        }
        std::uint8_t buf[65536];
        while (!p.link->in.empty() || SSL_pending(p.ssl) > 0) {
            ERR_clear_error();
            const int r = SSL_read(p.ssl, buf, sizeof buf);
            if (r > 0) {
                ++p.info.datagrams_in;
                out.push_back(Datagram{it->first, p.info.identity, Bytes(buf, buf + r)});
                continue;
            }
            const int err = SSL_get_error(p.ssl, r);
            if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) continue;
            if (err == SSL_ERROR_ZERO_RETURN) return drop(it, Event::Kind::closed, "close_notify");
            return drop(it, Event::Kind::handshake_failed, ssl_reason());
        }
    }

    void from_new_peer(const std::string& key, const sockaddr_storage& from, socklen_t len, Bytes d, std::vector<Datagram>& out) {
        const bool dtls_like = looks_like_dtls(d);
        if (!dtls_like) {
            Event e;
            e.kind = Event::Kind::not_dtls;
            e.peer = key;
            e.reason = fmt::format("{} bytes that are no DTLS record (first byte 0x{:02X}); dropped", d.size(), d.empty() ? 0 : d[0]);
            event(std::move(e));
            return;
        }
        if (peers.size() >= o.max_peers) return;
        listen_link.peer = from;
        listen_link.peer_len = len;
        listen_link.in.clear();
        listen_link.in.push_back(std::move(d));
        BIO_ADDR* client = BIO_ADDR_new();
        ERR_clear_error();
        const int r = DTLSv1_listen(listener, client);
        BIO_ADDR_free(client);
        listen_link.in.clear();
        if (r <= 0) {
            ERR_clear_error();
            Event e;
            e.kind = Event::Kind::cookie_sent;
            e.peer = key;
            e.reason = r == 0 ? "HelloVerifyRequest sent (or the record ignored)" : "record refused by DTLSv1_listen";
            event(std::move(e));
            return;
        }
        // the ClientHello carried our cookie: the listener becomes this peer's session
        Peer p;
        p.link = std::make_unique<Link>();
        p.link->fd = fd;
        p.link->peer = from;
        p.link->peer_len = len;
        p.ssl = listener;
        p.owned.reset(listener);
        BIO_set_data(SSL_get_rbio(listener), p.link.get());
        listener = nullptr;
        listener = new_listener();
        p.started = monotonic_now();
        p.info.peer = key;
        auto [it, _] = peers.emplace(key, std::move(p));
        drive(it, out);
    }
};

Server::Server(ServerOptions o) : impl_(std::make_unique<Impl>()) {
    Impl& m = *impl_;
    m.o = std::move(o);
    if (m.o.psks.empty()) throw DtlsError(DtlsError::Kind::bad_psk, "dtls: the server needs at least one PSK identity and key");
    for (const auto& [id, key] : m.o.psks) check_psk(id, key);
    sockaddr_storage a{};
    socklen_t alen = 0;
    if (auto* s4 = reinterpret_cast<sockaddr_in*>(&a); ::inet_pton(AF_INET, m.o.address.c_str(), &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(m.o.port);
        alen = sizeof(sockaddr_in);
    } else if (auto* s6 = reinterpret_cast<sockaddr_in6*>(&a); ::inet_pton(AF_INET6, m.o.address.c_str(), &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(m.o.port);
        alen = sizeof(sockaddr_in6);
    } else {
        throw DtlsError(DtlsError::Kind::bad_address, fmt::format("dtls: '{}' is no IPv4 or IPv6 address", m.o.address));
    }
    m.fd = ::socket(a.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (m.fd < 0 || ::bind(m.fd, reinterpret_cast<sockaddr*>(&a), alen) != 0 || ::getsockname(m.fd, reinterpret_cast<sockaddr*>(&a), &alen) != 0)
        throw DtlsError(DtlsError::Kind::bind_failed, fmt::format("dtls: cannot bind UDP {}:{}: {}", m.o.address, m.o.port, std::strerror(errno)));
    m.port = ntohs(a.ss_family == AF_INET ? reinterpret_cast<sockaddr_in&>(a).sin_port : reinterpret_cast<sockaddr_in6&>(a).sin6_port);
    m.listen_link.fd = m.fd;
    if (RAND_bytes(m.cookie_secret, sizeof m.cookie_secret) != 1)
        throw DtlsError(DtlsError::Kind::ssl_failed, "dtls: RAND_bytes failed: " + ssl_reason());
    m.keylog = std::make_unique<Keylog>(m.o.keylog_path);
    m.ctx = new_ctx(DTLS_server_method(), m.o.mtu);
    SSL_CTX_set_app_data(m.ctx, &m);
    if (m.keylog->f) {
        SSL_CTX_set_ex_data(m.ctx, keylog_index(), m.keylog.get());
        SSL_CTX_set_keylog_callback(m.ctx, keylog_cb);
    }
    SSL_CTX_set_psk_server_callback(m.ctx, [](SSL* s, const char* identity, unsigned char* psk, unsigned max_psk) -> unsigned {
        const auto* self = static_cast<const Impl*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(s)));
        if (!identity) return 0;
        const auto it = self->o.psks.find(identity);
        if (it == self->o.psks.end() || it->second.size() > max_psk) return 0;  // unknown identity: the handshake fails
        std::memcpy(psk, it->second.data(), it->second.size());
        return static_cast<unsigned>(it->second.size());
    });
    SSL_CTX_set_cookie_generate_cb(m.ctx, [](SSL* s, unsigned char* cookie, unsigned* len) -> int {
        const auto* self = static_cast<const Impl*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(s)));
        std::size_t n = 0;
        if (!self->cookie_of(s, cookie, &n)) return 0;
        *len = static_cast<unsigned>(n);
        return 1;
    });
    SSL_CTX_set_cookie_verify_cb(m.ctx, [](SSL* s, const unsigned char* cookie, unsigned len) -> int {
        const auto* self = static_cast<const Impl*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(s)));
        unsigned char want[DTLS1_COOKIE_LENGTH];
        std::size_t n = 0;
        return self->cookie_of(s, want, &n) && n == len && CRYPTO_memcmp(want, cookie, n) == 0 ? 1 : 0;
    });
    m.listener = m.new_listener();
}

Server::~Server() = default;

int Server::fd() const noexcept { return impl_->fd; }
std::uint16_t Server::port() const noexcept { return impl_->port; }

std::vector<Datagram> Server::process() {
    Impl& m = *impl_;
    std::vector<Datagram> out;
    std::uint8_t buf[65536];
    for (;;) {
        sockaddr_storage from{};
        socklen_t len = sizeof from;
        const ssize_t n = ::recvfrom(m.fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 0) break;
        const std::string key = addr_str(from);
        Bytes d(buf, buf + n);
        if (auto it = m.peers.find(key); it != m.peers.end()) {
            it->second.link->in.push_back(std::move(d));
            m.drive(it, out);
        } else {
            m.from_new_peer(key, from, len, std::move(d), out);
        }
    }
    // handshake timers (RFC 6347 §4.2.4) and the overall handshake timeout
    for (auto it = m.peers.begin(); it != m.peers.end();) {
        auto next = std::next(it);
        Peer& p = it->second;
        if (!p.info.established) {
            timeval tv{};
            if (DTLSv1_get_timeout(p.ssl, &tv) == 1 && tv.tv_sec == 0 && tv.tv_usec == 0) DTLSv1_handle_timeout(p.ssl);
            if (ms_since(p.started) > static_cast<double>(m.o.handshake_timeout.count()))
                m.drop(it, Event::Kind::handshake_timeout, fmt::format("handshake not completed within {} ms", m.o.handshake_timeout.count()));
        }
        it = next;
    }
    return out;
}

std::optional<Millis> Server::next_timeout() const {
    std::optional<Millis> t;
    for (const auto& [k, p] : impl_->peers) {
        if (p.info.established) continue;
        timeval tv{};
        Millis left = impl_->o.handshake_timeout - Millis(static_cast<long>(ms_since(p.started)));
        if (DTLSv1_get_timeout(p.ssl, &tv) == 1) left = std::min(left, Millis(tv.tv_sec * 1000 + tv.tv_usec / 1000));
        left = std::max(left, Millis(0));
        t = t ? std::min(*t, left) : left;
    }
    return t;
}

bool Server::send(const std::string& peer, std::span<const std::uint8_t> d) {
    auto it = impl_->peers.find(peer);
    if (it == impl_->peers.end() || !it->second.info.established) return false;
    ERR_clear_error();
    const bool ok = SSL_write(it->second.ssl, d.data(), static_cast<int>(d.size())) == static_cast<int>(d.size());
    if (ok) ++it->second.info.datagrams_out;
    ERR_clear_error();
    return ok;
}

std::vector<PeerInfo> Server::peers() const {
    std::vector<PeerInfo> out;
    for (const auto& [k, p] : impl_->peers) out.push_back(p.info);
    return out;
}

std::vector<Event> Server::take_events() {
    std::vector<Event> out;
    out.swap(impl_->events);
    return out;
}

void Server::close_all() {
    for (auto& [k, p] : impl_->peers)
        if (p.info.established) SSL_shutdown(p.ssl);
    impl_->peers.clear();
}

}  // namespace metercert::rigs::dtls
