// The CMi6110's MQTT-SN client (see metercert/mqttsn/client.hpp for the sources and readings)
#include "metercert/mqttsn/client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <utility>
#include <stdexcept>

namespace metercert::mqttsn {

namespace {

std::uint64_t splitmix64(std::uint64_t& s) noexcept {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

std::optional<long> minutes_of(std::string_view s) {
    if (s.empty() || s.size() > 6) return std::nullopt;
    long v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size() || v < 0 || v > 525600) return std::nullopt;
    return v;
}

std::string_view reply_name(const Message& m) {
    switch (msg_type(m)) {
        case MsgType::connect: return "CONNACK";
        case MsgType::register_: return "REGACK";
        case MsgType::publish: return "PUBACK";
        case MsgType::disconnect: return "DISCONNECT";
        default: return "reply";
    }
}

}  // namespace

std::optional<std::vector<BackoffInterval>> parse_backoff_intervals(std::string_view text) {
    std::vector<BackoffInterval> out;
    if (text.empty()) return std::nullopt;
    while (true) {
        const auto comma = text.find(',');
        const auto item = text.substr(0, comma);
        const auto dash = item.find('-');
        if (dash == std::string_view::npos) return std::nullopt;
        const auto lo = minutes_of(item.substr(0, dash));
        const auto hi = minutes_of(item.substr(dash + 1));
        if (!lo || !hi || *lo > *hi) return std::nullopt;
        out.push_back({std::chrono::minutes(*lo), std::chrono::minutes(*hi)});
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return out;
}

std::string_view state_name(ClientState s) noexcept {
    switch (s) {
        case ClientState::idle: return "idle";
        case ClientState::backing_off: return "backing_off";
        case ClientState::connecting: return "connecting";
        case ClientState::registering: return "registering";
        case ClientState::publishing: return "publishing";
        case ClientState::disconnecting: return "disconnecting";
    }
    return "?";
}

Client::Client(ClientConfig config) : config_(std::move(config)), rng_(config_.seed) {
    if (config_.attempts == 0) throw std::invalid_argument("MQTT-SN Communication Attempts (33906/x/25) is at least 1");
    if (config_.timeout <= Duration::zero()) throw std::invalid_argument("MQTT-SN Communication Timeout (33906/x/24) is at least 1 s");
    if (config_.topic.empty() && !config_.faults.no_register) throw std::invalid_argument("no MQTT-SN topic (33905/x/11)");
    if (config_.reconnect_backoff.empty()) throw std::invalid_argument("no MDM re-connect back-off interval (33906/x/41)");
}

std::uint64_t Client::publish(Bytes payload, TimePoint) {
    const auto tag = next_tag_++;
    queue_.push_back({tag, std::move(payload)});
    return tag;
}

std::vector<Event> Client::take_events() { return std::exchange(events_, {}); }

unsigned Client::max_attempts() const noexcept { return config_.faults.no_retransmission ? 1 : config_.attempts; }

std::uint16_t Client::next_msg_id() noexcept {
    msg_id_ = static_cast<std::uint16_t>(msg_id_ == 0xFFFF ? 1 : msg_id_ + 1);  // never 0x0000 (§5.4.12)
    return msg_id_;
}

Duration Client::draw_backoff() {
    const auto& list = config_.reconnect_backoff;
    const auto& iv = list[std::min<std::size_t>(failures_ == 0 ? 0 : failures_ - 1, list.size() - 1)];
    const auto lo = std::chrono::duration_cast<std::chrono::seconds>(iv.min).count();
    const auto hi = std::chrono::duration_cast<std::chrono::seconds>(iv.max).count();
    const auto span = static_cast<std::uint64_t>(hi - lo) + 1;
    return std::chrono::seconds(lo + static_cast<long long>(splitmix64(rng_) % span));
}

void Client::send_current(TimePoint now, bool retransmission) {
    if (auto* p = std::get_if<Publish>(&current_); p && retransmission && !config_.faults.wrong_dup) p->flags.dup = true;
    ++sent_;
    const auto* p = std::get_if<Publish>(&current_);
    const bool qos1 = p && p->flags.qos == QoS::qos1;
    outbox_.push_back({encode(current_), qos1 && config_.rai});
    deadline_ = now + config_.timeout;
}

void Client::begin_connect(TimePoint now) {
    topic_id_.reset();
    connected_ = false;
    Connect c;
    c.flags.clean_session = true;
    c.duration = config_.keep_alive;
    c.client_id = config_.client_id;
    current_ = c;
    sent_ = 0;
    state_ = ClientState::connecting;
    send_current(now, false);
}

void Client::begin_register(TimePoint now) {
    current_msg_id_ = next_msg_id();
    current_ = Register{0x0000, current_msg_id_, config_.topic};
    sent_ = 0;
    state_ = ClientState::registering;
    send_current(now, false);
}

void Client::begin_publish(TimePoint now) {
    Publish p;
    p.flags.qos = config_.faults.qos0 ? QoS::qos0 : QoS::qos1;
    p.topic_id = config_.faults.no_register ? config_.faults.unregistered_topic_id : topic_id_.value_or(0);
    p.msg_id = config_.faults.qos0 ? 0x0000 : next_msg_id();
    p.data = queue_.front().payload;
    current_msg_id_ = p.msg_id;
    current_ = std::move(p);
    sent_ = 0;
    state_ = ClientState::publishing;
    send_current(now, false);
    if (config_.faults.qos0) {  // nothing to wait for: the client counts it delivered
        deadline_.reset();
        events_.push_back({EventKind::delivered, queue_.front().tag, now, ""});
        queue_.pop_front();
        finish_message(now);
    }
}

void Client::start_next(TimePoint now) {
    reregistered_ = false;
    if (!connected_) begin_connect(now);
    else if (!topic_id_ && !config_.faults.no_register) begin_register(now);
    else begin_publish(now);
}

void Client::finish_message(TimePoint now) {
    reregistered_ = false;
    if (!queue_.empty()) {
        start_next(now);
        return;
    }
    deadline_.reset();
    if (config_.connection == ConnectionConfig::compliant && connected_) {
        current_ = Disconnect{};
        sent_ = 0;
        state_ = ClientState::disconnecting;
        send_current(now, false);
        return;
    }
    state_ = ClientState::idle;
}

void Client::fail_all(TimePoint now, const std::string& reason) {
    for (const auto& item : queue_) events_.push_back({EventKind::failed, item.tag, now, reason});
    queue_.clear();
    connected_ = false;
    topic_id_.reset();
    ++failures_;
    state_ = ClientState::backing_off;
    deadline_ = now + draw_backoff();
}

void Client::disconnect(TimePoint now) {
    const bool active = connected_ || state_ == ClientState::connecting || state_ == ClientState::registering ||
                        state_ == ClientState::publishing || state_ == ClientState::disconnecting;
    if (active) outbox_.push_back({encode(Disconnect{}), false});
    for (const auto& item : queue_) events_.push_back({EventKind::failed, item.tag, now, "disconnected by the caller"});
    queue_.clear();
    connected_ = false;
    topic_id_.reset();
    deadline_.reset();
    state_ = ClientState::idle;
}

void Client::on_datagram(std::span<const std::uint8_t> datagram, TimePoint now) {
    auto r = try_decode(datagram);
    if (std::holds_alternative<DecodeError>(r)) {
        ++ignored_;
        return;
    }
    const Message& m = std::get<Decoded>(r).message;
    if (std::holds_alternative<Pingreq>(m)) {  // §6.11: a connected client answers the gateway's PINGREQ
        if (connected_) outbox_.push_back({encode(Pingresp{}), false});
        else ++ignored_;
        return;
    }
    switch (state_) {
        case ClientState::connecting:
            if (const auto* c = std::get_if<Connack>(&m)) {
                if (c->return_code != ReturnCode::accepted) {
                    fail_all(now, fmt::format("CONNACK: {}", return_code_name(c->return_code)));
                    return;
                }
                connected_ = true;
                failures_ = 0;
                if (queue_.empty()) finish_message(now);
                else if (config_.faults.no_register) begin_publish(now);
                else begin_register(now);
                return;
            }
            break;
        case ClientState::registering:
            if (const auto* a = std::get_if<Regack>(&m); a && a->msg_id == current_msg_id_) {
                if (a->return_code != ReturnCode::accepted) {
                    fail_all(now, fmt::format("REGACK: {}", return_code_name(a->return_code)));
                    return;
                }
                topic_id_ = a->topic_id;
                if (queue_.empty()) finish_message(now);
                else begin_publish(now);
                return;
            }
            break;
        case ClientState::publishing:
            if (const auto* a = std::get_if<Puback>(&m); a && a->msg_id == current_msg_id_) {
                switch (a->return_code) {
                    case ReturnCode::accepted:
                        failures_ = 0;
                        events_.push_back({EventKind::delivered, queue_.front().tag, now, ""});
                        queue_.pop_front();
                        finish_message(now);
                        return;
                    case ReturnCode::invalid_topic_id:
                        // §6.6: register the topic again (Optimized: the gateway dropped the kept
                        // session, so connect again first); once per payload
                        if (reregistered_ || config_.faults.no_register) {
                            fail_all(now, "PUBACK: Rejected: invalid topic ID");
                            return;
                        }
                        if (config_.connection == ConnectionConfig::optimized) begin_connect(now);
                        else begin_register(now);
                        reregistered_ = true;
                        return;
                    case ReturnCode::congestion:
                        return;  // the timeout retransmits (spec §6.13 supervises the reply)
                    case ReturnCode::not_supported:
                        fail_all(now, "PUBACK: Rejected: not supported");
                        return;
                }
            }
            break;
        case ClientState::disconnecting:
            if (std::holds_alternative<Disconnect>(m)) {
                connected_ = false;
                topic_id_.reset();
                deadline_.reset();
                state_ = ClientState::idle;
                if (!queue_.empty()) start_next(now);
                return;
            }
            break;
        case ClientState::idle:
        case ClientState::backing_off:
            break;
    }
    if (std::holds_alternative<Disconnect>(m) && connected_) {  // the gateway ended the session
        connected_ = false;
        topic_id_.reset();
        if (state_ == ClientState::registering || state_ == ClientState::publishing) start_next(now);
        return;
    }
    ++ignored_;
}

PollResult Client::poll(TimePoint now) {
    if (deadline_ && now >= *deadline_) {
        if (state_ == ClientState::backing_off) {
            deadline_.reset();
            state_ = ClientState::idle;
        } else if (state_ != ClientState::idle) {
            if (sent_ < max_attempts()) {
                send_current(now, true);
            } else if (state_ == ClientState::disconnecting) {
                connected_ = false;  // no DISCONNECT answer: the session ends anyway
                topic_id_.reset();
                deadline_.reset();
                state_ = ClientState::idle;
            } else {
                fail_all(now, fmt::format("no {} after {} attempt{}", reply_name(current_), sent_, sent_ == 1 ? "" : "s"));
            }
        }
    }
    if (state_ == ClientState::idle && !queue_.empty()) start_next(now);
    PollResult r;
    r.send = std::exchange(outbox_, {});
    r.wake_at = deadline_;
    return r;
}

}  // namespace metercert::mqttsn
