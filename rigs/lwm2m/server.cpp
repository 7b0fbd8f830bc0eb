// The suite's LwM2M Bootstrap-Server, DM server and MQTT-SN gateway transport (server.hpp).
#include "metercert/rigs/lwm2m/server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <coap3/coap.h>
#include <fmt/format.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <functional>
#include <mutex>
#include <thread>

#include "metercert/lwm2m/content.hpp"
#include "metercert/lwm2m/operations.hpp"
#include "metercert/rigs/clock.hpp"
#include "metercert/rigs/coap/log.hpp"
#include "metercert/rigs/dtls/dtls.hpp"

namespace metercert::rigs::lwm2m {

namespace lw = metercert::lwm2m;
using coap::Method;
using coap::Outgoing;
using coap::Reply;
using coap::Response;
using coap::Session;

const char* step_name(BootstrapStep::Kind k) noexcept {
    switch (k) {
        case BootstrapStep::Kind::delete_: return "bootstrap-delete";
        case BootstrapStep::Kind::write: return "bootstrap-write";
        case BootstrapStep::Kind::discover: return "bootstrap-discover";
        case BootstrapStep::Kind::read: return "bootstrap-read";
        case BootstrapStep::Kind::finish: return "bootstrap-finish";
    }
    return "?";
}

bool Registration::expired(std::int64_t now_us) const noexcept {
    return !deregistered && now_us > last_at_us + static_cast<std::int64_t>(lifetime_s) * 1000000;
}

namespace {

std::int64_t now_us() { return monotonic_now().time_since_epoch().count(); }

std::string psk_identity_of(const Session& s) {
    if (!s.valid() || !s.secure()) return {};
    const coap_bin_const_t* id = coap_session_get_psk_identity(s.native());
    return id ? std::string(reinterpret_cast<const char*>(id->s), id->length) : std::string();
}

Exchange incoming(const char* server, const coap::Request& req) {
    Exchange e;
    e.server = server;
    e.direction = "from_client";
    e.method = coap::method_name(req.method);
    e.path = req.path_str();
    e.query = req.query;
    e.request_format = req.content_format;
    e.request_payload = req.payload;
    return e;
}

OperationResult result_of(const Reply& r, const std::string& path) {
    OperationResult out;
    out.status = coap::status_name(r.status);
    out.at_us = now_us();
    out.wall_us = wall_clock_us();
    if (r.status != Reply::Status::ok) return out;
    out.code = r.response.code;
    out.content_format = r.response.content_format;
    out.payload = r.response.payload;
    out.observe = r.observe;
    if (!out.content_format || out.payload.empty()) return out;
    if (*out.content_format == lw::content_format::link) {
        lw::Error err;
        const std::string text(out.payload.begin(), out.payload.end());
        if (lw::parse_links(text, out.links, err)) out.decoded = true;
        else out.decode_error = err.message();
    } else if (lw::value_format(*out.content_format)) {
        const auto p = lw::parse_path(path);
        lw::Error err;
        if (p && lw::decode_content(*out.content_format, *p, out.payload, lw::ClientObjects::type_of, out.entries, err))
            out.decoded = true;
        else
            out.decode_error = p ? err.message() : "not an LwM2M path";
    }
    return out;
}

}  // namespace

struct Servers::Impl {
    Options o;
    std::unique_ptr<coap::Server> bs, dm;
    std::unique_ptr<coap::UdpTap> bs_tap, dm_tap, mq_tap;
    int mq_fd = -1;
    std::unique_ptr<dtls::Server> mq_dtls;  // Options::mqttsn_dtls (owns mq_fd then)
    std::vector<GatewayDtlsEvent> dtls_events;  // under mu
    int wake[2] = {-1, -1};
    mqttsn::Gateway gw;
    std::thread thread;
    std::atomic<bool> stopping{false}, ended{false};

    mutable std::mutex mu;
    std::condition_variable cv;
    std::deque<std::function<void()>> jobs;
    std::vector<Exchange> exchanges;
    std::vector<Registration> regs;              // every registration ever, in order
    std::map<std::string, std::size_t> live;     // endpoint → index of its current registration
    std::map<std::string, bool> bootstrap_done;  // endpoint → its sequence ended
    std::vector<Observation> observations;
    std::vector<GatewayUplink> uplinks;
    std::vector<mqttsn::Finding> findings;  // the gateway's, copied from the I/O thread
    int next_id = 1;
    unsigned refused_registers = 0;  // Options::refuse_registers so far (I/O thread)
    std::atomic<unsigned> refuse_bootstraps{0};  // refuse_bootstraps(): Bootstrap-Requests still to refuse

    ServerCounters counts;  // under mu (the datagram counts come from the taps)

    // I/O thread only
    std::map<std::string, Session> dm_sessions;  // registration id → session
    std::map<std::size_t, Session> obs_sessions;
    std::map<std::string, Session> bs_sessions;  // endpoint → its bootstrap session
    // No libcoap callback or queued job holds a Session: a Session left alive when its endpoint
    // goes keeps libcoap's reference count up (coap_free_endpoint asserts it is 0).

    explicit Impl(Options opts) : o(std::move(opts)), gw(o.gateway) {}

    void post(std::function<void()> f) {
        {
            std::lock_guard l(mu);
            jobs.push_back(std::move(f));
        }
        const char c = 1;
        [[maybe_unused]] auto n = ::write(wake[1], &c, 1);
    }

    // Options::record_limit: keeps the last `record_limit` of `v` once it holds twice that
    // (amortised: one move per record)
    template <class T>
    void trim(std::vector<T>& v) const {
        if (o.record_limit && v.size() >= 2 * o.record_limit)
            v.erase(v.begin(), v.end() - static_cast<std::ptrdiff_t>(o.record_limit));
    }

    // Options::record_limit: drops the oldest ended registrations beyond `record_limit` once there
    // are twice that many; live ones stay (their indices in `live` are renumbered). Under mu.
    void trim_registrations() {
        if (!o.record_limit || regs.size() - live.size() < 2 * o.record_limit) return;
        std::size_t drop = regs.size() - live.size() - o.record_limit;
        std::vector<Registration> kept;
        kept.reserve(live.size() + o.record_limit);
        for (std::size_t i = 0; i < regs.size(); ++i) {
            auto it = live.find(regs[i].endpoint);
            const bool is_live = it != live.end() && it->second == i;
            if (!is_live && drop) {
                --drop;
                continue;
            }
            if (is_live) it->second = kept.size();
            kept.push_back(std::move(regs[i]));
        }
        regs.swap(kept);
    }

    void record(Exchange e) {
        std::lock_guard l(mu);
        exchanges.push_back(std::move(e));
        ++counts.exchanges;
        trim(exchanges);
        cv.notify_all();
    }

    // ------------------------------------------------------------ Bootstrap-Server
    Response on_bootstrap(const coap::Request& req, Session& s) {
        Exchange e = incoming("bootstrap", req);
        e.operation = "bootstrap-request";
        e.at_us = now_us();
        e.wall_us = wall_clock_us();
        e.peer = req.peer.str();
        e.psk_identity = psk_identity_of(s);
        for (const auto& q : req.query)
            if (q.rfind("ep=", 0) == 0) e.endpoint = q.substr(3);
        Response out{coap::kNotFound};
        if (req.method == Method::post && req.path == std::vector<std::string>{"bs"}) {
            out = e.endpoint.empty() ? Response{coap::kBadRequest} : Response{coap::kChanged};
            if (out.code == coap::kChanged && refuse_bootstraps.load() > 0) {  // refuse_bootstraps()
                --refuse_bootstraps;
                out = Response{coap::code(4, 3)};  // 4.03 Forbidden
            }
        } else {
            e.operation = "unknown";
        }
        e.code = out.code;
        e.reply_at_us = e.at_us;
        const std::string ep = e.endpoint;
        const bool start = out.code == coap::kChanged;
        record(std::move(e));
        if (start) {
            {
                std::lock_guard l(mu);
                bootstrap_done[ep] = false;
            }
            bs_sessions[ep] = s;
            // after the 2.04 is sent (this handler's response goes out when it returns)
            post([this, ep]() { bootstrap_step(ep, 0); });
        }
        return out;
    }

    void bootstrap_finished(const std::string& ep) {
        std::lock_guard l(mu);
        bootstrap_done[ep] = true;
        cv.notify_all();
    }

    void bootstrap_step(const std::string& ep, std::size_t i) {
        std::vector<BootstrapStep> seq = o.bootstrap_sequence;
        if (seq.empty()) seq.push_back(BootstrapStep{});
        auto sit = bs_sessions.find(ep);
        if (i >= seq.size() || sit == bs_sessions.end()) return bootstrap_finished(ep);
        Session& s = sit->second;
        const BootstrapStep& st = seq[i];
        Outgoing out;
        switch (st.kind) {
            case BootstrapStep::Kind::delete_: out = Outgoing(Method::del, st.path); break;
            case BootstrapStep::Kind::write: out = Outgoing(Method::put, st.path, {}, st.content_format, std::nullopt, st.payload); break;
            case BootstrapStep::Kind::discover: out = Outgoing(Method::get, st.path, {}, std::nullopt, lw::content_format::link); break;
            case BootstrapStep::Kind::read: out = Outgoing(Method::get, st.path, {}, std::nullopt, st.accept); break;
            case BootstrapStep::Kind::finish: out = Outgoing(Method::post, "/bs"); break;
        }
        auto e = std::make_shared<Exchange>();
        e->server = "bootstrap";
        e->endpoint = ep;
        e->direction = "to_client";
        e->operation = step_name(st.kind);
        e->method = coap::method_name(out.method);
        e->path = out.path;
        e->request_format = out.content_format;
        e->request_payload = out.payload;
        e->at_us = now_us();
        e->wall_us = wall_clock_us();
        try {
            e->peer = s.peer().str();
            e->psk_identity = psk_identity_of(s);
            s.send(out, [this, e, ep, i](const Reply& r) {
                const OperationResult res = result_of(r, e->path);
                e->status = res.status;
                e->code = res.code;
                e->content_format = res.content_format;
                e->payload = res.payload;
                e->reply_at_us = res.at_us;
                record(*e);
                if (r.status != Reply::Status::ok) return bootstrap_finished(ep);
                post([this, ep, i]() { bootstrap_step(ep, i + 1); });
            });
        } catch (const std::exception& ex) {
            e->status = "send_failed";
            record(*e);
            bootstrap_finished(ep);
        }
    }

    // ------------------------------------------------------------ DM server (registration interface)
    Response on_dm(const coap::Request& req, Session& s) {
        Exchange e = incoming("dm", req);
        e.at_us = now_us();
        e.wall_us = wall_clock_us();
        e.peer = req.peer.str();
        e.psk_identity = psk_identity_of(s);
        Response out{coap::kNotFound};
        const std::string text(req.payload.begin(), req.payload.end());
        if (req.method == Method::post && req.path == std::vector<std::string>{"rd"}) {
            e.operation = "register";
            lw::RegisterQuery q;
            lw::Error err;
            std::vector<lw::Path> objs;
            if (refused_registers < o.refuse_registers) {  // Options::refuse_registers (TS 1.1 §5.3.1: 4.03 Forbidden)
                ++refused_registers;
                if (lw::parse_register_query(req.query, false, q, err)) e.endpoint = q.endpoint;
                out = Response{coap::code(4, 3)};  // 4.03 Forbidden
            } else if (!lw::parse_register_query(req.query, false, q, err)) {
                out = Response{coap::kBadRequest};
            } else if (!lw::parse_register_payload(text, objs, err)) {
                e.endpoint = q.endpoint;
                out = Response{coap::kBadRequest};
            } else {
                e.endpoint = q.endpoint;
                std::lock_guard l(mu);
                Registration r;
                r.id = std::to_string(next_id++);
                r.endpoint = q.endpoint;
                r.query = q;
                r.links = text;
                for (const auto& p : objs) r.objects.push_back(lw::to_string(p));
                r.registered_at_us = r.last_at_us = e.at_us;
                r.registered_wall_us = e.wall_us;
                r.lifetime_s = q.lifetime.value_or(86400);
                r.peer = e.peer;
                r.psk_identity = e.psk_identity;
                // TS 1.1 §6.2.1: a Register with a registered endpoint name replaces that registration
                if (auto it = live.find(q.endpoint); it != live.end()) {
                    regs[it->second].deregistered = true;
                    regs[it->second].deregistered_at_us = e.at_us;
                    dm_sessions.erase(regs[it->second].id);
                }
                live[q.endpoint] = regs.size();
                dm_sessions[r.id] = s;
                free_nstart(s);
                out = Response{coap::kCreated, std::nullopt, {}, {"rd", r.id}};
                regs.push_back(std::move(r));
                ++counts.registers;
                counts.last_register_at_us = e.at_us;
                trim_registrations();
                cv.notify_all();
            }
        } else if ((req.method == Method::post || req.method == Method::del) && req.path.size() == 2 && req.path[0] == "rd") {
            const bool update = req.method == Method::post;
            e.operation = update ? "update" : "deregister";
            std::lock_guard l(mu);
            Registration* r = nullptr;
            for (auto& [ep, idx] : live)
                if (regs[idx].id == req.path[1]) r = &regs[idx];
            if (r && update && r->discarded_at_us) {  // discard(): the server no longer has it (int-105)
                e.endpoint = r->endpoint;
                r->refused_updates_at_us.push_back(e.at_us);
                r->deregistered = true;
                r->deregistered_at_us = e.at_us;
                dm_sessions.erase(r->id);
                live.erase(r->endpoint);  // out stays 4.04 Not Found
                trim_registrations();
                cv.notify_all();
            } else if (!r && update) {  // an Update to a discarded location again: 4.04, recorded
                for (auto& g : regs)
                    if (g.id == req.path[1] && g.discarded_at_us) {
                        e.endpoint = g.endpoint;
                        g.refused_updates_at_us.push_back(e.at_us);
                    }
            } else if (r) {
                e.endpoint = r->endpoint;
                if (!update) {
                    r->deregistered = true;
                    r->deregistered_at_us = e.at_us;
                    live.erase(r->endpoint);
                    dm_sessions.erase(r->id);
                    out = Response{coap::kDeleted};
                    ++counts.deregisters;
                    trim_registrations();
                } else {
                    lw::RegisterQuery q;
                    lw::Error err;
                    std::vector<lw::Path> objs;
                    if (!lw::parse_register_query(req.query, true, q, err) || (!text.empty() && !lw::parse_register_payload(text, objs, err))) {
                        out = Response{coap::kBadRequest};
                    } else {
                        if (q.lifetime) r->lifetime_s = *q.lifetime, r->query.lifetime = q.lifetime;
                        if (q.binding) r->query.binding = q.binding;
                        if (q.sms) r->query.sms = q.sms;
                        if (!text.empty()) {
                            r->links = text;
                            r->objects.clear();
                            for (const auto& p : objs) r->objects.push_back(lw::to_string(p));
                        }
                        r->updates_at_us.push_back(e.at_us);
                        r->last_at_us = e.at_us;
                        r->peer = e.peer;
                        dm_sessions[r->id] = s;  // an Update may come from a new address (TS 1.1 §6.2.2)
                        free_nstart(s);
                        out = Response{coap::kChanged};
                        ++counts.updates;
                    }
                }
                cv.notify_all();
            }
        } else if (req.method == Method::post && req.path == std::vector<std::string>{"dp"}) {
            // LwM2M 1.1 Send (TS 1.1 Core §5.6.3, Transport §6.4): from a registered client's session
            // 2.04 Changed; from any other 4.00 Bad Request (Leshan's answer, "no registration found")
            e.operation = "send";
            std::lock_guard l(mu);
            for (const auto& [id, sess] : dm_sessions) {
                if (!sess.valid() || sess.native() != s.native()) continue;
                for (const auto& [ep, idx] : live)
                    if (regs[idx].id == id) e.endpoint = ep;
            }
            static const std::string kUnregistered = "no registration found";
            out = e.endpoint.empty() ? Response{coap::kBadRequest, coap::kTextPlain, Bytes(kUnregistered.begin(), kUnregistered.end())}
                                     : Response{coap::kChanged};
            ++counts.sends;
        } else {
            e.operation = "unknown";
        }
        e.code = out.code;
        e.reply_at_us = e.at_us;
        record(std::move(e));
        return out;
    }

    // ------------------------------------------------------------ DM operations
    // NSTART (RFC 7252 §4.7) of the DM server's session with a module. The cases never have two
    // requests of their own in flight (operate() waits for each), but libcoap 4.3.1 keeps a CON
    // counted as outstanding after the suite has given up on it (a timed-out Read goes on being
    // retransmitted for up to MAX_TRANSMIT_WAIT, ~93 s) or after a separate NON response that never
    // ACKed it (node-coap answers errors so): with the default NSTART 1 every later request then
    // waited behind it and "timed out" though the module never got it (ERRATA E-140).
    static constexpr std::uint16_t kDmNstart = 8;
    static void free_nstart(Session& s) {
        if (s.valid() && s.native()) coap_session_set_nstart(s.native(), kDmNstart);
    }

    OperationResult operate(const std::string& ep, const std::string& operation, Outgoing req, Millis timeout) {
        check_running();
        std::string id;
        {
            std::lock_guard l(mu);
            auto it = live.find(ep);
            if (it == live.end()) throw ServersError(fmt::format("lwm2m: endpoint '{}' is not registered with the DM server", ep));
            id = regs[it->second].id;
        }
        if (!lw::parse_path(req.path)) throw ServersError(fmt::format("lwm2m: '{}' is not an LwM2M path (/object[/instance[/resource[/instance]]])", req.path));
        struct Slot {
            std::mutex m;
            std::condition_variable cv;
            std::optional<OperationResult> r;
        };
        auto slot = std::make_shared<Slot>();
        auto e = std::make_shared<Exchange>();
        e->server = "dm";
        e->endpoint = ep;
        e->direction = "to_client";
        e->operation = operation;
        e->method = coap::method_name(req.method);
        e->path = req.path;
        e->query = req.query;
        e->request_format = req.content_format;
        e->request_payload = req.payload;
        auto finish = [this, slot, e](OperationResult res) {
            e->status = res.status;
            e->code = res.code;
            e->content_format = res.content_format;
            e->payload = res.payload;
            e->reply_at_us = res.code ? res.at_us : 0;
            record(*e);
            std::lock_guard l(slot->m);
            if (!slot->r) slot->r = std::move(res);
            slot->cv.notify_all();
        };
        post([this, id, req, e, finish]() {
            e->at_us = now_us();
            e->wall_us = wall_clock_us();
            auto it = dm_sessions.find(id);
            if (it == dm_sessions.end()) {
                OperationResult r;
                r.status = "not_registered";
                return finish(r);
            }
            try {
                e->peer = it->second.peer().str();
                e->psk_identity = psk_identity_of(it->second);
                const std::string path = req.path;
                it->second.send(req, [finish, path](const Reply& r) { finish(result_of(r, path)); });
            } catch (const std::exception&) {
                OperationResult r;
                r.status = "send_failed";
                finish(r);
            }
        });
        std::unique_lock l(slot->m);
        if (!slot->cv.wait_for(l, timeout, [&] { return slot->r.has_value(); })) {
            OperationResult r;
            r.status = "timeout";
            r.at_us = now_us();
            r.wall_us = wall_clock_us();
            return r;
        }
        return *slot->r;
    }

    // A response with a token no request of the DM server has: a notification of a cancelled
    // observation (RFC 7641 §3.6) is kept with its observation; anything else only gets the RST.
    void on_stray_response(const Bytes& token, const Reply& r) {
        if (!r.observe) return;  // the answer to the cancel itself (RFC 7641 §3.6: no Observe option)
        std::lock_guard l(mu);
        for (auto& ob : observations) {
            if (ob.active || ob.token != token || token.empty()) continue;
            OperationResult res = result_of(r, ob.path);
            ob.after_cancel.push_back(std::move(res));
            cv.notify_all();
            return;
        }
    }

    // ------------------------------------------------------------ MQTT-SN gateway socket
    // One MQTT-SN datagram from `peer` to the gateway (plain or out of its DTLS session): records,
    // then each reply through `reply`
    void gateway_datagram(const std::string& peer, std::span<const std::uint8_t> d, const std::string& identity,
                          const std::function<void(const Bytes&)>& reply) {
        const std::uint64_t before = gw.uplinks_seen();
        const auto replies = gw.on_datagram(peer, d, monotonic_now());
        {
            std::lock_guard l(mu);
            const auto& all = gw.uplinks();
            const std::size_t added = static_cast<std::size_t>(std::min<std::uint64_t>(gw.uplinks_seen() - before, all.size()));
            for (std::size_t i = all.size() - added; i < all.size(); ++i) {
                uplinks.push_back(GatewayUplink{all[i], wall_clock_us(), identity});
                ++counts.uplinks;
                if (all[i].type == mqttsn::MsgType::publish) ++(all[i].dup ? counts.publish_dups : counts.publishes);
            }
            trim(uplinks);
            cv.notify_all();
        }
        for (const auto& r : replies) reply(r);
    }

    // Options::mqttsn_dtls: the gateway behind its DTLS server
    void gateway_dtls_io() {
        for (auto& dg : mq_dtls->process())
            gateway_datagram(dg.peer, dg.bytes, dg.identity, [&](const Bytes& r) { mq_dtls->send(dg.peer, r); });
        if (auto ev = mq_dtls->take_events(); !ev.empty()) {
            std::lock_guard l(mu);
            for (auto& e : ev) {
                switch (e.kind) {
                    case dtls::Event::Kind::established: ++counts.mqttsn_dtls_established; break;
                    case dtls::Event::Kind::handshake_failed: ++counts.mqttsn_dtls_failed; break;
                    case dtls::Event::Kind::handshake_timeout: ++counts.mqttsn_dtls_timeouts; break;
                    case dtls::Event::Kind::not_dtls: ++counts.mqttsn_dtls_not_dtls; break;
                    case dtls::Event::Kind::cookie_sent: ++counts.mqttsn_dtls_cookies; break;
                    default: break;
                }
                dtls_events.push_back(GatewayDtlsEvent{dtls::event_name(e.kind), e.peer, e.identity, e.cipher, e.reason, e.handshake_ms, now_us()});
            }
            trim(dtls_events);
            cv.notify_all();
        }
        gw.poll(monotonic_now());
        std::lock_guard l(mu);
        if (findings.size() != gw.findings().size()) findings = gw.findings();
    }

    void gateway_io() {
        if (mq_dtls) return gateway_dtls_io();
        std::uint8_t buf[65536];
        for (;;) {
            sockaddr_in from{};
            socklen_t len = sizeof from;
            const ssize_t n = ::recvfrom(mq_fd, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &len);
            if (n < 0) break;
            char host[INET_ADDRSTRLEN] = {};
            ::inet_ntop(AF_INET, &from.sin_addr, host, sizeof host);
            const std::string peer = fmt::format("{}:{}", host, ntohs(from.sin_port));
            // the gateway may drop its oldest records (uplink_limit): its exact total tells the new ones
            const std::uint64_t before = gw.uplinks_seen();
            const auto replies = gw.on_datagram(peer, std::span<const std::uint8_t>(buf, static_cast<std::size_t>(n)), monotonic_now());
            {
                std::lock_guard l(mu);
                const auto& all = gw.uplinks();
                const std::size_t added = static_cast<std::size_t>(std::min<std::uint64_t>(gw.uplinks_seen() - before, all.size()));
                for (std::size_t i = all.size() - added; i < all.size(); ++i) {
                    uplinks.push_back(GatewayUplink{all[i], wall_clock_us()});
                    ++counts.uplinks;
                    if (all[i].type == mqttsn::MsgType::publish) ++(all[i].dup ? counts.publish_dups : counts.publishes);
                }
                trim(uplinks);
                cv.notify_all();
            }
            for (const auto& r : replies) ::sendto(mq_fd, r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
        }
        gw.poll(monotonic_now());
        std::lock_guard l(mu);
        if (findings.size() != gw.findings().size()) findings = gw.findings();
    }

    void loop() {
        const TimePoint end = monotonic_now() + std::chrono::duration_cast<Duration>(o.lifetime);
        while (!stopping && monotonic_now() < end) {
            std::vector<pollfd> fds;
            fds.push_back({wake[0], POLLIN, 0});
            if (bs && bs->fd() >= 0) fds.push_back({bs->fd(), POLLIN, 0});
            if (dm && dm->fd() >= 0) fds.push_back({dm->fd(), POLLIN, 0});
            if (mq_fd >= 0) fds.push_back({mq_fd, POLLIN, 0});
            ::poll(fds.data(), fds.size(), 20);
            char drain[64];
            while (::read(wake[0], drain, sizeof drain) > 0) {
            }
            std::deque<std::function<void()>> todo;
            {
                std::lock_guard l(mu);
                todo.swap(jobs);
            }
            for (auto& j : todo) j();
            if (bs) bs->process_ready();
            if (dm) dm->process_ready();
            if (mq_fd >= 0) gateway_io();
        }
        ended = true;
        cv.notify_all();
    }

    void check_running() const {
        if (ended || stopping) throw ServersError("lwm2m: the servers have stopped (stop() or their lifetime ended)");
    }
};

Servers::Servers(Options o) : impl_(std::make_unique<Impl>(std::move(o))) {
    Impl& m = *impl_;
    if (!m.o.bootstrap && !m.o.dm && !m.o.mqttsn) throw ServersError("lwm2m: no server asked for (bootstrap, dm, mqttsn all off)");
    if (m.o.dtls && m.o.psks.empty()) throw ServersError("lwm2m: DTLS-PSK needs at least one PSK identity and key");
    if (!m.o.keylog_path.empty()) coap::set_keylog_file(m.o.keylog_path);
    if (m.o.record_limit && !m.gw.config().uplink_limit) m.gw.config().uplink_limit = m.o.record_limit;
    if (m.o.record_limit && !m.gw.config().ended_session_limit) m.gw.config().ended_session_limit = m.o.record_limit;
    auto pcap = [&](const char* name) { return m.o.pcap_dir.empty() ? std::string() : m.o.pcap_dir + "/" + name + ".pcap"; };
    auto make = [&](std::unique_ptr<coap::Server>& srv, std::unique_ptr<coap::UdpTap>& tap, std::uint16_t public_port, const char* name) {
        coap::Server::Options so;
        so.address = "127.0.0.1";  // behind the tap
        so.psks = m.o.psks;
        if (m.o.dtls) {
            so.port = std::nullopt;
            so.dtls_port = 0;
        }
        srv = std::make_unique<coap::Server>(so);
        coap::UdpTap::Options to;
        to.address = m.o.address;
        to.port = public_port;
        to.upstream_port = m.o.dtls ? srv->dtls_port() : srv->port();
        to.pcap_path = pcap(name);
        to.lifetime = m.o.lifetime;
        to.peer_idle = m.o.tap_peer_idle;
        to.log_limit = m.o.record_limit;
        tap = std::make_unique<coap::UdpTap>(to);
    };
    if (m.o.bootstrap) {
        make(m.bs, m.bs_tap, m.o.bootstrap_port, "bootstrap");
        m.bs->on_request([&m](const coap::Request& r, Session& s) { return m.on_bootstrap(r, s); });
    }
    if (m.o.dm) {
        make(m.dm, m.dm_tap, m.o.dm_port, "dm");
        m.dm->on_request([&m](const coap::Request& r, Session& s) { return m.on_dm(r, s); });
        m.dm->on_unknown_response([&m](Session&, const Bytes& token, const Reply& r) { m.on_stray_response(token, r); });
    }
    if (m.o.mqttsn && m.o.mqttsn_dtls) {  // MQTT-SN over DTLS-PSK (rigs/dtls) behind the tap
        if (m.o.psks.empty()) throw ServersError("lwm2m: MQTT-SN over DTLS-PSK needs at least one PSK identity and key");
        dtls::ServerOptions dso;
        dso.address = "127.0.0.1";
        dso.psks = m.o.psks;
        dso.handshake_timeout = m.o.mqttsn_handshake_timeout;
        dso.keylog_path = m.o.keylog_path;
        try {
            m.mq_dtls = std::make_unique<dtls::Server>(dso);
        } catch (const dtls::DtlsError& e) {
            throw ServersError(std::string("lwm2m: the MQTT-SN gateway's DTLS server: ") + e.what());
        }
        m.mq_fd = m.mq_dtls->fd();
        coap::UdpTap::Options to;
        to.address = m.o.address;
        to.port = m.o.mqttsn_port;
        to.upstream_port = m.mq_dtls->port();
        to.pcap_path = pcap("mqttsn");
        to.lifetime = m.o.lifetime;
        to.peer_idle = m.o.tap_peer_idle;
        to.log_limit = m.o.record_limit;
        m.mq_tap = std::make_unique<coap::UdpTap>(to);
    } else if (m.o.mqttsn) {
        m.mq_fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (m.mq_fd < 0 || ::bind(m.mq_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            ::getsockname(m.mq_fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
            throw coap::CoapError(coap::CoapError::Kind::bind_failed, "lwm2m: cannot bind the MQTT-SN gateway's UDP socket on 127.0.0.1");
        coap::UdpTap::Options to;
        to.address = m.o.address;
        to.port = m.o.mqttsn_port;
        to.upstream_port = ntohs(a.sin_port);
        to.pcap_path = pcap("mqttsn");
        to.lifetime = m.o.lifetime;
        to.peer_idle = m.o.tap_peer_idle;
        to.log_limit = m.o.record_limit;
        m.mq_tap = std::make_unique<coap::UdpTap>(to);
    }
    if (::pipe2(m.wake, O_NONBLOCK | O_CLOEXEC) != 0) throw ServersError("lwm2m: pipe2 failed");
    m.thread = std::thread([&m] { m.loop(); });
}

Servers::~Servers() {
    stop();
    // every Session handle goes before the endpoints (libcoap's reference counts)
    impl_->jobs.clear();
    impl_->dm_sessions.clear();
    impl_->obs_sessions.clear();
    impl_->bs_sessions.clear();
    impl_->bs.reset();
    impl_->dm.reset();
    if (impl_->mq_dtls) impl_->mq_dtls.reset();  // closes its socket (mq_fd)
    else if (impl_->mq_fd >= 0) ::close(impl_->mq_fd);
    for (int fd : impl_->wake)
        if (fd >= 0) ::close(fd);
}

void Servers::stop() {
    Impl& m = *impl_;
    m.stopping = true;
    if (m.thread.joinable()) {
        const char c = 0;
        [[maybe_unused]] auto n = ::write(m.wake[1], &c, 1);
        m.thread.join();
    }
    for (auto* t : {m.bs_tap.get(), m.dm_tap.get(), m.mq_tap.get()})
        if (t) t->stop();
    if (!m.o.keylog_path.empty()) {
        coap::set_keylog_file("");  // the keylog was for these servers only
        m.o.keylog_path.clear();
    }
}

void Servers::refuse_bootstraps(unsigned n) { impl_->refuse_bootstraps = n; }

bool Servers::discard(const std::string& endpoint) {
    std::lock_guard l(impl_->mu);
    const auto it = impl_->live.find(endpoint);
    if (it == impl_->live.end()) return false;
    auto& r = impl_->regs[it->second];
    if (!r.discarded_at_us) r.discarded_at_us = now_us();
    return true;
}

std::uint16_t Servers::bootstrap_port() const noexcept { return impl_->bs_tap ? impl_->bs_tap->port() : 0; }
std::uint16_t Servers::dm_port() const noexcept { return impl_->dm_tap ? impl_->dm_tap->port() : 0; }
std::uint16_t Servers::mqttsn_port() const noexcept { return impl_->mq_tap ? impl_->mq_tap->port() : 0; }
bool Servers::dtls() const noexcept { return impl_->o.dtls; }

std::optional<Registration> Servers::wait_registration(const std::string& endpoint, Millis timeout) {
    std::unique_lock l(impl_->mu);
    if (!impl_->cv.wait_for(l, timeout, [&] { return impl_->live.count(endpoint) > 0; })) return std::nullopt;
    return impl_->regs[impl_->live.at(endpoint)];
}

bool Servers::wait_bootstrap(const std::string& endpoint, Millis timeout) {
    std::unique_lock l(impl_->mu);
    return impl_->cv.wait_for(l, timeout, [&] {
        auto it = impl_->bootstrap_done.find(endpoint);
        return it != impl_->bootstrap_done.end() && it->second;
    });
}

std::vector<Registration> Servers::registrations() const {
    std::lock_guard l(impl_->mu);
    return impl_->regs;
}

std::vector<Exchange> Servers::exchanges() const {
    std::lock_guard l(impl_->mu);
    return impl_->exchanges;
}

OperationResult Servers::read(const std::string& ep, const std::string& path, std::optional<std::uint16_t> accept, Millis timeout) {
    return impl_->operate(ep, "read", Outgoing(Method::get, path, {}, std::nullopt, accept), timeout);
}

OperationResult Servers::write(const std::string& ep, const std::string& path, std::uint16_t cf, const Bytes& payload, bool replace,
                               Millis timeout) {
    return impl_->operate(ep, replace ? "write-replace" : "write-partial",
                          Outgoing(replace ? Method::put : Method::post, path, {}, cf, std::nullopt, payload), timeout);
}

OperationResult Servers::execute(const std::string& ep, const std::string& path, const std::string& arguments, Millis timeout) {
    // TS 1.1 §5.4.5: the arguments are the payload, text (Content-Format 0) when there are any
    Outgoing o(Method::post, path, {}, arguments.empty() ? std::nullopt : std::optional<std::uint16_t>(0), std::nullopt,
               Bytes(arguments.begin(), arguments.end()));
    return impl_->operate(ep, "execute", o, timeout);
}

OperationResult Servers::discover(const std::string& ep, const std::string& path, Millis timeout) {
    return impl_->operate(ep, "discover", Outgoing(Method::get, path, {}, std::nullopt, lw::content_format::link), timeout);
}

OperationResult Servers::write_attributes(const std::string& ep, const std::string& path, const std::vector<std::string>& options,
                                          Millis timeout) {
    return impl_->operate(ep, "write-attributes", Outgoing(Method::put, path, options), timeout);
}

std::size_t Servers::observe(const std::string& ep, const std::string& path, std::optional<std::uint16_t> accept, Millis timeout) {
    Impl& m = *impl_;
    m.check_running();
    std::string id;
    std::size_t index = 0;
    {
        std::lock_guard l(m.mu);
        auto it = m.live.find(ep);
        if (it == m.live.end()) throw ServersError(fmt::format("lwm2m: endpoint '{}' is not registered with the DM server", ep));
        if (!lw::parse_path(path)) throw ServersError(fmt::format("lwm2m: '{}' is not an LwM2M path", path));
        id = m.regs[it->second].id;
        index = m.observations.size();
        m.observations.push_back(Observation{ep, path, {}, true, {}, {}});
    }
    m.post([&m, id, index, path, accept]() {
        auto it = m.dm_sessions.find(id);
        if (it == m.dm_sessions.end()) {
            std::lock_guard l(m.mu);
            m.observations[index].active = false;
            return;
        }
        try {
            const Bytes token = it->second.observe(Outgoing(Method::get, path, {}, std::nullopt, accept), [&m, index, path](const Reply& r) {
                OperationResult res = result_of(r, path);
                std::lock_guard l(m.mu);
                Observation& ob = m.observations[index];
                if (!res.observe || res.code >> 5 != 2) ob.active = false;
                ob.notifications.push_back(std::move(res));
                m.cv.notify_all();
            });
            m.obs_sessions[index] = it->second;
            std::lock_guard l(m.mu);
            m.observations[index].token = token;
        } catch (const std::exception&) {
            std::lock_guard l(m.mu);
            m.observations[index].active = false;
            m.cv.notify_all();
        }
    });
    std::unique_lock l(m.mu);
    m.cv.wait_for(l, timeout, [&] { return !m.observations[index].notifications.empty() || !m.observations[index].active; });
    return index;
}

bool Servers::cancel_observe(std::size_t index) {
    Impl& m = *impl_;
    {
        std::lock_guard l(m.mu);
        if (index >= m.observations.size() || !m.observations[index].active) return false;
        m.observations[index].active = false;
    }
    m.post([&m, index]() {
        auto it = m.obs_sessions.find(index);
        if (it == m.obs_sessions.end()) return;
        Bytes token;
        {
            std::lock_guard l(m.mu);
            token = m.observations[index].token;
        }
        try {
            it->second.cancel_observe(token);
        } catch (const std::exception&) {
        }
        m.obs_sessions.erase(it);
    });
    return true;
}

std::vector<Observation> Servers::observations() const {
    std::lock_guard l(impl_->mu);
    return impl_->observations;
}

std::vector<std::pair<std::string, coap::TapDatagram>> Servers::datagrams() const {
    std::vector<std::pair<std::string, coap::TapDatagram>> out;
    const std::pair<const char*, coap::UdpTap*> taps[] = {{"bootstrap", impl_->bs_tap.get()}, {"dm", impl_->dm_tap.get()},
                                                           {"mqttsn", impl_->mq_tap.get()}};
    for (auto [name, t] : taps)
        if (t)
            for (auto& d : t->log()) out.emplace_back(name, std::move(d));
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second.at < b.second.at; });
    return out;
}

void Servers::add_tap_fault(const std::string& server, coap::TapFault fault) {
    coap::UdpTap* t = server == "bootstrap" ? impl_->bs_tap.get() : server == "dm" ? impl_->dm_tap.get() : server == "mqttsn" ? impl_->mq_tap.get() : nullptr;
    if (!t) throw ServersError(fmt::format("lwm2m: no '{}' server running (bootstrap, dm, mqttsn)", server));
    t->add_fault(std::move(fault));
}

std::vector<GatewayUplink> Servers::uplinks() const {
    std::lock_guard l(impl_->mu);
    return impl_->uplinks;
}

bool Servers::set_puback_withholding(unsigned withhold_pubacks, bool withhold_all_pubacks) {
    Impl& m = *impl_;
    if (m.ended || m.stopping) return false;
    auto done = std::make_shared<std::promise<void>>();
    auto fut = done->get_future();
    m.post([&m, withhold_pubacks, withhold_all_pubacks, done] {
        m.gw.config().withhold_pubacks = withhold_pubacks;
        m.gw.config().withhold_all_pubacks = withhold_all_pubacks;
        done->set_value();
    });
    return fut.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
}

std::vector<GatewayDtlsEvent> Servers::mqttsn_dtls_events() const {
    std::lock_guard l(impl_->mu);
    return impl_->dtls_events;
}

std::vector<mqttsn::Finding> Servers::findings() const {
    // the gateway lives on the I/O thread; its findings are copied under the lock there
    std::lock_guard l(impl_->mu);
    return impl_->findings;
}

ServerCounters Servers::counters() const {
    ServerCounters c;
    {
        std::lock_guard l(impl_->mu);
        c = impl_->counts;
    }
    if (impl_->bs_tap) c.datagrams_bootstrap = impl_->bs_tap->seen();
    if (impl_->dm_tap) c.datagrams_dm = impl_->dm_tap->seen();
    if (impl_->mq_tap) c.datagrams_mqttsn = impl_->mq_tap->seen();
    return c;
}

}  // namespace metercert::rigs::lwm2m
