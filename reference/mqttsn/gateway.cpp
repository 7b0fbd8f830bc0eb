// The suite's MQTT-SN gateway (see metercert/mqttsn/gateway.hpp for the answers and violations)
#include "metercert/mqttsn/gateway.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace metercert::mqttsn {

namespace {

std::string_view qos_text(QoS q) {
    switch (q) {
        case QoS::qos0: return "0";
        case QoS::qos1: return "1";
        case QoS::qos2: return "2";
        case QoS::minus1: return "-1";
    }
    return "?";
}

bool gateway_only(MsgType t) {
    switch (t) {
        case MsgType::advertise:
        case MsgType::connack:
        case MsgType::willtopicreq:
        case MsgType::willmsgreq:
        case MsgType::suback:
        case MsgType::unsuback:
        case MsgType::willtopicresp:
        case MsgType::willmsgresp: return true;
        default: return false;
    }
}

}  // namespace

std::string_view violation_name(Violation v) noexcept {
    switch (v) {
        case Violation::undecodable: return "undecodable";
        case Violation::publish_before_connect: return "publish_before_connect";
        case Violation::register_before_connect: return "register_before_connect";
        case Violation::message_before_connect: return "message_before_connect";
        case Violation::unknown_topic_id: return "unknown_topic_id";
        case Violation::reused_msg_id_without_dup: return "reused_msg_id_without_dup";
        case Violation::dup_with_qos0: return "dup_with_qos0";
        case Violation::msg_id_zero: return "msg_id_zero";
        case Violation::register_topic_id_not_zero: return "register_topic_id_not_zero";
        case Violation::client_id_length: return "client_id_length";
        case Violation::qos_minus1_normal_topic: return "qos_minus1_normal_topic";
        case Violation::gateway_message_from_client: return "gateway_message_from_client";
        case Violation::unexpected_will_message: return "unexpected_will_message";
        case Violation::keep_alive_lapsed: return "keep_alive_lapsed";
    }
    return "?";
}

Gateway::Gateway(GatewayConfig config) : config_(std::move(config)), next_topic_id_(config_.first_topic_id) {
    if (next_topic_id_ == 0x0000 || next_topic_id_ == 0xFFFF) next_topic_id_ = 1;
}

void Gateway::flag(Violation v, TimePoint at, std::string_view peer, std::string detail) {
    findings_.push_back({v, at, std::string(peer), uplinks_.empty() ? static_cast<std::size_t>(dropped_) : last_index(), std::move(detail)});
}

std::optional<std::uint16_t> Gateway::topic_id_for(const std::string& name) {
    if (auto it = topic_ids_.find(name); it != topic_ids_.end()) return it->second;
    std::uint16_t id = next_topic_id_;
    for (unsigned tried = 0; tried <= 0xFFFF; ++tried, id = static_cast<std::uint16_t>(id + 1)) {
        if (config_.predefined_topics.count(id) || topic_names_.count(id) || id == 0x0000 || id == 0xFFFF) continue;
        next_topic_id_ = static_cast<std::uint16_t>(id + 1);
        topic_ids_.emplace(name, id);
        topic_names_.emplace(id, name);
        return id;
    }
    return std::nullopt;  // every id 0x0001-0xFFFE is given or pre-defined
}

std::optional<std::uint16_t> Gateway::topic_id_of(std::string_view name) const {
    if (auto it = topic_ids_.find(name); it != topic_ids_.end()) return it->second;
    return std::nullopt;
}

std::optional<std::string> Gateway::topic_of(const Session& s, TopicIdType type, std::uint16_t id) const {
    switch (type) {
        case TopicIdType::normal:
            if (s.connected && s.registered.count(id)) return topic_names_.at(id);
            return std::nullopt;
        case TopicIdType::predefined:
            if (auto it = config_.predefined_topics.find(id); it != config_.predefined_topics.end()) return it->second;
            return std::nullopt;
        case TopicIdType::short_name: return short_topic_name(id);
    }
    return std::nullopt;
}

bool Gateway::connected(std::string_view peer) const {
    auto it = sessions_.find(peer);
    return it != sessions_.end() && it->second.connected;
}

void Gateway::forget_session(std::string_view peer) {
    if (auto it = sessions_.find(peer); it != sessions_.end()) sessions_.erase(it);
}

void Gateway::trim_ended_sessions() {
    const std::size_t limit = config_.ended_session_limit;
    if (!limit) return;
    std::vector<std::pair<TimePoint, std::string>> ended;
    for (const auto& [peer, s] : sessions_)
        if (!s.connected) ended.emplace_back(s.last_heard, peer);
    if (ended.size() < 2 * limit) return;  // amortised: a scan per `limit` sessions ended
    std::sort(ended.begin(), ended.end());
    for (std::size_t i = 0; i + limit < ended.size(); ++i) sessions_.erase(ended[i].second);
    // the topic names no kept session registered go with them: a soak whose clients each register a
    // topic of their own (lwm2m_bench: "cmi6110/<endpoint>") would otherwise keep every name ever
    // registered (~200 bytes each) and, after 65534 of them, have no topic id left to give
    std::set<std::uint16_t> in_use;
    for (const auto& [peer, s] : sessions_) in_use.insert(s.registered.begin(), s.registered.end());
    for (auto it = topic_names_.begin(); it != topic_names_.end();) {
        if (in_use.count(it->first)) {
            ++it;
            continue;
        }
        topic_ids_.erase(it->second);
        it = topic_names_.erase(it);
    }
}

std::optional<TimePoint> Gateway::poll(TimePoint now) {
    std::optional<TimePoint> next;
    bool lapsed = false;
    for (auto& [peer, s] : sessions_) {
        if (!s.connected || s.duration == 0) continue;
        const auto lapse = s.last_heard + std::chrono::duration_cast<Duration>(std::chrono::milliseconds(1500) * s.duration);
        if (now > lapse) {
            s.connected = false;
            s.will = WillStep::none;
            lapsed = true;
            findings_.push_back({Violation::keep_alive_lapsed, now, peer, s.last_uplink,
                                 fmt::format("no message from '{}' for 1.5 × Duration {} s: the session is dropped (§6.11)",
                                             s.client_id, s.duration)});
            continue;
        }
        if (!next || lapse < *next) next = lapse;
    }
    if (lapsed) trim_ended_sessions();
    return next;
}

std::vector<Bytes> Gateway::on_datagram(std::string_view peer, std::span<const std::uint8_t> datagram, TimePoint now) {
    std::vector<Bytes> out;
    poll(now);  // a lapsed session is gone before this datagram is judged
    if (config_.uplink_limit && uplinks_.size() >= 2 * config_.uplink_limit) {  // amortised: one move per datagram
        const std::size_t drop = uplinks_.size() - config_.uplink_limit;
        uplinks_.erase(uplinks_.begin(), uplinks_.begin() + static_cast<std::ptrdiff_t>(drop));
        dropped_ += drop;
    }
    Uplink u;
    u.at = now;
    u.peer = std::string(peer);
    u.size = datagram.size();
    auto sit = sessions_.find(peer);
    Session* s = sit == sessions_.end() ? nullptr : &sit->second;
    u.in_session = s && s->connected;
    u.client_id = u.in_session ? s->client_id : "";
    auto r = try_decode(datagram);
    if (auto* e = std::get_if<DecodeError>(&r)) {
        u.error = e->message();
        uplinks_.push_back(std::move(u));
        flag(Violation::undecodable, now, peer, e->message());
        return out;
    }
    u.three_octet_length = std::get<Decoded>(r).three_octet_length;
    const Message m = std::move(std::get<Decoded>(r).message);
    u.type = msg_type(m);
    u.summary = describe(m);
    if (const auto* p = std::get_if<Publish>(&m)) {
        u.msg_id = p->msg_id;
        u.dup = p->flags.dup;
        u.qos = p->flags.qos;
        u.retain = p->flags.retain;
        u.topic_id_type = p->flags.topic_id_type;
        u.topic_id = p->topic_id;
        u.data = p->data;
        if (s) u.topic = topic_of(*s, p->flags.topic_id_type, p->topic_id).value_or("");
        else if (p->flags.topic_id_type != TopicIdType::normal) u.topic = topic_of(Session{}, p->flags.topic_id_type, p->topic_id).value_or("");
    } else if (const auto* g = std::get_if<Register>(&m)) {
        u.msg_id = g->msg_id;
        u.topic_id = g->topic_id;
        u.topic = g->topic_name;
    } else if (const auto* a = std::get_if<Puback>(&m)) {
        u.msg_id = a->msg_id;
        u.topic_id = a->topic_id;
    } else if (const auto* sb = std::get_if<Subscribe>(&m)) {
        u.msg_id = sb->msg_id;
        u.dup = sb->flags.dup;
        u.qos = sb->flags.qos;
        u.topic_id_type = sb->flags.topic_id_type;
        u.topic_id = sb->topic_id;
        u.topic = sb->topic_name;
    }
    uplinks_.push_back(u);
    if (s) {
        s->last_heard = now;
        s->last_uplink = last_index();
    }
    const MsgType type = *u.type;
    if (gateway_only(type)) {
        flag(Violation::gateway_message_from_client, now, peer, fmt::format("{} is sent by a gateway only (§5.4)", type_name(type)));
        return out;
    }
    const bool live = s && s->connected;
    auto need_session = [&](Violation v) {
        if (live) return true;
        flag(v, now, peer, fmt::format("{} from a peer without a session (CONNECT first, §6.2)", type_name(type)));
        return false;
    };

    std::visit(
        [&](const auto& msg) {
            using T = std::decay_t<decltype(msg)>;
            if constexpr (std::is_same_v<T, Connect>) {
                if (msg.client_id.empty() || msg.client_id.size() > 23)
                    flag(Violation::client_id_length, now, peer,
                         fmt::format("ClientId of {} characters; 1–23 (§5.3.1)", msg.client_id.size()));
                Session& ns = sessions_[std::string(peer)];
                if (msg.flags.clean_session) ns.registered.clear();
                ns.publish_msg_ids.clear();
                ns.publish_sends.clear();
                ns.pubrec_pending.clear();
                ns.client_id = msg.client_id;
                ns.duration = msg.duration;
                ns.last_heard = now;
                ns.last_uplink = last_index();
                ns.connected = false;
                uplinks_.back().client_id = msg.client_id;
                if (config_.connack != ReturnCode::accepted) {
                    out.push_back(encode(Connack{config_.connack}));
                    return;
                }
                if (msg.flags.will) {
                    ns.will = WillStep::topic;
                    out.push_back(encode(WillTopicReq{}));
                    return;
                }
                ns.will = WillStep::none;
                ns.connected = true;
                out.push_back(encode(Connack{ReturnCode::accepted}));
            } else if constexpr (std::is_same_v<T, WillTopic>) {
                if (!s || s->will != WillStep::topic) {
                    flag(Violation::unexpected_will_message, now, peer, "WILLTOPIC the gateway did not ask for (§6.2)");
                    return;
                }
                s->will = WillStep::message;
                out.push_back(encode(WillMsgReq{}));
            } else if constexpr (std::is_same_v<T, WillMsg>) {
                if (!s || s->will != WillStep::message) {
                    flag(Violation::unexpected_will_message, now, peer, "WILLMSG the gateway did not ask for (§6.2)");
                    return;
                }
                s->will = WillStep::none;
                s->connected = true;
                out.push_back(encode(Connack{ReturnCode::accepted}));
            } else if constexpr (std::is_same_v<T, Register>) {
                if (msg.topic_id != 0x0000)
                    flag(Violation::register_topic_id_not_zero, now, peer,
                         fmt::format("REGISTER TopicId 0x{:04X}; a client codes 0x0000 (§5.4.10)", msg.topic_id));
                if (msg.msg_id == 0x0000) flag(Violation::msg_id_zero, now, peer, "REGISTER MsgId 0x0000 (§5.3.7)");
                if (!need_session(Violation::register_before_connect)) {
                    out.push_back(encode(Regack{0x0000, msg.msg_id, ReturnCode::not_supported}));
                    return;
                }
                const auto id = topic_id_for(msg.topic_name);
                if (!id) {  // no topic id left: §5.4.11 "Rejected: congestion"
                    out.push_back(encode(Regack{0x0000, msg.msg_id, ReturnCode::congestion}));
                    return;
                }
                s->registered.insert(*id);
                out.push_back(encode(Regack{*id, msg.msg_id, ReturnCode::accepted}));
            } else if constexpr (std::is_same_v<T, Publish>) {
                const auto qos = msg.flags.qos;
                if (msg.flags.dup && (qos == QoS::qos0 || qos == QoS::minus1))
                    flag(Violation::dup_with_qos0, now, peer, fmt::format("PUBLISH QoS {} with DUP 1 (§5.3.4)", qos_text(qos)));
                if (qos == QoS::minus1) {  // §6.8: no connection needed, no answer
                    if (msg.flags.topic_id_type == TopicIdType::normal)
                        flag(Violation::qos_minus1_normal_topic, now, peer, "PUBLISH QoS -1 with a normal topic id (§6.8)");
                    else if (!topic_of(s ? *s : Session{}, msg.flags.topic_id_type, msg.topic_id))
                        flag(Violation::unknown_topic_id, now, peer, fmt::format("pre-defined topic id {} unknown (§6.7)", msg.topic_id));
                    return;
                }
                if ((qos == QoS::qos1 || qos == QoS::qos2) && msg.msg_id == 0x0000)
                    flag(Violation::msg_id_zero, now, peer, fmt::format("PUBLISH QoS {} with MsgId 0x0000 (§5.3.7, §5.4.12)", qos_text(qos)));
                if (!live) {
                    flag(Violation::publish_before_connect, now, peer,
                         fmt::format("PUBLISH QoS {} on topic id {} from a peer without a session (§6.6; only QoS -1 needs none, §6.8)",
                                     qos_text(qos), msg.topic_id));
                    out.push_back(encode(Puback{msg.topic_id, msg.msg_id, ReturnCode::invalid_topic_id}));
                    return;
                }
                if (!topic_of(*s, msg.flags.topic_id_type, msg.topic_id)) {
                    flag(Violation::unknown_topic_id, now, peer,
                         fmt::format("PUBLISH on {} topic id {} the session has not registered (§6.6)",
                                     msg.flags.topic_id_type == TopicIdType::predefined ? "pre-defined" : "normal", msg.topic_id));
                    out.push_back(encode(Puback{msg.topic_id, msg.msg_id, ReturnCode::invalid_topic_id}));
                    return;
                }
                if (qos == QoS::qos0) return;
                if (s->publish_msg_ids.count(msg.msg_id) && !msg.flags.dup)
                    flag(Violation::reused_msg_id_without_dup, now, peer,
                         fmt::format("PUBLISH MsgId {} sent again with DUP 0 (a retransmission sets DUP, §5.3.4)", msg.msg_id));
                s->publish_msg_ids.insert(msg.msg_id);
                const unsigned sends = ++s->publish_sends[msg.msg_id];
                if (qos == QoS::qos2) {
                    s->pubrec_pending.insert(msg.msg_id);
                    out.push_back(encode(Pubrec{msg.msg_id}));
                    return;
                }
                if (config_.withhold_all_pubacks || sends <= config_.withhold_pubacks) return;
                out.push_back(encode(Puback{msg.topic_id, msg.msg_id, ReturnCode::accepted}));
            } else if constexpr (std::is_same_v<T, Pubrel>) {
                if (!need_session(Violation::message_before_connect)) return;
                s->pubrec_pending.erase(msg.msg_id);
                out.push_back(encode(Pubcomp{msg.msg_id}));
            } else if constexpr (std::is_same_v<T, Subscribe>) {
                if (!need_session(Violation::message_before_connect)) return;
                std::uint16_t id = msg.topic_id;
                ReturnCode rc = ReturnCode::accepted;
                if (msg.flags.topic_id_type == TopicIdType::normal) {
                    const bool wildcard = msg.topic_name.find_first_of("#+") != std::string::npos;
                    const auto given = wildcard ? std::optional<std::uint16_t>{0x0000} : topic_id_for(msg.topic_name);
                    id = given.value_or(0x0000);
                    if (!given) rc = ReturnCode::congestion;  // no topic id left (§5.4.16)
                    else if (!wildcard) s->registered.insert(id);
                } else if (!topic_of(*s, msg.flags.topic_id_type, msg.topic_id)) {
                    rc = ReturnCode::invalid_topic_id;
                }
                Flags granted;
                granted.qos = msg.flags.qos == QoS::minus1 ? QoS::qos0 : msg.flags.qos;
                out.push_back(encode(Suback{granted, id, msg.msg_id, rc}));
            } else if constexpr (std::is_same_v<T, Unsubscribe>) {
                if (!need_session(Violation::message_before_connect)) return;
                out.push_back(encode(Unsuback{msg.msg_id}));
            } else if constexpr (std::is_same_v<T, Pingreq>) {
                out.push_back(encode(Pingresp{}));
            } else if constexpr (std::is_same_v<T, Disconnect>) {
                if (s) {
                    s->connected = false;
                    s->will = WillStep::none;
                }
                out.push_back(encode(Disconnect{}));
                trim_ended_sessions();  // `s` is not used after this
            } else if constexpr (std::is_same_v<T, SearchGw>) {
                out.push_back(encode(GwInfo{config_.gw_id, {}}));
            } else if constexpr (std::is_same_v<T, WillTopicUpd>) {
                if (!need_session(Violation::message_before_connect)) return;
                out.push_back(encode(WillTopicResp{ReturnCode::accepted}));
            } else if constexpr (std::is_same_v<T, WillMsgUpd>) {
                if (!need_session(Violation::message_before_connect)) return;
                out.push_back(encode(WillMsgResp{ReturnCode::accepted}));
            }
            // PUBACK, PUBREC, PUBCOMP, REGACK, PINGRESP, GWINFO, UNSUBACK…: answers to a gateway's
            // own requests; this gateway sends none, so they are recorded and need nothing
        },
        m);
    return out;
}

}  // namespace metercert::mqttsn
