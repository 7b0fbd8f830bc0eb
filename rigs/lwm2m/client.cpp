// The reference CMi6110 LwM2M client: rigs/include/metercert/rigs/lwm2m/client.hpp.
#include "metercert/rigs/lwm2m/client.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "metercert/devices/cmi6110/backlog.hpp"
#include "metercert/devices/cmi6110/schedule.hpp"
#include "metercert/devices/cmi6110/uh50.hpp"
#include "metercert/lwm2m/content.hpp"
#include "metercert/lwm2m/links.hpp"
#include "metercert/lwm2m/operations.hpp"
#include "metercert/mqttsn/client.hpp"
#include "metercert/rigs/clock.hpp"
#include "metercert/rigs/dtls/dtls.hpp"

namespace metercert::rigs::lwm2m {

namespace lw = metercert::lwm2m;
namespace cm = metercert::devices::cmi6110;
using coap::Method;

namespace {

std::string join_path(const std::vector<std::string>& segs) {
    std::string p;
    for (const auto& s : segs) p += "/" + s;
    return p.empty() ? "/" : p;
}

std::optional<std::int64_t> model_int(const cm::DeviceConfig& m, std::uint16_t o, std::uint16_t i, std::uint16_t r) {
    const auto v = m.read(cm::Path{o, i, r, std::nullopt});
    if (v.outcome != cm::Outcome::content) return std::nullopt;
    if (const auto* x = std::get_if<std::int64_t>(&v.value)) return *x;
    if (const auto* b = std::get_if<bool>(&v.value)) return *b ? 1 : 0;
    return std::nullopt;
}

// RFC 7252 §4.8.2 MAX_TRANSMIT_WAIT for the session's parameters, plus a margin
std::chrono::milliseconds transmit_wait(const coap::Session& s) {
    const auto ack = s.ack_timeout();
    const unsigned n = s.max_retransmit();
    return std::chrono::milliseconds(static_cast<long long>(static_cast<double>(ack.count()) * 1.5 * ((1u << (n + 1)) - 1))) + std::chrono::seconds(2);
}

struct Observation {
    coap::Endpoint* endpoint = nullptr;
    std::optional<std::uint16_t> accept;
    TimePoint last{};
    lw::Bytes last_payload;
    lw::Bytes token;         // the server's token (RFC 7641 §3.1)
    std::uint32_t seq = 0;   // Observe of the fault's own notifications (ignores_observe_cancel)
};

// A Discover answer without the notification attributes (the fault discover_without_attributes)
std::string strip_attributes(const std::string& links) {
    static const char* const kNames[] = {"pmin=", "pmax=", "gt=", "lt=", "st=", "epmin=", "epmax="};
    auto split = [](const std::string& t, char sep) {
        std::vector<std::string> out;
        std::size_t i = 0;
        for (std::size_t j; (j = t.find(sep, i)) != std::string::npos; i = j + 1) out.push_back(t.substr(i, j - i));
        out.push_back(t.substr(i));
        return out;
    };
    std::string out;
    for (const auto& link : split(links, ',')) {
        if (!out.empty()) out += ',';
        bool first = true;
        for (const auto& part : split(link, ';')) {
            bool attr = false;
            for (const char* n : kNames) attr = attr || part.rfind(n, 0) == 0;
            if (attr) continue;
            if (!first) out += ';';
            out += part;
            first = false;
        }
    }
    return out;
}

}  // namespace

struct Client::Impl {
    ClientOptions o;
    EventSink events;
    cm::DeviceConfig model{factory_of(o)};
    lw::ClientObjects objects{model};
    std::unique_ptr<coap::Client> dm;
    std::unique_ptr<coap::Server> listener;
    std::string location;
    std::optional<coap::Psk> dm_psk;
    std::string dm_uri;
    TimePoint start = monotonic_now();
    UtcTime start_utc = utc_now();
    TimePoint last_registration{};
    bool reregister = false, update_now = false, bootstrap_finished = false, apn_reset = false;
    std::map<std::uint16_t, lw::Bytes> bs_keys;  // Security instance → Secret Key written by the Bootstrap-Server
    std::set<std::uint16_t> deleted_accounts;    // DM Security instances a Bootstrap-Delete removed (no Write since)
    bool bootstrap_refused = false;              // Bootstrap-Finish answered 4.06 (no DM server account)
    bool dm_account_written = false;             // a Bootstrap-Write gave a DM account (fault register_before_bootstrap_finish)

    static cm::FactoryData factory_of(const ClientOptions& opt) {
        cm::FactoryData f;
        if (!opt.dev_eui.empty()) f.dev_eui = opt.dev_eui;
        return f;
    }

    // The DM server accounts: Security instances with Bootstrap-Server false, not deleted
    std::vector<std::uint16_t> dm_accounts() const {
        std::vector<std::uint16_t> out;
        for (const auto& inst : objects.object_instances()) {
            if (inst.object_id() != 0 || deleted_accounts.count(inst.instance_id())) continue;
            const auto flag = model.read(cm::Path{0, inst.instance_id(), 1, std::nullopt});
            if (flag.outcome != cm::Outcome::content || std::get<bool>(flag.value)) continue;
            if (model.read(cm::Path{0, inst.instance_id(), 0, std::nullopt}).outcome != cm::Outcome::content) continue;
            out.push_back(inst.instance_id());
        }
        return out;
    }

    // Bootstrap-Delete (TS 1.1 §5.2.7; ERRATA E-126): "/" and "/0" remove every DM server account, "/0/x" that one
    void bootstrap_deleted(const lw::Path& p) {
        if (o.faults.ignores_bootstrap_delete) return;
        if (p.depth >= 1 && p.object_id() != 0) return;
        for (const auto& inst : objects.object_instances()) {
            if (inst.object_id() != 0 || (p.depth == 2 && inst.instance_id() != p.instance_id())) continue;
            const auto flag = model.read(cm::Path{0, inst.instance_id(), 1, std::nullopt});
            if (flag.outcome == cm::Outcome::content && std::get<bool>(flag.value)) continue;  // the Bootstrap-Server account stays
            deleted_accounts.insert(inst.instance_id());
            bs_keys.erase(inst.instance_id());
        }
    }
    std::map<std::string, Observation> observations;
    std::map<std::string, Observation> ghosts;  // cancelled observations the fault ignores_observe_cancel keeps notifying
    Duration clock_offset{0};
    std::map<lw::Path, lw::Value> unchecked;    // values the fault range_not_checked took outside the model's range                   // the module's clock minus the start clock (3/0/13 written, §7.3.1)
    // MQTT-SN uplinks
    int udp = -1;
    std::unique_ptr<metercert::mqttsn::Client> mq;
    std::vector<cm::Uplink> uplinks;
    std::size_t next_uplink = 0;
    std::string gateway_uri;                 // the gateway the uplinks go to now ("" none)
    std::optional<cm::Uh50> meter;           // Execute 33906/0/10's readouts
    std::optional<cm::StoredReadout> first_readout;
    std::vector<lw::Bytes> history;          // every payload published, in order (Execute /13)
    std::int64_t st_transactions = 0, st_retransmissions = 0, st_lost = 0;  // 33910/0/1-/3
    lw::Bytes last_request;                  // the last CONNECT/REGISTER/DISCONNECT sent
    bool heard_since_request = true;
    // 33910/0/4-6 response times (ms, real time; ERRATA E-157): each transaction's first request, keyed by the
    // answer it waits for (MsgType of CONNACK 0x05, REGACK 0x0B, PUBACK 0x0D, DISCONNECT 0x18; MsgId or 0)
    std::map<std::pair<std::uint8_t, std::uint16_t>, TimePoint> rt_pending;
    std::int64_t rt_count = 0, rt_min_ms = 0, rt_max_ms = 0;
    double rt_sum_ms = 0.0;

    // LwM2M 1.1 Send (33906/0/48 = 1; client.hpp, ERRATA E-151): bodies waiting for the run loop
    struct PendingSend {
        lw::Bytes body;
        std::string what;
    };
    std::deque<PendingSend> sends_pending;
    std::uint64_t sends_made = 0;
    // §7.3.4 backlog of the MQTT-SN telegrams (transmit(); ERRATA E-152)
    struct Stored {
        lw::Bytes payload;
        UtcTime taken{};   // its oldest readout (UTC)
        std::string what;
        bool fresh = false;  // the transmission's new telegram (kept in the history when published)
    };
    std::map<std::uint64_t, Stored> in_flight;  // MQTT-SN tag → telegram awaiting its PUBACK
    std::vector<Stored> unsent;                 // failed after their attempts, oldest first

    // MQTT-SN over DTLS-PSK (33905/0/2 = 0 "PSK mode", 33905/0/5 the key; ERRATA E-134, E-147)
    std::unique_ptr<dtls::Client> mq_dtls;   // the gateway's DTLS session (instead of `udp`)
    std::optional<dtls::ClientOptions> mq_dtls_options;  // to handshake again after a failure
    std::optional<lw::Bytes> transport_key;  // 33905/0/5 as the DM server wrote it: kept here only, never shown
    unsigned transport_key_version = 0;      // bumped by each write of 33905/0/5
    std::string gateway_security;            // the security the gateway was opened with (security_now())
    // 33905/0/10 Connection config the gateway was opened with (connection_now(); -1: not opened)
    int gateway_connection = -1;

    ~Impl() {
        if (udp >= 0) ::close(udp);
    }

    // 33905/0/2 and the key version: a change opens the gateway again (sync_gateway)
    [[nodiscard]] std::string security_now() const {
        const auto mode = model_int(model, 33905, 0, 2);
        return fmt::format("{}/{}", mode ? *mode : -1, transport_key_version);
    }

    // 33905/0/10 "0 = Optimized 1 = Compliant" (Table 2; ERRATA E-100): a change takes effect at the
    // next upload, on a new MQTT-SN connection (sync_gateway; ERRATA E-161)
    [[nodiscard]] int connection_now() const {
        if (o.faults.connection_mode_ignored) return 0;
        const auto v = model_int(model, 33905, 0, 10);
        return v && *v == 1 ? 1 : 0;
    }

    // The PSK identity toward the gateway (Table 2 has none; ERRATA E-147): the module's DM PSK
    // identity (0/1/3, Table 1: the DevEUI), else its DevEUI 3/0/2
    [[nodiscard]] std::string transport_identity() const {
        if (dm_psk && !dm_psk->identity.empty()) return dm_psk->identity;
        const auto v = model.read(cm::Path{3, 0, 2, std::nullopt});
        if (v.outcome == cm::Outcome::content)
            if (const auto* x = std::get_if<std::string>(&v.value); x && !x->empty()) return *x;
        return o.endpoint;
    }

    // 33905/x/5 written by the DM server (Table 2 W Opaque "Transport Secret Key"): the model keeps
    // it write-only; the client needs it for the gateway's DTLS session. Kept here, never shown.
    void capture_transport_key(const lw::Request& r) {
        if (!r.content_format || !lw::value_format(*r.content_format) || !r.path.contains(lw::Path::resource(33905, 0, 5))) return;
        std::vector<lw::Entry> entries;
        lw::Error err;
        if (!lw::decode_content(*r.content_format, r.path, r.payload, lw::ClientObjects::type_of, entries, err)) return;
        for (const auto& e : entries)
            if (e.path == lw::Path::resource(33905, 0, 5))
                if (const auto* b = std::get_if<lw::Bytes>(&e.value)) {
                    transport_key = *b;
                    ++transport_key_version;
                    log("33905/0/5 Transport Secret Key written");
                }
    }

    // The gateway's datagrams since the last call (plain UDP or out of the DTLS session)
    std::vector<lw::Bytes> receive_gateway() {
        std::vector<lw::Bytes> out;
        if (mq_dtls) {
            const bool was_connected = mq_dtls->state() == dtls::Client::State::connected;
            for (auto& d : mq_dtls->process()) out.push_back(std::move(d));
            if (!was_connected && mq_dtls->state() == dtls::Client::State::connected)
                log(fmt::format("gateway DTLS session established ({}, {:.1f} ms)", mq_dtls->cipher(), mq_dtls->handshake_ms()));
            if (const auto& f = mq_dtls->failure(); f && mq_dtls->state() == dtls::Client::State::failed) {
                log(fmt::format("gateway DTLS: {} ({})", dtls::event_name(f->kind), f->reason));
                mq_dtls.reset();  // a new handshake with the next datagram to send
            }
            return out;
        }
        if (mq_dtls_options || udp < 0) return out;  // DTLS between two handshakes, or no socket
        std::uint8_t buf[2048];
        for (;;) {
            const auto n = ::recv(udp, buf, sizeof buf, 0);
            if (n <= 0) break;
            out.emplace_back(buf, buf + n);
        }
        return out;
    }

    void send_gateway(const lw::Bytes& d) {
        if (mq_dtls_options) {
            if (!mq_dtls) {
                try {
                    mq_dtls = std::make_unique<dtls::Client>(*mq_dtls_options);
                } catch (const dtls::DtlsError& e) {
                    log(fmt::format("gateway DTLS: {}", e.what()));
                    return;
                }
            }
            try {
                (void)mq_dtls->send(d);
            } catch (const dtls::DtlsError& e) {
                log(fmt::format("gateway DTLS: {}", e.what()));
            }
            return;
        }
        (void)::send(udp, d.data(), d.size(), 0);
    }

    void start_uplinks() {
        // the module's scheduled uplinks over the span this run covers (a day of real time when unbounded)
        const double real_s = o.run_time.count() > 0 ? static_cast<double>(o.run_time.count()) / 1000.0 : 86400.0;
        cm::SimulationRun run;
        run.start = std::chrono::floor<std::chrono::minutes>(start_utc);
        run.days = static_cast<unsigned>(std::clamp(std::ceil(real_s * o.time_scale / 86400.0) + 1.0, 1.0, 366.0));
        run.seed = o.seed;
        uplinks = cm::simulate(o.uplinks, run).uplinks;
        meter.emplace(static_cast<std::uint32_t>(std::stoul(o.uplinks.meter_id)), o.seed, TimePoint{});
        if (o.faults.stale_readout_now) {  // the readout the fault uploads again and again: the one at the start
            const auto& sc = o.uplinks.schedule;
            const UtcMapping meter_clock{TimePoint{}, start_utc + sc.utc_offset};
            first_readout = cm::StoredReadout{
                cm::to_utc_timestamp(std::chrono::floor<std::chrono::minutes>(meter_clock.to_utc(TimePoint{})), sc.utc_offset),
                meter->read(TimePoint{}, meter_clock), 0};
        }
        if (!o.gateway_key.empty()) {  // as a DM server's Writes of 33905/0/2 = 0 and /5 would (capture_transport_key)
            if (model.write(cm::Path{33905, 0, 2, std::nullopt}, cm::Value{std::int64_t{0}}, cm::Origin::dm) != cm::Outcome::changed)
                throw ClientError("the model refused 33905/0/2 = 0 (PSK mode) for the gateway key");
            transport_key = lw::Bytes(o.gateway_key.begin(), o.gateway_key.end());
            ++transport_key_version;
        }
        if (!o.gateway.empty()) open_gateway(o.gateway);
    }

    // "mqttsn://HOST:PORT", "udp://HOST:PORT", "HOST:PORT" (33905/0/0, --gateway): a new socket and
    // MQTT-SN client configured from the model now; false (logged) for anything else
    bool open_gateway(const std::string& uri) {
        gateway_uri = uri;
        for (auto& [tag, u] : in_flight) unsent.push_back(std::move(u));  // never acknowledged: unsent (§7.3.4)
        in_flight.clear();
        std::sort(unsent.begin(), unsent.end(), [](const Stored& a, const Stored& b) { return a.taken < b.taken; });
        gateway_security = security_now();
        gateway_connection = connection_now();
        mq.reset();  // the old gateway's session and queue end here (a new URI is a new connection)
        if (udp >= 0) ::close(udp);
        udp = -1;
        mq_dtls.reset();
        mq_dtls_options.reset();
        std::string hp = uri;
        if (const auto s = hp.find("://"); s != std::string::npos) {
            const std::string scheme = hp.substr(0, s);
            // the security is 33905/0/2's, whatever the scheme says (ERRATA E-147)
            if (scheme != "mqttsn" && scheme != "mqtt-sn" && scheme != "udp" && scheme != "mqttsns" && scheme != "dtls") {
                log(fmt::format("gateway '{}': scheme {} not supported (mqttsn, mqttsns, udp, dtls; ERRATA E-134)", uri, scheme));
                return false;
            }
            hp = hp.substr(s + 3);
        }
        const auto colon = hp.rfind(':');
        if (colon == std::string::npos || colon == 0) {
            log(fmt::format("gateway '{}': expected HOST:PORT", uri));
            return false;
        }
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_DGRAM;
        addrinfo* res = nullptr;
        std::string host = hp.substr(0, colon);
        const std::string port = hp.substr(colon + 1);
        if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
        if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || !res) {
            log(fmt::format("gateway '{}': cannot resolve", uri));
            return false;
        }
        const auto mode = model_int(model, 33905, 0, 2);
        const bool psk_mode = mode && *mode == 0;  // Table 2: 0 = PSK mode, 3 = No security
        if (psk_mode && !o.faults.mqttsn_plain_despite_psk) {
            ::freeaddrinfo(res);
            if (!transport_key || transport_key->empty()) {
                log(fmt::format("gateway '{}': 33905/0/2 is 0 (PSK mode) but no Transport Secret Key (33905/0/5) was written: no uplinks", uri));
                return false;
            }
            dtls::ClientOptions co;
            co.host = host;
            try {
                co.port = static_cast<std::uint16_t>(std::stoul(port));
            } catch (const std::exception&) {
                log(fmt::format("gateway '{}': bad port", uri));
                return false;
            }
            co.psk = dtls::Psk{transport_identity(), *transport_key};
            co.handshake_timeout = std::chrono::milliseconds(10000);
            try {
                mq_dtls = std::make_unique<dtls::Client>(co);
            } catch (const dtls::DtlsError& e) {
                log(fmt::format("gateway '{}': {}", uri, e.what()));
                return false;
            }
            mq_dtls_options = co;
            log(fmt::format("gateway '{}': DTLS 1.2 PSK (33905/0/2 = 0), identity {}", uri, co.psk.identity));
        } else {
            if (psk_mode) log(fmt::format("fault mqttsn_plain_despite_psk: gateway '{}' over plain UDP although 33905/0/2 = 0", uri));
            udp = ::socket(res->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            const bool ok = udp >= 0 && ::connect(udp, res->ai_addr, res->ai_addrlen) == 0;
            ::freeaddrinfo(res);
            if (!ok) {
                log(fmt::format("gateway '{}': cannot open a UDP socket to it", uri));
                return false;
            }
        }
        metercert::mqttsn::ClientConfig mc;
        mc.client_id = o.endpoint.substr(0, 23);
        mc.topic = o.topic;
        if (mc.topic.empty()) {
            const auto t = model.read(cm::Path{33905, 0, 11, std::nullopt});
            if (t.outcome == cm::Outcome::content) mc.topic = std::get<std::string>(t.value);
        }
        if (mc.topic.empty()) mc.topic = "cmi6110/" + o.endpoint;
        if (gateway_connection == 1) mc.connection = metercert::mqttsn::ConnectionConfig::compliant;
        if (const auto v = model_int(model, 33906, 0, 24); v && *v > 0) mc.timeout = std::chrono::seconds(*v);
        if (const auto v = model_int(model, 33906, 0, 25); v && *v > 0) mc.attempts = static_cast<unsigned>(*v);
        if (const auto v = model_int(model, 33906, 0, 51); v) mc.rai = *v == 1;
        if (const auto b = model.read(cm::Path{33906, 0, 41, std::nullopt}); b.outcome == cm::Outcome::content)
            if (const auto* text = std::get_if<std::string>(&b.value))
                if (auto iv = metercert::mqttsn::parse_backoff_intervals(*text)) mc.reconnect_backoff = *iv;
        mc.seed = o.seed;
        mc.faults.qos0 = o.faults.qos0_uplink;
        mc.faults.no_retransmission = o.faults.no_mqttsn_retransmission;
        mq = std::make_unique<metercert::mqttsn::Client>(mc);
        // scheduled uplinks already due went nowhere (no gateway then)
        const auto utc = start_utc + std::chrono::duration_cast<Duration>(now().time_since_epoch());
        while (next_uplink < uplinks.size() && uplinks[next_uplink].time <= utc) ++next_uplink;
        log(fmt::format("uplinks: MQTT-SN to {} topic {} (timeout {} s, {} attempt(s); {} planned)", uri, mc.topic,
                        std::chrono::duration_cast<std::chrono::seconds>(mc.timeout).count(), mc.attempts, uplinks.size() - next_uplink));
        return true;
    }

    std::uint64_t publish(lw::Bytes payload, const std::string& what, bool store = true) {
        sync_gateway();
        if (!mq) {
            log(fmt::format("{}: no MQTT-SN gateway (33905/0/0): not sent", what));
            return 0;
        }
        const std::size_t size = payload.size();
        if (store) history.push_back(payload);
        const auto tag = mq->publish(std::move(payload), now());
        log(fmt::format("uplink {} queued ({}, {} bytes)", tag, what, size));
        return tag;
    }

    // §7.3.4 "Data retransmission" (ERRATA E-152): one transmission of a new meter-data telegram
    // taken at `taken` (UTC, its oldest readout) together with the telegrams left unsent by earlier
    // ones — those older than the auto-upload max. age 33906/0/44 dropped, in the auto-upload order
    // 33906/0/45 (FIFO oldest first, LIFO newest first), at most 33906/0/21 per transmission (the
    // rest stay unsent). Each one published is in flight until its PUBACK (delivered: it leaves the
    // backlog) or its last attempt (failed: unsent again, resent at the next transmission).
    void transmit(lw::Bytes payload, const std::string& what, UtcTime taken) {
        sync_gateway();
        if (!mq) {
            publish(std::move(payload), what);  // logged, not sent
            return;
        }
        const auto utc = start_utc + std::chrono::duration_cast<Duration>(now().time_since_epoch());
        const auto max_age = std::chrono::minutes(model_int(model, 33906, 0, 44).value_or(10080));
        std::erase_if(unsent, [&](const Stored& u) {
            if (utc - u.taken <= max_age) return false;
            log(fmt::format("unsent uplink ({}) older than the max. age {} min: dropped (§7.3.4)", u.what, max_age.count()));
            return true;
        });
        std::vector<Stored> all(unsent.begin(), unsent.end());  // oldest first
        all.push_back(Stored{std::move(payload), taken, what, true});
        if (model_int(model, 33906, 0, 45).value_or(1) != 0) std::reverse(all.begin(), all.end());  // LIFO
        const auto most = static_cast<std::size_t>(std::max<std::int64_t>(1, model_int(model, 33906, 0, 21).value_or(4)));
        unsent.clear();
        for (std::size_t i = 0; i < all.size(); ++i) {
            if (i >= most) {
                unsent.push_back(std::move(all[i]));
                continue;
            }
            const bool fresh = all[i].fresh;
            all[i].fresh = false;
            const auto tag = publish(all[i].payload, fresh ? all[i].what : fmt::format("unsent, {}", all[i].what), fresh);
            if (tag) in_flight[tag] = std::move(all[i]);
        }
        std::sort(unsent.begin(), unsent.end(), [](const Stored& a, const Stored& b) { return a.taken < b.taken; });
    }

    // A PUBACK or a give-up of a telegram transmit() published (§7.3.4; ERRATA E-152)
    void settled(const metercert::mqttsn::Event& e) {
        auto it = in_flight.find(e.tag);
        if (it == in_flight.end()) return;  // a history resend (Execute /13): not in the backlog
        if (e.kind == metercert::mqttsn::EventKind::failed && !o.faults.backlog_drops_unacked) {
            log(fmt::format("uplink {} left unsent: resent at the next transmission (§7.3.4)", e.tag));
            unsent.push_back(std::move(it->second));
            std::sort(unsent.begin(), unsent.end(), [](const Stored& a, const Stored& b) { return a.taken < b.taken; });
        }
        in_flight.erase(it);
    }

    // 33906/0/10: one readout of the meter now, encoded per 33906/0/1 and /2
    void readout_now() {
        if (!meter) return;
        const TimePoint t = now();
        const auto& sc = o.uplinks.schedule;
        // the module's clock: 3/0/13 as a DM Write set it (clock_offset, §7.3.1; ERRATA E-129)
        const UtcMapping meter_clock{TimePoint{}, start_utc + sc.utc_offset + clock_offset};
        cm::StoredReadout r;
        r.readout = meter->read(t, meter_clock);
        r.timestamp = cm::to_utc_timestamp(std::chrono::floor<std::chrono::minutes>(meter_clock.to_utc(t)), sc.utc_offset);
        r.sequence = history.size();
        if (o.faults.stale_readout_now && first_readout) r = *first_readout;
        auto enc = o.uplinks.encoding;
        if (const auto v = model_int(model, 33906, 0, 1)) enc = *v == 1 ? cm::MessageEncoding::json : *v == 2 ? cm::MessageEncoding::mbus : cm::MessageEncoding::senml;
        auto fmt_ = o.uplinks.format;
        if (const auto v = model_int(model, 33906, 0, 2)) fmt_ = *v == 43 ? cm::MessageFormat::extended : cm::MessageFormat::standard;
        upload(cm::encode_payload({r}, enc, fmt_), fmt::format("readout now, {}", cm::encoding_name(enc)), enc, fmt_, r.timestamp);
    }

    // 33906/0/48 Upload Protocol (Table 2: 0 = MQTT-SN, 1 = LwM2M)
    [[nodiscard]] bool upload_over_lwm2m() const {
        return model_int(model, 33906, 0, 48).value_or(0) == 1 && !o.faults.send_ignored_upload_protocol;
    }

    // One meter-data uplink: an LwM2M Send when 33906/0/48 = 1, else an MQTT-SN PUBLISH
    void upload(lw::Bytes payload, const std::string& what, cm::MessageEncoding enc, cm::MessageFormat f, UtcTime taken) {
        if (upload_over_lwm2m()) queue_send(std::move(payload), what, enc, f);
        else transmit(std::move(payload), what, taken);
    }

    // The Send's SenML-CBOR pack: /33911/0/0 Message Type, /1 Message Encoding, /2 Message Data
    // (ERRATA E-151); the model's 33911/0 reads the same values afterwards
    void queue_send(lw::Bytes payload, const std::string& what, cm::MessageEncoding enc, cm::MessageFormat f) {
        const std::int64_t type = f == cm::MessageFormat::extended ? 43 : 42;  // 33906/x/2's values
        const std::int64_t encoding = enc == cm::MessageEncoding::json ? 1 : enc == cm::MessageEncoding::mbus ? 2 : 0;  // 33906/x/1's
        model.set_status(cm::Path{33911, 0, 0, std::nullopt}, type);
        model.set_status(cm::Path{33911, 0, 1, std::nullopt}, encoding);
        model.set_status(cm::Path{33911, 0, 2, std::nullopt}, payload);
        lw::Bytes body;
        if (o.faults.send_wrong_path) {
            body = payload;  // the fault: the readout's own pack, its names the meter's, not LwM2M paths
        } else {
            const std::vector<lw::Entry> entries{{lw::Path::resource(33911, 0, 0), type},
                                                 {lw::Path::resource(33911, 0, 1), encoding},
                                                 {lw::Path::resource(33911, 0, 2), payload}};
            lw::Error err;
            if (!lw::encode_content(lw::content_format::senml_cbor, lw::Path::instance(33911, 0), entries, body, err)) {
                log(fmt::format("{}: the Send's SenML-CBOR pack: {}; not sent", what, err.message()));
                return;
            }
        }
        sends_pending.push_back(PendingSend{std::move(body), what});
    }

    // The Sends waiting: CON POST /dp on the DM session (TS 1.1 Transport §6.4), from the run loop
    void flush_sends() {
        while (!sends_pending.empty() && dm && !location.empty()) {
            PendingSend s = std::move(sends_pending.front());
            sends_pending.pop_front();
            const auto n = ++sends_made;
            const std::size_t size = s.body.size();
            try {
                dm->session().send(coap::Outgoing(Method::post, "/dp", {}, lw::content_format::senml_cbor, std::nullopt, std::move(s.body)),
                                   [this, n](const coap::Reply& r) {
                                       log(r.status == coap::Reply::Status::ok ? fmt::format("send {}: {}", n, coap::code_name(r.response.code))
                                                                               : fmt::format("send {}: {}", n, coap::status_name(r.status)));
                                   });
                log(fmt::format("send {} to /dp ({}, {} bytes SenML-CBOR)", n, s.what, size));
            } catch (const std::exception& e) {
                log(fmt::format("send {} ({}): {}", n, s.what, e.what()));
            }
        }
    }

    // 33910/0: what one datagram sent adds to the statistics
    void count_sent(const lw::Bytes& d) {
        namespace mn = metercert::mqttsn;
        const auto dec = mn::try_decode(d);
        const auto* ok = std::get_if<mn::Decoded>(&dec);
        if (!ok) return;
        const auto& m = ok->message;
        if (const auto* p = std::get_if<mn::Publish>(&m)) {
            if (!p->flags.dup && p->flags.qos == mn::QoS::qos1) rt_pending.insert_or_assign({0x0D, p->msg_id}, monotonic_now());
            if (!p->flags.dup) ++st_transactions;
            else if (!o.faults.statistics_without_retransmissions) ++st_retransmissions;
            return;
        }
        if (!std::holds_alternative<mn::Connect>(m) && !std::holds_alternative<mn::Register>(m) && !std::holds_alternative<mn::Disconnect>(m))
            return;
        if (d == last_request && !heard_since_request) {
            if (!o.faults.statistics_without_retransmissions) ++st_retransmissions;
        } else {
            ++st_transactions;
            if (const auto* r = std::get_if<mn::Register>(&m)) rt_pending.insert_or_assign({0x0B, r->msg_id}, monotonic_now());
            else rt_pending.insert_or_assign({std::holds_alternative<mn::Connect>(m) ? std::uint8_t{0x05} : std::uint8_t{0x18}, 0}, monotonic_now());
        }
        last_request = d;
        heard_since_request = false;
    }

    // 33910/0/4-6: an answer from the gateway ends the transaction that waits for it (ERRATA E-157)
    void count_received(std::span<const std::uint8_t> d) {
        namespace mn = metercert::mqttsn;
        const auto dec = mn::try_decode(d);
        const auto* ok = std::get_if<mn::Decoded>(&dec);
        if (!ok) return;
        const auto& m = ok->message;
        std::pair<std::uint8_t, std::uint16_t> key;
        if (std::holds_alternative<mn::Connack>(m)) key = {0x05, 0};
        else if (const auto* r = std::get_if<mn::Regack>(&m)) key = {0x0B, r->msg_id};
        else if (const auto* p = std::get_if<mn::Puback>(&m)) key = {0x0D, p->msg_id};
        else if (std::holds_alternative<mn::Disconnect>(m)) key = {0x18, 0};
        else return;
        const auto it = rt_pending.find(key);
        if (it == rt_pending.end()) return;
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(monotonic_now() - it->second).count();
        rt_pending.erase(it);
        if (o.faults.response_time_not_measured) return;
        rt_min_ms = rt_count == 0 ? ms : std::min<std::int64_t>(rt_min_ms, ms);
        rt_max_ms = rt_count == 0 ? ms : std::max<std::int64_t>(rt_max_ms, ms);
        rt_sum_ms += static_cast<double>(ms);
        ++rt_count;
    }

    void show_statistics() {
        model.set_status(cm::Path{33910, 0, 4, std::nullopt}, rt_count ? std::llround(rt_sum_ms / static_cast<double>(rt_count)) : std::int64_t{0});
        model.set_status(cm::Path{33910, 0, 5, std::nullopt}, rt_min_ms);
        model.set_status(cm::Path{33910, 0, 6, std::nullopt}, rt_max_ms);
        model.set_status(cm::Path{33910, 0, 1, std::nullopt}, st_transactions);
        model.set_status(cm::Path{33910, 0, 2, std::nullopt}, st_retransmissions);
        model.set_status(cm::Path{33910, 0, 3, std::nullopt}, st_lost);
        model.set_status(cm::Path{33906, 0, 14, std::nullopt}, std::int64_t{mq ? static_cast<std::int64_t>(mq->queued()) : 0});
    }

    // 33905/0/0 written by the DM server: the gateway from now on
    void sync_gateway() {
        if (const auto u = model.read(cm::Path{33905, 0, 0, std::nullopt}); u.outcome == cm::Outcome::content)
            if (const auto* uri = std::get_if<std::string>(&u.value); uri && !uri->empty() && (*uri != gateway_uri || security_now() != gateway_security ||
                                                                  connection_now() != gateway_connection))
                open_gateway(*uri);
    }

    void tick_uplinks() {
        sync_gateway();
        show_statistics();
        if (upload_over_lwm2m()) {  // the scheduled uplinks due go as LwM2M Sends (33906/0/48 = 1)
            const auto due = start_utc + std::chrono::duration_cast<Duration>(now().time_since_epoch());
            for (; next_uplink < uplinks.size() && uplinks[next_uplink].time <= due; ++next_uplink)
                queue_send(uplinks[next_uplink].payload, fmt::format("scheduled, {}", cm::encoding_name(uplinks[next_uplink].encoding)),
                           uplinks[next_uplink].encoding, o.uplinks.format);
        }
        if (!mq) return;
        const TimePoint t = now();
        const auto utc = start_utc + std::chrono::duration_cast<Duration>(t.time_since_epoch());
        while (next_uplink < uplinks.size() && uplinks[next_uplink].time <= utc) {
            const auto& u = uplinks[next_uplink];
            transmit(u.payload, fmt::format("scheduled, {}", cm::encoding_name(u.encoding)), u.readouts.empty() ? u.time : u.readouts.front().timestamp);
            ++next_uplink;
        }
        for (const auto& d : receive_gateway()) {
            heard_since_request = true;
            count_received(std::span<const std::uint8_t>(d.data(), d.size()));
            mq->on_datagram(std::span<const std::uint8_t>(d.data(), d.size()), t);
        }
        for (const auto& d : mq->poll(t).send) {
            count_sent(d.bytes);
            send_gateway(d.bytes);
        }
        for (const auto& e : mq->take_events()) {
            if (e.kind == metercert::mqttsn::EventKind::failed) ++st_lost;
            settled(e);
            log(e.kind == metercert::mqttsn::EventKind::delivered ? fmt::format("uplink {} delivered", e.tag)
                                                                  : fmt::format("uplink {} failed: {}", e.tag, e.reason));
        }
        show_statistics();
    }

    Impl(ClientOptions opt, EventSink ev) : o(std::move(opt)), events(std::move(ev)) {
        if (!events) events = [](const std::string&) {};
    }

    // model time: real time since start × time_scale
    [[nodiscard]] TimePoint now() const {
        const auto real = monotonic_now() - start;
        return TimePoint{Duration{static_cast<Duration::rep>(static_cast<double>(real.count()) * o.time_scale)}};
    }

    void log(const std::string& s) { events(s); }

    // ------------------------------------------------------------ requests from a server

    coap::Response serve(const coap::Request& req, coap::Endpoint* ep, cm::Origin origin) {
        const std::string path = join_path(req.path);
        // the clock, the gateway's datagrams so far and the status resources as they are now (3/0/13,
        // 33906/0/14, 33910/0/1-3)
        tick_model();
        tick_uplinks();
        // Bootstrap-Finish (TS 1.1 §5.2.7.5): POST /bs from the Bootstrap-Server
        if (origin == cm::Origin::bootstrap && req.method == Method::post && req.path == std::vector<std::string>{"bs"}) {
            if (dm_accounts().empty()) {  // TS 1.1 §5.2.7: an inconsistent configuration is 4.06 Not Acceptable
                bootstrap_refused = true;
                log("bootstrap-finish -> 4.06 (no DM server account)");
                return coap::Response{coap::kNotAcceptable, coap::kTextPlain, to_bytes("no DM server account")};
            }
            bootstrap_finished = true;
            log("bootstrap-finish");
            return coap::Response{coap::kChanged};
        }
        const auto p = lw::parse_path(path);
        if (!p) return coap::Response{coap::kNotFound, coap::kTextPlain, to_bytes("not an LwM2M path")};
        lw::Request r;
        r.path = *p;
        r.origin = origin;
        r.content_format = req.content_format;
        r.accept = req.accept;
        r.payload = req.payload;
        r.query = req.query;
        const bool bs = origin == cm::Origin::bootstrap;
        switch (req.method) {
            case Method::get:
                r.op = req.accept == lw::content_format::link ? (bs ? lw::Operation::bootstrap_discover : lw::Operation::discover)
                                                              : lw::Operation::read;
                break;
            case Method::put:
                r.op = bs ? lw::Operation::bootstrap_write : !req.query.empty() ? lw::Operation::write_attributes : lw::Operation::write_replace;
                break;
            case Method::post:
                r.op = p->depth == 3 ? lw::Operation::execute : p->depth == 2 ? lw::Operation::write_partial : lw::Operation::create;
                if (bs && p->depth != 3) r.op = lw::Operation::bootstrap_write;  // a Bootstrap-Write may come as POST too
                break;
            case Method::del: r.op = bs ? lw::Operation::bootstrap_delete : lw::Operation::delete_; break;
            default: return coap::Response{coap::kMethodNotAllowed};
        }
        if (r.op == lw::Operation::bootstrap_write) capture_keys(r);
        const bool mislabel = o.faults.wrong_content_format && r.op == lw::Operation::read && r.accept == lw::content_format::senml_json;
        if (mislabel) r.accept = lw::content_format::tlv;
        lw::Response out = objects.handle(r);
        if (mislabel && out.content_format) out.content_format = lw::content_format::senml_json;
        if (out.code == lw::code::changed && (r.op == lw::Operation::write_replace || r.op == lw::Operation::write_partial)) {
            std::erase_if(unchecked, [&](const auto& kv) { return r.path.contains(kv.first); });
            written(r);
            capture_transport_key(r);
        }
        apply_faults(r, out);
        if (r.op == lw::Operation::bootstrap_delete && out.code == lw::code::deleted) bootstrap_deleted(r.path);
        if (r.op == lw::Operation::bootstrap_write && out.code == lw::code::changed && r.path.depth >= 1 && r.path.object_id() == 0) {
            if (r.path.depth >= 2) deleted_accounts.erase(r.path.instance_id());
            else deleted_accounts.clear();
            if (!dm_accounts().empty()) dm_account_written = true;
        }
        if (o.faults.bootstrap_writable_by_dm && out.code == lw::code::method_not_allowed && r.op == lw::Operation::write_replace &&
            r.path.depth == 3 && r.content_format) {
            // the fault: an R(W) / (W) resource (writable by the Bootstrap-Server only) written by the DM server
            const auto* spec = cm::find_resource(r.path.object_id(), r.path.instance_id(), r.path.resource_id());
            std::vector<lw::Entry> entries;
            lw::Error err;
            if (spec && (spec->ops == cm::Operations::r_bootstrap_w || spec->ops == cm::Operations::bootstrap_w) &&
                lw::decode_content(*r.content_format, r.path, r.payload, lw::ClientObjects::type_of, entries, err) && entries.size() == 1 &&
                model.write(cm::Path{r.path.object_id(), r.path.instance_id(), r.path.resource_id(), std::nullopt}, entries[0].value,
                            cm::Origin::bootstrap) == cm::Outcome::changed) {
                out = lw::Response{};
                out.code = lw::code::changed;
            }
        }
        if (o.faults.writable_read_only && out.code == lw::code::method_not_allowed && r.op == lw::Operation::write_replace &&
            r.path.depth == 3 && r.content_format) {
            // the fault: the value goes in as the module's own status would
            std::vector<lw::Entry> entries;
            lw::Error err;
            if (lw::decode_content(*r.content_format, r.path, r.payload, lw::ClientObjects::type_of, entries, err) && entries.size() == 1) {
                model.set_status(cm::Path{r.path.object_id(), r.path.instance_id(), r.path.resource_id(), std::nullopt}, entries[0].value);
                out = lw::Response{};
                out.code = lw::code::changed;
            }
        }
        if (o.faults.radio_band_writable && out.code == lw::code::method_not_allowed && r.op == lw::Operation::write_replace &&
            r.path.depth == 3 && r.path.object_id() == 33907 && r.path.instance_id() == 0 && r.path.resource_id() == 11 &&
            r.content_format) {
            // the fault: one obscure R resource (Table 2 33907/./11 Current radio band) takes the DM server's Write
            std::vector<lw::Entry> entries;
            lw::Error err;
            if (lw::decode_content(*r.content_format, r.path, r.payload, lw::ClientObjects::type_of, entries, err) && entries.size() == 1) {
                model.set_status(cm::Path{33907, 0, 11, std::nullopt}, entries[0].value);
                out = lw::Response{};
                out.code = lw::code::changed;
            }
        }
        if (o.faults.lock_state_not_reported && r.op == lw::Operation::read && out.code == lw::code::content && out.content_format &&
            r.path.depth == 3 && r.path.object_id() == 33906 && r.path.resource_id() == 5) {
            // the fault: 33906/x/5 "NFC Config-locked" reads false whatever the lock (§7.2)
            const lw::Entry e{r.path, cm::Value{false}};
            lw::Bytes payload;
            lw::Error err;
            if (lw::encode_content(*out.content_format, r.path, std::span<const lw::Entry>(&e, 1), payload, err)) out.payload = std::move(payload);
        }
        log(fmt::format("{} {} {} -> {}", bs ? "bootstrap" : "dm", lw::operation_name(r.op), path, out.code.str()));
        if (out.code == lw::code::changed && r.op == lw::Operation::execute) act(out.action, path);
        // Observe (RFC 7641): register / deregister; libcoap keeps the observer list of the resource
        if (req.method == Method::get && req.observe && out.code.cls == 2) {
            if (*req.observe == 0) {
                auto& ob = observations[path];
                ob.endpoint = ep;
                ob.accept = req.accept;
                ob.last = now();
                ob.last_payload = out.payload;
                ob.token = req.token;
                ghosts.erase(path);
            } else if (*req.observe == 1) {
                auto it = observations.find(path);
                if (o.faults.ignores_observe_cancel && it != observations.end()) {
                    it->second.seq = 1u << 20;  // past what libcoap's observer sent
                    ghosts[path] = it->second;
                    log(fmt::format("fault ignores_observe_cancel: {} stays observed", path));
                }
                observations.erase(path);
            }
        }
        coap::Response resp{out.code.byte()};
        if (!out.payload.empty() || out.content_format) {
            resp.content_format = out.content_format;
            resp.payload = out.payload;
        } else if (!out.diagnostic.empty() && out.code.cls != 2) {
            resp.payload = to_bytes(out.diagnostic);  // RFC 7252 §5.5.2 diagnostic payload
        }
        return resp;
    }

    static lw::Bytes to_bytes(const std::string& s) { return lw::Bytes(s.begin(), s.end()); }

    // The network faults that change an answer of the model (client.hpp ClientFaults)
    void apply_faults(const lw::Request& r, lw::Response& out) {
        const bool write = r.op == lw::Operation::write_replace || r.op == lw::Operation::write_partial;
        if (o.faults.range_not_checked && write && out.code == lw::code::bad_request && r.content_format) {
            // values of the right type go in as the module's own status would, whatever their range
            std::vector<lw::Entry> entries;
            lw::Error err;
            if (lw::decode_content(*r.content_format, r.path, r.payload, lw::ClientObjects::type_of, entries, err) && !entries.empty()) {
                bool ok = true;
                for (const auto& e : entries) {
                    const auto* row = e.path.depth >= 3 ? cm::find_resource(e.path.object_id(), e.path.instance_id(), e.path.resource_id()) : nullptr;
                    ok = ok && row && (row->ops == cm::Operations::rw || row->ops == cm::Operations::w);
                }
                if (ok) {
                    for (const auto& e : entries) unchecked[e.path] = e.value;  // read back as written
                    out = lw::Response{lw::code::changed, std::nullopt, {}, cm::Action::none, {}, {}};
                }
            }
        }
        if (!unchecked.empty() && r.op == lw::Operation::read && out.code == lw::code::content && out.content_format) {
            std::vector<lw::Entry> entries;
            lw::Error err;
            lw::Bytes patched;
            if (lw::decode_content(*out.content_format, r.path, out.payload, lw::ClientObjects::type_of, entries, err)) {
                for (auto& e : entries)
                    if (auto it = unchecked.find(e.path); it != unchecked.end()) e.value = it->second;
                if (lw::encode_content(*out.content_format, r.path, entries, patched, err)) out.payload = patched;
            }
        }
        if (o.faults.execute_not_checked && r.op == lw::Operation::execute && out.code == lw::code::method_not_allowed)
            out = lw::Response{lw::code::changed, std::nullopt, {}, cm::Action::none, {}, {}};
        if (o.faults.instance_read_drops_last_resource && r.op == lw::Operation::read && r.path.depth == 2 &&
            out.code == lw::code::content && out.content_format) {
            std::vector<lw::Entry> entries;
            lw::Error err;
            lw::Bytes shorter;
            if (lw::decode_content(*out.content_format, r.path, out.payload, lw::ClientObjects::type_of, entries, err) && entries.size() > 1) {
                const auto last = entries.back().path.prefix(3);
                std::erase_if(entries, [&](const lw::Entry& e) { return e.path.prefix(3) == last; });
                if (lw::encode_content(*out.content_format, r.path, entries, shorter, err)) out.payload = shorter;
            }
        }
        if (o.faults.discover_without_attributes && r.op == lw::Operation::discover && out.code == lw::code::content) {
            const std::string text(out.payload.begin(), out.payload.end());
            out.payload = to_bytes(strip_attributes(text));
        }
    }

    // A Write the model took: 3/0/13 Current Time sets the module's clock (§7.3.1, ERRATA E-129);
    // 33906/0/30 CoAP ACK timeout and /31 max retransmit apply to the DM session at once (ERRATA E-132)
    void written(const lw::Request& r) {
        if ((r.path.contains(lw::Path::resource(33906, 0, 30)) || r.path.contains(lw::Path::resource(33906, 0, 31))) && dm) {
            apply_transmission_settings(dm->session());
            log(fmt::format("CoAP ACK timeout {} ms, max retransmit {}", dm->session().ack_timeout().count(), dm->session().max_retransmit()));
        }
        const auto ct = lw::Path::resource(3, 0, 13);
        if (!r.path.contains(ct) || !r.content_format) return;
        std::vector<lw::Entry> entries;
        lw::Error err;
        if (!lw::decode_content(*r.content_format, r.path, r.payload, lw::ClientObjects::type_of, entries, err)) return;
        for (const auto& e : entries) {
            if (e.path != ct) continue;
            const auto* t = std::get_if<std::int64_t>(&e.value);
            if (!t) return;
            if (o.faults.current_time_write_ignored) {
                log("fault current_time_write_ignored: the clock keeps its time");
                return;
            }
            const auto clock = start_utc + std::chrono::duration_cast<Duration>(now().time_since_epoch());
            clock_offset = std::chrono::duration_cast<Duration>(std::chrono::seconds(*t)) - clock.time_since_epoch();
            log(fmt::format("clock set to {} (3/0/13)", *t));
            // §7.3.2: "the module will always make a readout and transmission of a new value when time is
            // synchronized" (ERRATA E-158)
            if (o.faults.time_sync_write_without_readout) log("fault time_sync_write_without_readout: no readout");
            else readout_now();
        }
    }

    // The Secret Key the Bootstrap-Server writes (0/x/5): the model keeps it write-only, the
    // client needs it for the DM session. Kept here, never shown.
    void capture_keys(const lw::Request& r) {
        if (!r.content_format || !lw::value_format(*r.content_format)) return;
        if (r.path.depth >= 1 && r.path.object_id() != 0) return;
        std::vector<lw::Entry> entries;
        lw::Error err;
        if (!lw::decode_content(*r.content_format, r.path, r.payload, lw::ClientObjects::type_of, entries, err)) return;
        for (const auto& e : entries)
            if (e.path.object_id() == 0 && e.path.resource_id() == 5)
                if (const auto* b = std::get_if<lw::Bytes>(&e.value)) bs_keys[e.path.instance_id()] = *b;
    }

    void act(cm::Action a, const std::string& path) {
        log(fmt::format("execute {} ({})", cm::action_name(a), path));
        switch (a) {
            case cm::Action::reboot: reregister = true; break;
            case cm::Action::registration_update: update_now = !o.faults.update_trigger_ignored; break;
            case cm::Action::apply_apn_staging: apn_reset = true; break;
            case cm::Action::readout_now: readout_now(); break;
            case cm::Action::resend_history: {
                for (const auto& p : history) publish(p, "history resend", false);
                break;
            }
            case cm::Action::reset_statistics:
                st_transactions = st_retransmissions = st_lost = 0;
                rt_count = rt_min_ms = rt_max_ms = 0;
                rt_sum_ms = 0.0;
                show_statistics();
                break;
            default: break;  // the event log only
        }
    }

    // ------------------------------------------------------------ observe / notify

    // The value an observation of `path` would notify now (a Read in its Accept format) and the
    // attributes in force there (TS 1.1 §5.1.2: a resource inherits its instance's and object's).
    std::pair<lw::Response, lw::Attributes> observed(const std::string& path, std::optional<std::uint16_t> accept) {
        lw::Request r;
        r.op = lw::Operation::read;
        r.path = *lw::parse_path(path);
        r.accept = accept;
        lw::Attributes a;
        if (r.path.depth >= 3) a = objects.effective_attributes(r.path.prefix(3));
        else if (r.path.depth == 2) a = lw::effective(objects.attributes(r.path.prefix(1)), objects.attributes(r.path), {});
        else a = objects.attributes(r.path);
        return {objects.handle(r), a};
    }

    void evaluate_observations() {
        const TimePoint t = now();
        for (auto& [path, ob] : observations) {
            auto [cur, a] = observed(path, ob.accept);
            const bool changed = cur.payload != ob.last_payload;
            if (o.faults.pmax_ignored) a.pmax.reset();
            const auto d = lw::decide_notify(a, ob.last, std::nullopt, t, std::nullopt, changed);
            if (d.notify && ob.endpoint && ob.endpoint->notify(path)) {
                log(fmt::format("notify {}", path));
                ob.last = t;
                ob.last_payload = cur.payload;
            }
        }
        // the fault ignores_observe_cancel: cancelled observations notified as before, with their token
        for (auto& [path, ob] : ghosts) {
            const auto [cur, a] = observed(path, ob.accept);
            const auto d = lw::decide_notify(a, ob.last, std::nullopt, t, std::nullopt, cur.payload != ob.last_payload);
            if (!d.notify || !dm) continue;
            try {
                dm->session().send_notification(ob.token, ++ob.seq, cur.content_format, cur.payload);
                log(fmt::format("notify {} (cancelled observation)", path));
            } catch (const std::exception& e) {
                log(fmt::format("notify {} (cancelled observation): {}", path, e.what()));
            }
            ob.last = t;
            ob.last_payload = cur.payload;
        }
    }

    void make_observable(coap::Endpoint& ep) {
        std::set<std::string> paths;
        for (const auto& inst : objects.object_instances()) {
            paths.insert(lw::to_string(inst.prefix(1)));
            paths.insert(lw::to_string(inst));
        }
        for (const auto& row : cm::object_table()) {
            if (row.object == cm::kNoObject) continue;
            for (unsigned i = row.first_instance; i <= row.last_instance; ++i)
                paths.insert(fmt::format("/{}/{}/{}", row.object, i, row.resource));
        }
        // RFC 7641 §4.5: notifications confirmable, so that a lost one is sent again (ERRATA E-156)
        ep.set_notify_confirmable(!o.faults.notification_not_resent);
        for (const auto& p : paths) ep.add_observable(p);
    }

    // ------------------------------------------------------------ registration

    void tick_model() {
        // 3/0/13 Current Time follows the (scaled) clock
        const auto utc = start_utc + std::chrono::duration_cast<Duration>(now().time_since_epoch()) + clock_offset;
        model.set_status(cm::Path{3, 0, 13, std::nullopt},
                         std::int64_t{std::chrono::duration_cast<std::chrono::seconds>(utc.time_since_epoch()).count()});
    }

    std::string register_payload() const {
        const std::string full = objects.register_payload();
        if (!o.faults.no_elvaco_objects) return full;
        std::vector<lw::Path> paths;
        lw::Error err;
        lw::parse_register_payload(full, paths, err);
        std::erase_if(paths, [](const lw::Path& p) { return p.object_id() >= 33905 && p.object_id() <= 33911; });
        return lw::register_payload(paths);
    }

    void apply_transmission_settings(coap::Session& s) {
        // 33906/0/30 CoAP ACK timeout (s) and /31 max retransmit (§7.5 Table 9)
        if (const auto ack = model_int(model, 33906, 0, 30); ack && *ack >= 1) {
            auto t = std::chrono::seconds(*ack);
            if (o.faults.no_retransmission) t = std::chrono::seconds(65535);  // the fault: the first transmission is the only one
            else if (o.faults.ack_timeout_doubled) t *= 2;
            s.set_ack_timeout(t);
        }
        if (const auto mr = model_int(model, 33906, 0, 31); mr && *mr >= 1)
            s.set_max_retransmit(static_cast<unsigned>(*mr) + (o.faults.max_retransmit_off_by_one ? 1u : 0u));
    }

    void connect_dm() {
        auto psk = dm_psk;
        if (psk && o.faults.wrong_psk_identity) psk->identity += "-x";
        dm = std::make_unique<coap::Client>(dm_uri, psk);
        dm->on_request([this](const coap::Request& rq, coap::Session&) { return serve(rq, dm.get(), cm::Origin::dm); });
        make_observable(*dm);
        apply_transmission_settings(dm->session());
    }

    void do_register() {
        lw::RegisterQuery q;
        q.endpoint = o.endpoint;
        q.lifetime = o.lifetime;
        q.lwm2m = "1.1";
        q.binding = "U";
        const std::string payload = register_payload();
        auto& s = dm->session();
        const auto reply = s.call(coap::Outgoing(Method::post, "/rd", lw::build_register_query(q), coap::kLinkFormat, std::nullopt,
                                                 to_bytes(payload)),
                                  configured_transmit_wait(s));
        if (reply.status != coap::Reply::Status::ok)
            throw ClientError(fmt::format("register with {}: {}", dm_uri, coap::status_name(reply.status)));
        if (reply.response.code != coap::kCreated)
            throw ClientError(fmt::format("register with {}: {} (expected 2.01 Created)", dm_uri, coap::code_name(reply.response.code)));
        location = join_path(reply.response.location_path);
        last_registration = now();
        log(fmt::format("registered {} at {} (lifetime {} s)", o.endpoint, location, o.lifetime));
    }

    // RFC 7252 §4.8.2 MAX_TRANSMIT_WAIT of the configured 33906/0/30-31 (not of a faulty session's own)
    std::chrono::milliseconds configured_transmit_wait(const coap::Session& s) const {
        if (!o.faults.no_retransmission) return transmit_wait(s);
        const auto ack = model_int(model, 33906, 0, 30).value_or(60);
        const auto n = static_cast<unsigned>(std::max<std::int64_t>(1, model_int(model, 33906, 0, 31).value_or(1)));
        return std::chrono::milliseconds(static_cast<long long>(1000.0 * static_cast<double>(ack) * 1.5 * ((1u << (n + 1)) - 1))) + std::chrono::seconds(2);
    }

    void do_update() {
        auto& s = dm->session();
        const auto reply = s.call(coap::Outgoing(Method::post, location), configured_transmit_wait(s));
        if (reply.status == coap::Reply::Status::ok && reply.response.code == coap::kChanged) {
            last_registration = now();
            log(fmt::format("updated {}", location));
            return;
        }
        if (o.faults.no_register_after_discarded_update && reply.status == coap::Reply::Status::ok && reply.response.code == coap::kNotFound) {
            last_registration = now();  // the location kept: the next Update goes to it again
            log(fmt::format("update {}: 4.04 Not Found; keeping the location (fault no_register_after_discarded_update)", location));
            return;
        }
        log(fmt::format("update {}: {}; registering again", location,
                        reply.status == coap::Reply::Status::ok ? coap::code_name(reply.response.code) : coap::status_name(reply.status)));
        do_register();
    }

    void do_deregister() {
        if (location.empty() || !dm) return;
        const auto reply = dm->session().call(coap::Outgoing(Method::del, location), std::chrono::seconds(5));
        log(fmt::format("deregistered {}: {}", location,
                        reply.status == coap::Reply::Status::ok ? coap::code_name(reply.response.code) : coap::status_name(reply.status)));
        location.clear();
    }

    // ------------------------------------------------------------ bootstrap

    void do_bootstrap(const std::atomic<bool>& stop) {
        bootstrap_finished = bootstrap_refused = dm_account_written = false;
        dm_uri.clear();
        dm_psk.reset();
        coap::Client bs(o.bootstrap, o.psk);
        bs.on_request([this, &bs](const coap::Request& rq, coap::Session&) { return serve(rq, &bs, cm::Origin::bootstrap); });
        apply_transmission_settings(bs.session());
        const auto reply = bs.session().call(coap::Outgoing(Method::post, "/bs", {"ep=" + o.endpoint}), configured_transmit_wait(bs.session()));
        if (reply.status != coap::Reply::Status::ok)
            throw ClientError(fmt::format("bootstrap request to {}: {}", o.bootstrap, coap::status_name(reply.status)));
        if (reply.response.code != coap::kChanged)
            throw ClientError(fmt::format("bootstrap request to {}: {} (expected 2.04 Changed)", o.bootstrap, coap::code_name(reply.response.code)));
        log(fmt::format("bootstrap request {} accepted", o.endpoint));
        // TS 1.1 §6.1: the Bootstrap-Server has EXCHANGE_LIFETIME to finish; 247 s real time at most
        const bool early = o.faults.register_before_bootstrap_finish;
        bs.run_until([&] { return bootstrap_finished || bootstrap_refused || (early && dm_account_written) || stop.load(); },
                     std::chrono::seconds(247));
        if (bootstrap_finished || !early) bs.run_for(std::chrono::milliseconds(50));  // the 2.04 of Bootstrap-Finish leaves
        if (bootstrap_refused) throw ClientError(fmt::format("bootstrap from {}: Bootstrap-Finish refused 4.06 (no DM server account)", o.bootstrap));
        if (!bootstrap_finished && !(early && dm_account_written)) throw ClientError(fmt::format("bootstrap from {}: no Bootstrap-Finish", o.bootstrap));
        if (!bootstrap_finished) log("registering before Bootstrap-Finish (fault register_before_bootstrap_finish)");
        // the DM server the Security object now names (Bootstrap-Server false)
        for (const std::uint16_t instance : dm_accounts()) {
            const auto uri = model.read(cm::Path{0, instance, 0, std::nullopt});
            dm_uri = std::get<std::string>(uri.value);
            const auto mode = model_int(model, 0, instance, 2).value_or(3);
            if (mode == 0) {  // PSK (TS 1.1 Appendix E.1 Security Mode 0)
                const auto id = model.read(cm::Path{0, instance, 3, std::nullopt});
                const auto key = bs_keys.find(instance);
                if (id.outcome != cm::Outcome::content || key == bs_keys.end())
                    throw ClientError(fmt::format("bootstrap: Security instance {} is PSK mode without identity or key", instance));
                const auto& idb = std::get<lw::Bytes>(id.value);
                dm_psk = coap::Psk{std::string(idb.begin(), idb.end()), key->second};
            }
            break;
        }
        if (dm_uri.empty()) throw ClientError("bootstrap: no DM server URI (0/x/0 of a non-bootstrap Security instance) after Bootstrap-Finish");
        log(fmt::format("bootstrap done: DM server {}{}", dm_uri, dm_psk ? " (PSK)" : " (NoSec)"));
    }

    // TS 1.1 §6.2.1 / ETS int-7: a Register that is refused or unanswered sends a client that has a
    // Bootstrap-Server account back to bootstrap (at most three rounds; ERRATA E-126)
    void register_or_fall_back(const std::atomic<bool>& stop) {
        for (int round = 1;; ++round) {
            try {
                do_register();
                return;
            } catch (const ClientError& e) {
                if (o.bootstrap.empty() || round >= 3 || stop.load()) throw;
                if (o.faults.no_bootstrap_fallback) {
                    log(fmt::format("{}; registering again with the same DM server (fault no_bootstrap_fallback)", e.what()));
                } else {
                    log(fmt::format("{}; falling back to bootstrap", e.what()));
                    do_bootstrap(stop);
                }
                connect_dm();
            }
        }
    }

    // §6.4 (ERRATA E-86, E-128): "the device will reset and try to use the new APN. If the device
    // manages a successful bootstrapping, the new APN will be saved as the default. If a successful
    // bootstrapping has not happened for some time, the device will roll back to the old APN and
    // reset again."
    std::string apn_in_use() const {  // 4/0/7/0, "" when none
        const auto v = model.read(cm::Path{4, 0, 7, std::uint16_t{0}});
        const auto* s = v.outcome == cm::Outcome::content ? std::get_if<std::string>(&v.value) : nullptr;
        return s ? *s : std::string();
    }

    void reset_with_staged_apn(const std::atomic<bool>& stop) {
        do_deregister();
        observations.clear();
        log(fmt::format("reset: APN '{}' in use (§6.4)", apn_in_use()));
        const auto retry = std::max(std::chrono::milliseconds(100), o.apn_rollback / 4);
        TimePoint since = monotonic_now();
        for (int round = 1;; ++round) {
            try {
                if (!o.bootstrap.empty()) do_bootstrap(stop);
                connect_dm();
                do_register();
                if (model.apn_staged()) {
                    model.apn_bootstrap_result(true);
                    log("bootstrap succeeded: the new APN is the default (§6.4)");
                }
                return;
            } catch (const ClientError& e) {
                log(e.what());
                if (stop.load() || round >= 50) throw;
                if (model.apn_staged() && monotonic_now() - since >= std::chrono::duration_cast<Duration>(o.apn_rollback)) {
                    if (o.faults.apn_not_rolled_back) {
                        model.apn_bootstrap_result(true);
                        log("no bootstrap with the new APN: kept (fault apn_not_rolled_back)");
                    } else {
                        model.apn_bootstrap_result(false);
                        log(fmt::format("no bootstrap with the new APN: rolled back to '{}', reset again (§6.4)", apn_in_use()));
                    }
                    since = monotonic_now();
                }
                std::this_thread::sleep_for(retry);
            }
        }
    }

    // ------------------------------------------------------------ the loop

    void run(const std::atomic<bool>& stop) {
        model.set_status(cm::Path{1, 1, 1, std::nullopt}, std::int64_t{o.lifetime});
        if (!o.bootstrap.empty()) {
            do_bootstrap(stop);
        } else {
            dm_uri = o.server;
            dm_psk = o.psk;
        }
        connect_dm();
        if (o.listen_port) {
            coap::Server::Options so;
            if (dm_psk) {
                so.port = std::nullopt;
                so.dtls_port = *o.listen_port;
                so.psks[dm_psk->identity] = dm_psk->key;
            } else {
                so.port = *o.listen_port;
            }
            listener = std::make_unique<coap::Server>(so);
            listener->on_request([this](const coap::Request& rq, coap::Session&) { return serve(rq, listener.get(), cm::Origin::dm); });
            make_observable(*listener);
            log(fmt::format("listening on {}://127.0.0.1:{}", dm_psk ? "coaps" : "coap", dm_psk ? listener->dtls_port() : listener->port()));
        }
        tick_model();
        show_statistics();
        register_or_fall_back(stop);
        start_uplinks();
        const auto deadline = monotonic_now() + std::chrono::duration_cast<Duration>(o.run_time);
        const auto half_life = std::chrono::duration_cast<Duration>(std::chrono::seconds(o.lifetime)) / 2;
        while (!stop.load() && (o.run_time.count() == 0 || monotonic_now() < deadline)) {
            dm->run_for(std::chrono::milliseconds(listener ? 10 : 20));
            if (listener) listener->run_for(std::chrono::milliseconds(10));
            tick_model();
            evaluate_observations();
            tick_uplinks();
            flush_sends();
            if (apn_reset) {
                apn_reset = false;
                reset_with_staged_apn(stop);
            } else if (reregister) {
                reregister = false;
                do_deregister();
                observations.clear();
                ghosts.clear();
                connect_dm();
                do_register();
            } else if (update_now || (!o.faults.no_update && now() - last_registration >= half_life)) {
                update_now = false;
                do_update();
            }
        }
        if (mq) {
            mq->disconnect(now());
            for (const auto& d : mq->poll(now()).send) send_gateway(d.bytes);
            if (mq_dtls) mq_dtls->close();
        }
        do_deregister();
    }
};

Client::Client(ClientOptions o, EventSink events) : impl_(std::make_unique<Impl>(std::move(o), std::move(events))) {
    if (impl_->o.endpoint.empty()) throw ClientError("an Endpoint Client Name (ep) is required");
    if (impl_->o.server.empty() == impl_->o.bootstrap.empty()) throw ClientError("exactly one of a DM server and a Bootstrap-Server URI is required");
    if (!(impl_->o.time_scale >= 1.0)) throw ClientError(fmt::format("time scale {}: must be ≥ 1", impl_->o.time_scale));
    if (impl_->o.lifetime < 1) throw ClientError("lifetime 0: must be ≥ 1 s");
    coap::parse_uri(impl_->o.server.empty() ? impl_->o.bootstrap : impl_->o.server);  // throws CoapError(bad_uri)
    // §7.2: locked through the NFC path before the module connects (locking an open module needs no PAK, E-89)
    if (impl_->o.nfc_locked && impl_->model.nfc_write("configuration_lock", cm::Value{std::int64_t{1}}) != cm::Outcome::changed)
        throw ClientError("the model refused the NFC write Configuration Lock = Locked (§7.5 Table 8)");
}
Client::~Client() = default;
void Client::run(const std::atomic<bool>& stop) { impl_->run(stop); }
devices::cmi6110::DeviceConfig& Client::model() noexcept { return impl_->model; }
std::string Client::location() const { return impl_->location; }
std::uint16_t Client::listen_port() const noexcept {
    if (!impl_->listener) return 0;
    return impl_->dm_psk ? impl_->listener->dtls_port() : impl_->listener->port();
}

}  // namespace metercert::rigs::lwm2m
