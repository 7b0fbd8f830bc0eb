#include "metercert/rigs/coap/coap.hpp"

#include <coap3/coap.h>

#include <arpa/inet.h>
#include <netdb.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "metercert/rigs/clock.hpp"
#include "metercert/rigs/coap/log.hpp"

namespace metercert::rigs::coap {

// ---------------------------------------------------------------- names, addresses, URIs

const char* method_name(Method m) noexcept {
    switch (m) {
        case Method::get: return "GET";
        case Method::post: return "POST";
        case Method::put: return "PUT";
        case Method::del: return "DELETE";
        case Method::fetch: return "FETCH";
        case Method::patch: return "PATCH";
        case Method::ipatch: return "iPATCH";
    }
    return "?";
}

std::string code_name(std::uint8_t c) { return fmt::format("{}.{:02}", c >> 5, c & 0x1F); }

const char* status_name(Reply::Status s) noexcept {
    switch (s) {
        case Reply::Status::ok: return "ok";
        case Reply::Status::timeout: return "timeout";
        case Reply::Status::no_ack: return "no_ack";
        case Reply::Status::reset: return "reset";
        case Reply::Status::tls_failed: return "tls_failed";
        case Reply::Status::not_deliverable: return "not_deliverable";
    }
    return "?";
}

std::string Address::str() const {
    return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

std::string Request::path_str() const {
    std::string out;
    for (const auto& s : path) out += "/" + s;
    return out.empty() ? "/" : out;
}

namespace {

coap_address_t resolve(const std::string& host, std::uint16_t port) {
    coap_address_t a;
    coap_address_init(&a);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* res = nullptr;
    const std::string service = std::to_string(port);
    if (getaddrinfo(host.c_str(), service.c_str(), &hints, &res) != 0 || !res)
        throw CoapError(CoapError::Kind::bad_address, fmt::format("coap: address '{}' does not resolve", host));
    std::memcpy(&a.addr, res->ai_addr, res->ai_addrlen);
    a.size = res->ai_addrlen;
    freeaddrinfo(res);
    return a;
}

Address address_of(const coap_address_t* a) {
    Address out;
    if (!a) return out;
    char buf[INET6_ADDRSTRLEN] = {};
    if (a->addr.sa.sa_family == AF_INET) {
        inet_ntop(AF_INET, &a->addr.sin.sin_addr, buf, sizeof buf);
        out.port = ntohs(a->addr.sin.sin_port);
    } else if (a->addr.sa.sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &a->addr.sin6.sin6_addr, buf, sizeof buf);
        out.port = ntohs(a->addr.sin6.sin6_port);
    }
    out.host = buf;
    return out;
}

void check_psk(const std::string& identity, const Bytes& key, const std::string& where) {
    if (identity.empty() || identity.size() > 128)
        throw CoapError(CoapError::Kind::bad_psk, fmt::format("coap: {}: PSK identity of {} bytes (1…128, RFC 4279 §5.1, RFC 7925 §4.2)",
                                                               where, identity.size()));
    if (key.empty() || key.size() > 64)
        throw CoapError(CoapError::Kind::bad_psk, fmt::format("coap: {}: PSK of {} bytes for identity '{}' (1…64, RFC 4279 §5.3)", where,
                                                               key.size(), identity));
}

void release_bytes(coap_session_t*, void* p) { delete static_cast<Bytes*>(p); }

std::vector<std::string> split_path(const std::string& path) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i <= path.size()) {
        const std::size_t j = std::min(path.find('/', i), path.size());
        if (j > i) out.push_back(path.substr(i, j - i));
        i = j + 1;
    }
    return out;
}

std::optional<std::uint32_t> uint_option(const coap_pdu_t* pdu, coap_option_num_t num) {
    coap_opt_iterator_t it;
    coap_opt_t* o = coap_check_option(pdu, num, &it);
    if (!o) return std::nullopt;
    return coap_decode_var_bytes(coap_opt_value(o), coap_opt_length(o));
}

Bytes body(const coap_pdu_t* pdu) {
    size_t len = 0, offset = 0, total = 0;
    const uint8_t* data = nullptr;
    if (!coap_get_data_large(pdu, &len, &data, &offset, &total) || !data) return {};
    return Bytes(data, data + len);
}

Response response_of(const coap_pdu_t* pdu) {
    Response r;
    r.code = static_cast<std::uint8_t>(coap_pdu_get_code(pdu));
    if (auto cf = uint_option(pdu, COAP_OPTION_CONTENT_FORMAT)) r.content_format = static_cast<std::uint16_t>(*cf);
    r.payload = body(pdu);
    coap_opt_iterator_t it;
    coap_option_iterator_init(pdu, &it, COAP_OPT_ALL);
    while (coap_opt_t* o = coap_option_next(&it))
        if (it.number == COAP_OPTION_LOCATION_PATH) r.location_path.emplace_back(reinterpret_cast<const char*>(coap_opt_value(o)), coap_opt_length(o));
    return r;
}

Bytes token_of(const coap_pdu_t* pdu) {
    const coap_bin_const_t t = coap_pdu_get_token(pdu);
    return Bytes(t.s, t.s + t.length);
}

}  // namespace

Uri parse_uri(const std::string& uri) {
    Uri u;
    std::string rest;
    if (uri.rfind("coaps://", 0) == 0) {
        u.secure = true;
        rest = uri.substr(8);
    } else if (uri.rfind("coap://", 0) == 0) {
        rest = uri.substr(7);
    } else {
        throw CoapError(CoapError::Kind::bad_uri, fmt::format("coap: '{}': the scheme must be coap:// or coaps:// (RFC 7252 §6.1, §6.2)", uri));
    }
    if (!rest.empty() && rest.back() == '/') rest.pop_back();
    if (rest.find('/') != std::string::npos || rest.find('?') != std::string::npos)
        throw CoapError(CoapError::Kind::bad_uri, fmt::format("coap: '{}': a session URI has no path or query", uri));
    std::string port;
    if (!rest.empty() && rest[0] == '[') {
        const auto close = rest.find(']');
        if (close == std::string::npos) throw CoapError(CoapError::Kind::bad_uri, fmt::format("coap: '{}': '[' without ']'", uri));
        u.address.host = rest.substr(1, close - 1);
        if (close + 1 < rest.size()) {
            if (rest[close + 1] != ':') throw CoapError(CoapError::Kind::bad_uri, fmt::format("coap: '{}': ':' expected after ']'", uri));
            port = rest.substr(close + 2);
        }
    } else {
        const auto colon = rest.find(':');
        u.address.host = rest.substr(0, colon);
        if (colon != std::string::npos) port = rest.substr(colon + 1);
    }
    if (u.address.host.empty()) throw CoapError(CoapError::Kind::bad_uri, fmt::format("coap: '{}': no host", uri));
    if (port.empty()) {
        u.address.port = u.secure ? 5684 : 5683;
    } else {
        if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) || std::stoul(port) == 0 ||
            std::stoul(port) > 65535)
            throw CoapError(CoapError::Kind::bad_uri, fmt::format("coap: '{}': port '{}' is not 1…65535", uri, port));
        u.address.port = static_cast<std::uint16_t>(std::stoul(port));
    }
    return u;
}

// ---------------------------------------------------------------- Session

Session::Session(Endpoint* ep, coap_session_t* s, std::weak_ptr<int> alive) : ep_(ep), s_(s), alive_(std::move(alive)) {
    if (s_) coap_session_reference(s_);
}
Session::Session(const Session& o) : ep_(o.ep_), s_(o.s_), alive_(o.alive_) {
    if (s_ && !alive_.expired()) coap_session_reference(s_);
}
Session& Session::operator=(const Session& o) {
    if (this == &o) return *this;
    if (s_ && !alive_.expired()) coap_session_release(s_);
    ep_ = o.ep_;
    s_ = o.s_;
    alive_ = o.alive_;
    if (s_ && !alive_.expired()) coap_session_reference(s_);
    return *this;
}
Session::~Session() {
    if (s_ && !alive_.expired()) coap_session_release(s_);
}

bool Session::valid() const noexcept { return s_ && !alive_.expired(); }

void Session::check() const {
    if (!valid()) throw CoapError(CoapError::Kind::session_gone, "coap: the session's endpoint is gone (or the session was never opened)");
}

Address Session::peer() const {
    check();
    return address_of(coap_session_get_addr_remote(s_));
}

bool Session::secure() const {
    check();
    return coap_session_get_proto(s_) == COAP_PROTO_DTLS;
}

void Session::set_ack_timeout(Millis t) {
    check();
    const auto ms = static_cast<std::int64_t>(t.count());
    if (ms < 1000 || ms > 65535999)
        throw CoapError(CoapError::Kind::bad_setting, fmt::format("coap: ACK timeout {} ms: libcoap takes 1 s … 65535.999 s", ms));
    coap_fixed_point_t v{static_cast<uint16_t>(ms / 1000), static_cast<uint16_t>(ms % 1000)};
    coap_session_set_ack_timeout(s_, v);
}

void Session::set_max_retransmit(unsigned n) {
    check();
    if (n < 1 || n > 65535)
        throw CoapError(CoapError::Kind::bad_setting, fmt::format("coap: max retransmit {}: libcoap takes 1 … 65535", n));
    coap_session_set_max_retransmit(s_, static_cast<uint16_t>(n));
}

Millis Session::ack_timeout() const {
    check();
    const coap_fixed_point_t v = coap_session_get_ack_timeout(s_);
    return Millis(v.integer_part * 1000 + v.fractional_part);
}

unsigned Session::max_retransmit() const {
    check();
    return coap_session_get_max_retransmit(s_);
}

namespace {

// Builds and sends `req` with Observe `observe`; returns the token. Throws send_failed.
Bytes send_pdu(coap_session_t* s, const Outgoing& req, std::optional<std::uint32_t> observe) {
    coap_pdu_t* pdu = coap_pdu_init(req.confirmable ? COAP_MESSAGE_CON : COAP_MESSAGE_NON, static_cast<coap_pdu_code_t>(req.method),
                                    coap_new_message_id(s), coap_session_max_pdu_size(s));
    if (!pdu) throw CoapError(CoapError::Kind::send_failed, fmt::format("coap: {} {}: no PDU", method_name(req.method), req.path));
    uint8_t tok[8];
    size_t tl = 0;
    coap_session_new_token(s, &tl, tok);
    coap_add_token(pdu, tl, tok);
    coap_optlist_t* ol = nullptr;
    uint8_t buf[4];
    if (observe) coap_insert_optlist(&ol, coap_new_optlist(COAP_OPTION_OBSERVE, coap_encode_var_safe(buf, sizeof buf, *observe), buf));
    for (const std::string& seg : split_path(req.path))
        coap_insert_optlist(&ol, coap_new_optlist(COAP_OPTION_URI_PATH, seg.size(), reinterpret_cast<const uint8_t*>(seg.data())));
    if (req.content_format)
        coap_insert_optlist(&ol, coap_new_optlist(COAP_OPTION_CONTENT_FORMAT, coap_encode_var_safe(buf, sizeof buf, *req.content_format), buf));
    for (const std::string& q : req.query)
        coap_insert_optlist(&ol, coap_new_optlist(COAP_OPTION_URI_QUERY, q.size(), reinterpret_cast<const uint8_t*>(q.data())));
    if (req.accept) coap_insert_optlist(&ol, coap_new_optlist(COAP_OPTION_ACCEPT, coap_encode_var_safe(buf, sizeof buf, *req.accept), buf));
    const bool ok = !ol || coap_add_optlist_pdu(pdu, &ol);
    coap_delete_optlist(ol);
    if (!ok) {
        coap_delete_pdu(pdu);
        throw CoapError(CoapError::Kind::send_failed, fmt::format("coap: {} {}: options do not fit", method_name(req.method), req.path));
    }
    if (!req.payload.empty()) {
        auto* copy = new Bytes(req.payload);
        if (!coap_add_data_large_request(s, pdu, copy->size(), copy->data(), release_bytes, copy)) {
            coap_delete_pdu(pdu);  // libcoap released `copy`
            throw CoapError(CoapError::Kind::send_failed, fmt::format("coap: {} {}: payload not accepted", method_name(req.method), req.path));
        }
    }
    if (coap_send(s, pdu) == COAP_INVALID_MID)
        throw CoapError(CoapError::Kind::send_failed, fmt::format("coap: {} {}: coap_send failed", method_name(req.method), req.path));
    return Bytes(tok, tok + tl);
}

}  // namespace

Bytes Session::send(const Outgoing& req, Callback cb) {
    check();
    Bytes token = send_pdu(s_, req, std::nullopt);
    ep_->pending_[{s_, token}] = Endpoint::Pending{s_, std::move(cb), false};
    return token;
}

Reply Session::call(const Outgoing& req, Millis timeout) {
    auto out = std::make_shared<std::optional<Reply>>();
    const Bytes token = send(req, [out](const Reply& r) { *out = r; });
    ep_->run_until([&] { return out->has_value(); }, timeout);
    if (!*out) {
        ep_->pending_.erase({s_, token});
        Reply r;
        if (coap_session_get_proto(s_) == COAP_PROTO_DTLS && coap_session_get_state(s_) != COAP_SESSION_STATE_ESTABLISHED)
            r.status = Reply::Status::tls_failed;  // the handshake did not complete by the deadline
        return r;
    }
    return **out;
}

Bytes Session::observe(Outgoing req, Callback cb) {
    check();
    req.method = Method::get;
    Bytes token = send_pdu(s_, req, 0u);
    ep_->pending_[{s_, token}] = Endpoint::Pending{s_, std::move(cb), true};
    return token;
}

bool Session::cancel_observe(const Bytes& token) {
    check();
    auto it = ep_->pending_.find({s_, token});
    if (it == ep_->pending_.end() || !it->second.observe) return false;
    it->second.cb = nullptr;  // the deregistration's response lands here and is dropped
    it->second.observe = false;
    Bytes t = token;
    coap_binary_t bt{t.size(), t.data()};
    return coap_cancel_observe(s_, &bt, COAP_MESSAGE_CON) != 0;
}

void Session::send_notification(const Bytes& token, std::uint32_t observe, std::optional<std::uint16_t> content_format,
                                const Bytes& payload) {
    check();
    coap_pdu_t* pdu = coap_pdu_init(COAP_MESSAGE_NON, COAP_RESPONSE_CODE_CONTENT, coap_new_message_id(s_), coap_session_max_pdu_size(s_));
    if (!pdu) throw CoapError(CoapError::Kind::send_failed, "coap: notification: coap_pdu_init failed");
    std::uint8_t buf[4];
    bool ok = coap_add_token(pdu, token.size(), token.data()) != 0;
    ok = ok && coap_add_option(pdu, COAP_OPTION_OBSERVE, coap_encode_var_safe(buf, sizeof buf, observe & 0xFFFFFFu), buf) != 0;
    if (content_format)
        ok = ok && coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT, coap_encode_var_safe(buf, sizeof buf, *content_format), buf) != 0;
    if (!payload.empty()) ok = ok && coap_add_data(pdu, payload.size(), payload.data()) != 0;
    if (!ok) {
        coap_delete_pdu(pdu);
        throw CoapError(CoapError::Kind::send_failed, "coap: notification: does not fit one datagram");
    }
    if (coap_send(s_, pdu) == COAP_INVALID_MID) throw CoapError(CoapError::Kind::send_failed, "coap: notification: coap_send failed");
}

// ---------------------------------------------------------------- Endpoint

struct Callbacks {
    static Endpoint* of(coap_session_t* s) { return static_cast<Endpoint*>(coap_get_app_data(coap_session_get_context(s))); }

    static void request(coap_resource_t* r, coap_session_t* s, const coap_pdu_t* pdu, const coap_string_t* query, coap_pdu_t* resp) {
        Endpoint* ep = of(s);
        Request req;
        req.method = static_cast<Method>(coap_pdu_get_code(pdu));
        req.confirmable = coap_pdu_get_type(pdu) == COAP_MESSAGE_CON;
        coap_opt_iterator_t it;
        coap_option_iterator_init(pdu, &it, COAP_OPT_ALL);
        while (coap_opt_t* o = coap_option_next(&it)) {
            const uint8_t* v = coap_opt_value(o);
            const uint32_t len = coap_opt_length(o);
            switch (it.number) {
                case COAP_OPTION_URI_PATH: req.path.emplace_back(reinterpret_cast<const char*>(v), len); break;
                case COAP_OPTION_URI_QUERY: req.query.emplace_back(reinterpret_cast<const char*>(v), len); break;
                case COAP_OPTION_CONTENT_FORMAT: req.content_format = static_cast<std::uint16_t>(coap_decode_var_bytes(v, len)); break;
                case COAP_OPTION_ACCEPT: req.accept = static_cast<std::uint16_t>(coap_decode_var_bytes(v, len)); break;
                case COAP_OPTION_OBSERVE: req.observe = coap_decode_var_bytes(v, len); break;
                default: break;
            }
        }
        req.payload = body(pdu);
        req.peer = address_of(coap_session_get_addr_remote(s));
        req.token = token_of(pdu);
        Response out{kNotFound, std::nullopt, {}};
        if (ep->handler_) {
            Session session(ep, s, ep->alive_);
            try {
                out = ep->handler_(req, session);
            } catch (const std::exception& e) {
                // The handler's failure is the server's (RFC 7252 §5.9.3.1), never a crash of the loop.
                out = Response{kInternalServerError, kTextPlain, Bytes(e.what(), e.what() + std::strlen(e.what()))};
            }
        }
        coap_pdu_set_code(resp, static_cast<coap_pdu_code_t>(out.code));
        for (const std::string& seg : out.location_path)
            coap_add_option(resp, COAP_OPTION_LOCATION_PATH, seg.size(), reinterpret_cast<const uint8_t*>(seg.data()));
        if (out.content_format) {
            // libcoap 4.3.1's coap_add_data_large_response adds Content-Format only for a media
            // type other than 0: text/plain (0) gets its option here, or it would leave without
            // one (ERRATA E-122; RFC 7252 §5.10.3 makes an absent option "unknown", not text).
            // Option 12 sorts after Location-Path (8), before what libcoap adds (Block2, Size2).
            if (*out.content_format == kTextPlain) coap_add_option(resp, COAP_OPTION_CONTENT_FORMAT, 0, nullptr);
            auto* copy = new Bytes(std::move(out.payload));
            coap_add_data_large_response(r, s, pdu, resp, query, *out.content_format, -1, 0, copy->size(), copy->data(), release_bytes, copy);
        } else if (!out.payload.empty()) {
            coap_add_data(resp, out.payload.size(), out.payload.data());
        }
    }

    static coap_response_t response(coap_session_t* s, const coap_pdu_t*, const coap_pdu_t* received, const coap_mid_t) {
        Endpoint* ep = of(s);
        auto it = ep->pending_.find({s, token_of(received)});
        Reply r;
        r.status = Reply::Status::ok;
        r.response = response_of(received);
        r.observe = uint_option(received, COAP_OPTION_OBSERVE);
        if (it == ep->pending_.end()) {
            if (ep->unknown_handler_) {
                Session session(ep, s, ep->alive_);
                try {
                    ep->unknown_handler_(session, token_of(received), r);
                } catch (const std::exception&) {
                }
            }
            return COAP_RESPONSE_FAIL;  // unknown token: RST (RFC 7641 §3.6)
        }
        Session::Callback cb = it->second.cb;
        // an observation lasts while notifications carry Observe and succeed (RFC 7641 §3.2)
        if (!it->second.observe || !r.observe || (r.response.code >> 5) != 2) ep->pending_.erase(it);
        if (cb) cb(r);
        return COAP_RESPONSE_OK;
    }

    static void fail(Endpoint* ep, coap_session_t* s, const coap_pdu_t* sent, Reply::Status status) {
        std::vector<Session::Callback> cbs;
        for (auto it = ep->pending_.begin(); it != ep->pending_.end();) {
            if (it->first.first == s && (!sent || it->first.second == token_of(sent))) {
                cbs.push_back(it->second.cb);
                it = ep->pending_.erase(it);
            } else {
                ++it;
            }
        }
        Reply r;
        r.status = status;
        for (auto& cb : cbs)
            if (cb) cb(r);
    }

    static void nack(coap_session_t* s, const coap_pdu_t* sent, const coap_nack_reason_t reason, const coap_mid_t) {
        Reply::Status st = Reply::Status::not_deliverable;
        switch (reason) {
            case COAP_NACK_TOO_MANY_RETRIES: st = Reply::Status::no_ack; break;
            case COAP_NACK_RST: st = Reply::Status::reset; break;
            case COAP_NACK_TLS_FAILED: st = Reply::Status::tls_failed; break;
            default: break;
        }
        fail(of(s), s, st == Reply::Status::tls_failed ? nullptr : sent, st);
    }

    static int event(coap_session_t* s, const coap_event_t e) {
        if (!s) return 0;
        if (e == COAP_EVENT_DTLS_ERROR || ((e == COAP_EVENT_DTLS_CLOSED || e == COAP_EVENT_SESSION_FAILED) &&
                                           coap_session_get_type(s) == COAP_SESSION_TYPE_CLIENT))
            fail(of(s), s, nullptr, Reply::Status::tls_failed);
        return 0;
    }
};

Endpoint::Endpoint() {
    install_log_handler();
    ctx_ = coap_new_context(nullptr);
    if (!ctx_) throw CoapError(CoapError::Kind::bind_failed, "coap: coap_new_context failed");
    coap_set_app_data(ctx_, this);
    coap_context_set_block_mode(ctx_, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
    coap_register_response_handler(ctx_, Callbacks::response);
    coap_register_nack_handler(ctx_, Callbacks::nack);
    coap_register_event_handler(ctx_, Callbacks::event);
    coap_resource_t* unknown = coap_resource_unknown_init2(Callbacks::request, 0);
    for (coap_request_t m : {COAP_REQUEST_GET, COAP_REQUEST_POST, COAP_REQUEST_DELETE, COAP_REQUEST_FETCH, COAP_REQUEST_PATCH, COAP_REQUEST_IPATCH})
        coap_register_request_handler(unknown, m, Callbacks::request);
    coap_add_resource(ctx_, unknown);
}

Endpoint::~Endpoint() {
    alive_.reset();
    pending_.clear();
    if (ctx_) coap_free_context(ctx_);
}

void Endpoint::on_request(RequestHandler h) { handler_ = std::move(h); }
void Endpoint::on_unknown_response(UnknownResponseHandler h) { unknown_handler_ = std::move(h); }

void Endpoint::add_observable(const std::string& path) {
    std::string p;
    for (const auto& seg : split_path(path)) p += (p.empty() ? "" : "/") + seg;
    if (observable_.count(p)) return;
    // libcoap copies the path (no COAP_RESOURCE_FLAGS_RELEASE_URI). Not coap_make_str_const(): in
    // libcoap 4.3.1 it hands out one of 2 process-wide static slots, a race between Endpoints on
    // different threads (coap_test ObservablesFromManyThreadsAtOnce).
    const coap_str_const_t uri{p.size(), reinterpret_cast<const std::uint8_t*>(p.data())};
    coap_resource_t* r = coap_resource_init(const_cast<coap_str_const_t*>(&uri), 0);
    for (coap_request_t m : {COAP_REQUEST_GET, COAP_REQUEST_POST, COAP_REQUEST_PUT, COAP_REQUEST_DELETE, COAP_REQUEST_FETCH,
                             COAP_REQUEST_PATCH, COAP_REQUEST_IPATCH})
        coap_register_request_handler(r, m, Callbacks::request);
    coap_resource_set_get_observable(r, 1);
    if (notify_con_) coap_resource_set_mode(r, COAP_RESOURCE_FLAGS_NOTIFY_CON);
    coap_add_resource(ctx_, r);
    observable_[p] = r;
}

namespace {
std::string normal(const std::string& path) {
    std::string p;
    for (const auto& seg : split_path(path)) p += (p.empty() ? "" : "/") + seg;
    return p;
}
}  // namespace

bool Endpoint::notify(const std::string& path) {
    auto it = observable_.find(normal(path));
    if (it == observable_.end()) return false;
    coap_resource_notify_observers(it->second, nullptr);
    return true;
}

void Endpoint::set_notify_confirmable(bool con) {
    notify_con_ = con;
    for (auto& [path, r] : observable_) coap_resource_set_mode(r, con ? COAP_RESOURCE_FLAGS_NOTIFY_CON : COAP_RESOURCE_FLAGS_NOTIFY_NON);
}

int Endpoint::fd() const noexcept { return coap_context_get_coap_fd(ctx_); }

void Endpoint::process_ready() { coap_io_process(ctx_, COAP_IO_NO_WAIT); }

void Endpoint::run_for(Millis d) {
    const TimePoint end = monotonic_now() + std::chrono::duration_cast<Duration>(d);
    for (;;) {
        const auto left = std::chrono::duration_cast<Millis>(end - monotonic_now()).count();
        if (left <= 0) return;
        coap_io_process(ctx_, static_cast<uint32_t>(std::clamp<std::int64_t>(left, 1, 100)));
    }
}

bool Endpoint::run_until(const std::function<bool()>& done, Millis timeout) {
    const TimePoint end = monotonic_now() + std::chrono::duration_cast<Duration>(timeout);
    for (;;) {
        if (done()) return true;
        const auto left = std::chrono::duration_cast<Millis>(end - monotonic_now()).count();
        if (left <= 0) return done();
        coap_io_process(ctx_, static_cast<uint32_t>(std::clamp<std::int64_t>(left, 1, 50)));
    }
}

// ---------------------------------------------------------------- Server

struct Server::Keys {
    struct Entry {
        Bytes key;
        coap_bin_const_t bin{};
    };
    std::map<std::string, std::unique_ptr<Entry>> by_identity;

    static const coap_bin_const_t* lookup(coap_bin_const_t* identity, coap_session_t* session, void* arg) {
        auto* self = static_cast<Keys*>(arg);
        coap_tls_library_t lib;
        if (session) keylog_hook(coap_session_get_tls(session, &lib));  // before the master secret exists
        if (!identity) return nullptr;
        auto it = self->by_identity.find(std::string(reinterpret_cast<const char*>(identity->s), identity->length));
        return it == self->by_identity.end() ? nullptr : &it->second->bin;  // unknown identity: handshake fails
    }
};

namespace {
std::uint16_t bound_port(coap_endpoint_t* ep) {
    // "127.0.0.1:40123 UDP" / "[::1]:40123 DTLS" (libcoap coap_endpoint_str)
    const std::string s = coap_endpoint_str(ep);
    const auto sp = s.find(' ');
    const auto colon = s.rfind(':', sp);
    return static_cast<std::uint16_t>(std::stoul(s.substr(colon + 1, sp - colon - 1)));
}
}  // namespace

Server::Server(const Options& o) : keys_(std::make_unique<Keys>()) {
    for (const auto& [id, key] : o.psks) set_psk(id, key);
    if (o.port) {
        coap_address_t a = resolve(o.address, *o.port);
        coap_endpoint_t* ep = coap_new_endpoint(ctx_, &a, COAP_PROTO_UDP);
        if (!ep) throw CoapError(CoapError::Kind::bind_failed, fmt::format("coap: cannot bind coap://{}", Address{o.address, *o.port}.str()));
        port_ = bound_port(ep);
    }
    if (o.dtls_port) {
        if (!coap_dtls_is_supported()) throw CoapError(CoapError::Kind::no_dtls, "coap: this libcoap has no DTLS");
        if (o.psks.empty()) throw CoapError(CoapError::Kind::bad_psk, "coap: a DTLS-PSK server needs at least one identity and key");
        coap_dtls_spsk_t setup{};
        setup.version = COAP_DTLS_SPSK_SETUP_VERSION;
        setup.validate_id_call_back = Keys::lookup;
        setup.id_call_back_arg = keys_.get();
        if (!coap_context_set_psk2(ctx_, &setup)) throw CoapError(CoapError::Kind::bad_psk, "coap: libcoap refused the PSK setup");
        coap_address_t a = resolve(o.address, *o.dtls_port);
        coap_endpoint_t* ep = coap_new_endpoint(ctx_, &a, COAP_PROTO_DTLS);
        if (!ep)
            throw CoapError(CoapError::Kind::bind_failed, fmt::format("coap: cannot bind coaps://{}", Address{o.address, *o.dtls_port}.str()));
        dtls_port_ = bound_port(ep);
    }
}

Server::~Server() = default;

void Server::set_psk(const std::string& identity, const Bytes& key) {
    check_psk(identity, key, "server");
    register_secret(key);
    auto e = std::make_unique<Keys::Entry>();
    e->key = key;
    e->bin = coap_bin_const_t{e->key.size(), e->key.data()};
    keys_->by_identity[identity] = std::move(e);
}

// ---------------------------------------------------------------- Client

struct Client::Keys {
    std::string identity;
    Bytes key;
};

Client::Client(const std::string& uri, const std::optional<Psk>& psk) : keys_(std::make_unique<Keys>()) {
    const Uri u = parse_uri(uri);
    coap_address_t a = resolve(u.address.host, u.address.port);
    coap_session_t* s = nullptr;
    if (u.secure) {
        if (!coap_dtls_is_supported()) throw CoapError(CoapError::Kind::no_dtls, "coap: this libcoap has no DTLS");
        if (!psk) throw CoapError(CoapError::Kind::bad_psk, fmt::format("coap: {}: coaps:// needs a PSK identity and key", uri));
        check_psk(psk->identity, psk->key, uri);
        register_secret(psk->key);
        keys_->identity = psk->identity;
        keys_->key = psk->key;
        coap_dtls_cpsk_t setup{};
        setup.version = COAP_DTLS_CPSK_SETUP_VERSION;
        setup.psk_info.identity = coap_bin_const_t{keys_->identity.size(), reinterpret_cast<const uint8_t*>(keys_->identity.data())};
        setup.psk_info.key = coap_bin_const_t{keys_->key.size(), keys_->key.data()};
        s = coap_new_client_session_psk2(ctx_, nullptr, &a, COAP_PROTO_DTLS, &setup);
        coap_tls_library_t lib;
        if (s) keylog_hook(coap_session_get_tls(s, &lib));  // the handshake has only begun (ClientHello)
    } else {
        s = coap_new_client_session(ctx_, nullptr, &a, COAP_PROTO_UDP);
    }
    if (!s) throw CoapError(CoapError::Kind::session_failed, fmt::format("coap: no session to {}", u.address.str()));
    session_ = Session(this, s, alive_);
    coap_session_release(s);  // session_ holds the one reference
}

Client::~Client() = default;

}  // namespace metercert::rigs::coap
