// The suite's MQTT-SN gateway (the certification side of the CMi6110's meter data upload) as a
// pure state machine: datagrams and the time in, replies out; no socket, no clock. It answers as
// MQTT-SN 1.2 (the spec) says, records every uplink with its time and fields, and names each
// protocol violation it sees.
//
// Answers (spec §6): CONNECT → CONNACK (after WILLTOPICREQ/WILLTOPIC/WILLMSGREQ/WILLMSG when the
// Will flag is set, §6.2); REGISTER → REGACK with the topic's id (one id per topic name for the
// gateway's life, from `first_topic_id`; §6.5); PUBLISH QoS 1 → PUBACK (§6.6), QoS 2 → PUBREC,
// PUBREL → PUBCOMP; SUBSCRIBE → SUBACK, UNSUBSCRIBE → UNSUBACK (§6.9); PINGREQ → PINGRESP (§6.11);
// DISCONNECT → DISCONNECT (§6.12); SEARCHGW → GWINFO (§6.1); WILLTOPICUPD/WILLMSGUPD →
// WILLTOPICRESP/WILLMSGRESP (§6.4). A PUBLISH QoS 0/1/2 on a topic id the session has not
// registered, or from a peer without a session, is answered PUBACK "Rejected: invalid topic ID"
// (§6.6; ERRATA E-104); a PUBLISH QoS −1 gets no answer (§6.8).
//
// A session (per peer: the transport's address string) lives from CONNECT to DISCONNECT, or until
// the keep-alive lapses: no message for 1.5 × the CONNECT Duration (spec §6.11 "as with MQTT";
// MQTT 3.1 §3.1 Keep Alive timer); Duration 0: no supervision. CleanSession = 1 clears the
// session's topic registrations; 0 keeps those of the peer's previous session. Sleeping clients
// (§6.14) are not modelled: a DISCONNECT with a Duration ends the session like one without, and a
// PINGREQ is answered PINGRESP whatever it carries.
//
// Knobs (to provoke the client's behaviour): `withhold_pubacks` N — no PUBACK to the first N sends
// of each PUBLISH (by session and MsgId), so the client must retransmit; `withhold_all_pubacks`;
// `connack` — the CONNACK return code; `forget_session(peer)` — the gateway loses a session (as
// after a restart), so a client that kept it (Optimized) gets "invalid topic ID".
//
// Violations (named, with the uplink's time and index; the spec's section in each detail):
//   undecodable                 the datagram does not decode (the codec's error name and offset)
//   publish_before_connect      PUBLISH QoS 0, 1 or 2 from a peer without a session (§6.6; only
//                               QoS −1 goes without one, §6.8)
//   register_before_connect     REGISTER without a session (§6.5)
//   message_before_connect      SUBSCRIBE, UNSUBSCRIBE, PUBREL, WILL…UPD without a session
//   unknown_topic_id            PUBLISH on a normal topic id the session has not registered, or a
//                               pre-defined one the gateway does not know (§6.6, §6.7)
//   reused_msg_id_without_dup   PUBLISH QoS 1/2 with the MsgId of an earlier PUBLISH of the
//                               session and DUP 0 (a retransmission sets DUP, §5.3.4)
//   dup_with_qos0               PUBLISH QoS 0 or −1 with DUP 1 (DUP is for retransmissions of
//                               messages that are acknowledged, §5.3.4)
//   msg_id_zero                 PUBLISH QoS 1/2 or REGISTER with MsgId 0x0000 (§5.3.7: 0x0000 only
//                               for QoS 0 and −1, §5.4.12)
//   register_topic_id_not_zero  REGISTER from a client with TopicId ≠ 0x0000 (§5.4.10)
//   client_id_length            CONNECT ClientId outside 1–23 characters (§5.3.1)
//   qos_minus1_normal_topic     PUBLISH QoS −1 with a normal topic id (§6.8: pre-defined or short)
//   gateway_message_from_client a message only a gateway sends: ADVERTISE, CONNACK, WILLTOPICREQ,
//                               WILLMSGREQ, SUBACK, UNSUBACK, WILLTOPICRESP, WILLMSGRESP (§5.4)
//   unexpected_will_message     WILLTOPIC / WILLMSG the gateway did not ask for (§6.2)
//   keep_alive_lapsed           no message for 1.5 × Duration: the session is dropped (§6.11)
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metercert/mqttsn/packet.hpp"
#include "metercert/time.hpp"

namespace metercert::mqttsn {

struct GatewayConfig {
    std::uint8_t gw_id = 1;                        // GWINFO GwId
    std::uint16_t first_topic_id = 1;              // REGACK topic ids: first, first + 1, … (never 0x0000 or 0xFFFF)
    std::map<std::uint16_t, std::string> predefined_topics;  // §6.7 pre-defined topic ids
    ReturnCode connack = ReturnCode::accepted;     // knob: the CONNACK return code
    unsigned withhold_pubacks = 0;                 // knob: no PUBACK to the first N sends of each PUBLISH
    bool withhold_all_pubacks = false;             // knob: no PUBACK at all
    // 0: uplinks() keeps every datagram (the default). Else it keeps at least the last
    // `uplink_limit` (at most 2 × uplink_limit; the oldest go in batches) and uplinks_seen() still
    // counts every one: for long soaks (rigs/bench/lwm2m_bench). Findings are kept in full.
    std::size_t uplink_limit = 0;
    // 0: a peer's session is kept after DISCONNECT or a keep-alive lapse (its registered topics
    // survive a CONNECT with CleanSession 0 from that peer, §6.2). Else only the last
    // `ended_session_limit` ended sessions (by the time last heard; at most 2 × that) are kept: a
    // soak with new client ports every round (rigs/bench/lwm2m_bench). Connected sessions are never dropped.
    // With it, a topic name no kept session has registered is forgotten when ended sessions are
    // dropped (topic_id_of() nullopt; a later REGISTER of it may get another id).
    std::size_t ended_session_limit = 0;
};

enum class Violation : std::uint8_t {
    undecodable,
    publish_before_connect,
    register_before_connect,
    message_before_connect,
    unknown_topic_id,
    reused_msg_id_without_dup,
    dup_with_qos0,
    msg_id_zero,
    register_topic_id_not_zero,
    client_id_length,
    qos_minus1_normal_topic,
    gateway_message_from_client,
    unexpected_will_message,
    keep_alive_lapsed,
};
std::string_view violation_name(Violation v) noexcept;  // "publish_before_connect", …

// One datagram from a client, as the gateway saw it
struct Uplink {
    TimePoint at{};
    std::string peer;
    std::size_t size = 0;                 // octets
    std::optional<MsgType> type;          // nullopt: undecodable (see `error`)
    std::string error;                    // the decode error's message
    bool three_octet_length = false;      // the 3-octet Length form (§5.2.1; ERRATA E-104: recorded, not flagged)
    std::string client_id;                // of the peer's session ("" without one)
    bool in_session = false;              // the peer had a session when it arrived
    // PUBLISH, REGISTER, PUBACK, SUBSCRIBE, …: the fields (0 / false where the message has none)
    std::uint16_t msg_id = 0;
    bool dup = false;
    QoS qos = QoS::qos0;
    bool retain = false;
    TopicIdType topic_id_type = TopicIdType::normal;
    std::uint16_t topic_id = 0;
    std::string topic;                    // REGISTER's name; PUBLISH: the name its id stands for ("" unknown)
    Bytes data;                           // PUBLISH Data
    std::string summary;                  // describe(): never payload octets
};

struct Finding {
    Violation violation = Violation::undecodable;
    TimePoint at{};
    std::string peer;
    // the datagram that showed it (for keep_alive_lapsed: the last one heard), counted from the
    // first datagram ever: its index into uplinks() is uplink - uplinks_dropped() (the same without uplink_limit)
    std::size_t uplink = 0;
    std::string detail;
};

class Gateway {
public:
    explicit Gateway(GatewayConfig config = {});

    [[nodiscard]] const GatewayConfig& config() const noexcept { return config_; }
    GatewayConfig& config() noexcept { return config_; }  // knobs may change between datagrams

    // A datagram from `peer`; returns the datagrams to send back to it, in order
    std::vector<Bytes> on_datagram(std::string_view peer, std::span<const std::uint8_t> datagram, TimePoint now);
    // Keep-alive supervision: drops lapsed sessions; returns when to call again (nullopt: no session supervised)
    std::optional<TimePoint> poll(TimePoint now);
    // Knob: the gateway loses the peer's session (as after a restart)
    void forget_session(std::string_view peer);

    [[nodiscard]] bool connected(std::string_view peer) const;
    [[nodiscard]] const std::vector<Uplink>& uplinks() const noexcept { return uplinks_; }
    // exact running totals (uplink_limit or not): datagrams seen; the oldest ones no longer in uplinks()
    [[nodiscard]] std::uint64_t uplinks_seen() const noexcept { return dropped_ + uplinks_.size(); }
    [[nodiscard]] std::uint64_t uplinks_dropped() const noexcept { return dropped_; }
    [[nodiscard]] const std::vector<Finding>& findings() const noexcept { return findings_; }
    // The topic id REGACK gave a topic name (nullopt: never registered)
    [[nodiscard]] std::optional<std::uint16_t> topic_id_of(std::string_view name) const;

private:
    enum class WillStep : std::uint8_t { none, topic, message };
    struct Session {
        bool connected = false;
        std::string client_id;
        std::uint16_t duration = 0;
        TimePoint last_heard{};
        std::set<std::uint16_t> registered;              // topic ids of this session
        std::set<std::uint16_t> publish_msg_ids;         // MsgIds of QoS 1/2 PUBLISHes seen
        std::map<std::uint16_t, unsigned> publish_sends;  // sends per MsgId (withhold_pubacks)
        std::set<std::uint16_t> pubrec_pending;           // QoS 2 awaiting PUBREL
        WillStep will = WillStep::none;
        std::size_t last_uplink = 0;
    };
    void flag(Violation v, TimePoint at, std::string_view peer, std::string detail);
    void trim_ended_sessions();  // GatewayConfig::ended_session_limit
    std::optional<std::uint16_t> topic_id_for(const std::string& name);  // nullopt: no id left (0x0001-0xFFFE all given)
    std::optional<std::string> topic_of(const Session& s, TopicIdType type, std::uint16_t id) const;

    GatewayConfig config_;
    std::map<std::string, Session, std::less<>> sessions_;
    std::map<std::string, std::uint16_t, std::less<>> topic_ids_;
    std::map<std::uint16_t, std::string> topic_names_;
    std::uint16_t next_topic_id_;
    std::vector<Uplink> uplinks_;
    std::vector<Finding> findings_;
    std::uint64_t dropped_ = 0;  // uplinks no longer kept (uplink_limit)
    [[nodiscard]] std::size_t last_index() const noexcept { return static_cast<std::size_t>(dropped_) + uplinks_.size() - 1; }
};

}  // namespace metercert::mqttsn
