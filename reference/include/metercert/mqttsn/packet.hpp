// MQTT-SN 1.2 packets: every message of the MQTT For Sensor Networks Protocol Specification
// Version 1.2 (A. Stanford-Clark, H. L. Truong, IBM, 2013; "the spec" below) as a struct, with
// an encoder and a strict decoder. Pure logic: bytes in, bytes out.
//
// Shapes (spec §5.2 "General Message Format", §5.3 "Message Fields", §5.4 "Message Formats"):
//   * a message is a Header (Length, MsgType) and a Variable Part; one message per datagram;
//   * Length (§5.2.1) counts the whole message, itself included: 1 octet for 2…255 octets, else
//     3 octets: 0x01 then the length as a 16-bit big-endian number (256…65535). The encoder writes
//     the 1-octet form whenever the message fits it; the decoder accepts both (and says which);
//   * every 16-bit field (Duration, MsgId, TopicId) is big-endian, "MSB first" (§5.3);
//   * Flags (§5.3.4), one octet: bit 7 DUP, bits 6–5 QoS (0b00 QoS 0, 0b01 QoS 1, 0b10 QoS 2,
//     0b11 QoS −1), bit 4 Retain, bit 3 Will, bit 2 CleanSession, bits 1–0 TopicIdType (0b00 normal
//     topic id, 0b01 pre-defined topic id, 0b10 short topic name, 0b11 reserved);
//   * ReturnCode (§5.3.10): 0x00 Accepted, 0x01 Rejected: congestion, 0x02 Rejected: invalid
//     topic ID, 0x03 Rejected: not supported, 0x04–0xFF reserved;
//   * ProtocolId (§5.3.8) of CONNECT: 0x01 (the only value);
//   * strings (ClientId §5.3.1, TopicName §5.3.12, WillTopic §5.3.14) and data (Data §5.3.2,
//     WillMsg §5.3.13, GwAdd §5.3.5) are not length-prefixed: they run to the end of the message.
//     They are kept as bytes (std::string holds the octets of a string field unchanged).
//   * Forwarder encapsulation (§5.5): MsgType 0xFE, Ctrl (bits 1–0 Radius), Wireless Node Id;
//     its Length counts only the encapsulation header (Length, MsgType, Ctrl, Wireless Node Id),
//     the encapsulated MQTT-SN message follows it.
//
// The decoder refuses with a named error (ErrorCode) and the byte offset in the datagram where the
// fault lies; it never reads past the span. What it refuses (and what it does not):
//   * the structure: empty input, a Length field that is cut (0x01 and fewer than 3 octets), a
//     Length below the header size (0, 1; < 4 in the 3-octet form), a datagram shorter than Length
//     (truncated) or longer (trailing_bytes: one message per datagram), a Length too small or too
//     big for the message type's fixed fields (length_too_small / length_too_big, e.g. a CONNACK
//     of Length 4), a DISCONNECT of Length 3 (its Duration is absent or 2 octets);
//   * reserved code points: MsgType 0x03, 0x11, 0x19, 0x1E–0xFD, 0xFF (§5.2.2 Table 3); a
//     ReturnCode 0x04–0xFF; TopicIdType 0b11 in a message that carries a topic (PUBLISH,
//     SUBSCRIBE, SUBACK, UNSUBSCRIBE); a CONNECT ProtocolId other than 0x01; an encapsulated
//     message that is itself encapsulated;
//   * not refused: field contents the protocol layer judges (a ClientId outside 1–23 characters,
//     QoS 2 or −1 where a client should not use them, flag bits a message type does not use,
//     MsgId 0x0000, topic id 0x0000 or 0xFFFF): the decoder keeps the bits, the gateway
//     (gateway.hpp) names the violation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace metercert::mqttsn {

using Bytes = std::vector<std::uint8_t>;

// MsgType values (spec §5.2.2 Table 3)
enum class MsgType : std::uint8_t {
    advertise = 0x00,
    searchgw = 0x01,
    gwinfo = 0x02,
    connect = 0x04,
    connack = 0x05,
    willtopicreq = 0x06,
    willtopic = 0x07,
    willmsgreq = 0x08,
    willmsg = 0x09,
    register_ = 0x0A,
    regack = 0x0B,
    publish = 0x0C,
    puback = 0x0D,
    pubcomp = 0x0E,
    pubrec = 0x0F,
    pubrel = 0x10,
    subscribe = 0x12,
    suback = 0x13,
    unsubscribe = 0x14,
    unsuback = 0x15,
    pingreq = 0x16,
    pingresp = 0x17,
    disconnect = 0x18,
    willtopicupd = 0x1A,
    willtopicresp = 0x1B,
    willmsgupd = 0x1C,
    willmsgresp = 0x1D,
    encapsulated = 0xFE,  // §5.5 Forwarder Encapsulation
};
// "PUBLISH", "WILLTOPICREQ", "Encapsulated message", … (the spec's names); "reserved" otherwise
std::string_view type_name(MsgType t) noexcept;
// Whether the octet is a MsgType of Table 3 (not a reserved value)
bool is_msg_type(std::uint8_t octet) noexcept;

// Flags QoS field (§5.3.4 bits 6–5). `minus1` (0b11) is "QoS −1" of §6.8 (publish without a
// connection), also called QoS 3.
enum class QoS : std::uint8_t { qos0 = 0, qos1 = 1, qos2 = 2, minus1 = 3 };
// Flags TopicIdType (§5.3.4 bits 1–0); 0b11 is reserved (a decode error where a topic is carried)
enum class TopicIdType : std::uint8_t { normal = 0, predefined = 1, short_name = 2 };

struct Flags {
    bool dup = false;                             // bit 7: retransmission of PUBLISH/SUBSCRIBE (§5.3.4)
    QoS qos = QoS::qos0;                          // bits 6–5
    bool retain = false;                          // bit 4
    bool will = false;                            // bit 3: CONNECT asks for Will topic and message
    bool clean_session = false;                   // bit 2: CONNECT
    TopicIdType topic_id_type = TopicIdType::normal;  // bits 1–0
    friend bool operator==(const Flags&, const Flags&) = default;
};
std::uint8_t encode_flags(const Flags& f) noexcept;
// Every bit kept; TopicIdType 0b11 gives nullopt (reserved)
std::optional<Flags> decode_flags(std::uint8_t octet) noexcept;

// ReturnCode (§5.3.10)
enum class ReturnCode : std::uint8_t { accepted = 0x00, congestion = 0x01, invalid_topic_id = 0x02, not_supported = 0x03 };
std::string_view return_code_name(ReturnCode rc) noexcept;  // "Accepted", "Rejected: congestion", …

inline constexpr std::uint8_t kProtocolId = 0x01;  // §5.3.8
inline constexpr std::size_t kMaxLength = 65535;   // §5.2.1: the 3-octet Length field's largest value

// A short topic name (§6.7: two characters) travels in the TopicId field: first character the MSB
std::uint16_t short_topic_id(char c0, char c1) noexcept;
std::string short_topic_name(std::uint16_t topic_id);

// ----------------------------------------------------------------------------- the messages (§5.4)
struct Advertise { std::uint8_t gw_id = 0; std::uint16_t duration = 0; /* s until the next ADVERTISE */ friend bool operator==(const Advertise&, const Advertise&) = default; };  // §5.4.1
struct SearchGw { std::uint8_t radius = 0; friend bool operator==(const SearchGw&, const SearchGw&) = default; };  // §5.4.2
struct GwInfo { std::uint8_t gw_id = 0; Bytes gw_add; /* only when a client answers */ friend bool operator==(const GwInfo&, const GwInfo&) = default; };  // §5.4.3
struct Connect {  // §5.4.4: Flags (Will, CleanSession), ProtocolId, Duration (keep-alive, s), ClientId
    Flags flags;
    std::uint8_t protocol_id = kProtocolId;
    std::uint16_t duration = 0;
    std::string client_id;
    friend bool operator==(const Connect&, const Connect&) = default;
};
struct Connack { ReturnCode return_code = ReturnCode::accepted; friend bool operator==(const Connack&, const Connack&) = default; };  // §5.4.5
struct WillTopicReq { friend bool operator==(const WillTopicReq&, const WillTopicReq&) = default; };  // §5.4.6
struct WillTopic {  // §5.4.7: Flags (QoS, Retain), WillTopic; `empty`: the 2-octet form (no Flags, no topic)
    bool empty = false;
    Flags flags;
    std::string will_topic;
    friend bool operator==(const WillTopic&, const WillTopic&) = default;
};
struct WillMsgReq { friend bool operator==(const WillMsgReq&, const WillMsgReq&) = default; };  // §5.4.8
struct WillMsg { Bytes will_msg; friend bool operator==(const WillMsg&, const WillMsg&) = default; };  // §5.4.9
struct Register {  // §5.4.10: TopicId (0x0000 from a client), MsgId, TopicName
    std::uint16_t topic_id = 0;
    std::uint16_t msg_id = 0;
    std::string topic_name;
    friend bool operator==(const Register&, const Register&) = default;
};
struct Regack {  // §5.4.11
    std::uint16_t topic_id = 0;
    std::uint16_t msg_id = 0;
    ReturnCode return_code = ReturnCode::accepted;
    friend bool operator==(const Regack&, const Regack&) = default;
};
struct Publish {  // §5.4.12: Flags (DUP, QoS, Retain, TopicIdType), TopicId, MsgId (0x0000 for QoS 0/−1), Data
    Flags flags;
    std::uint16_t topic_id = 0;
    std::uint16_t msg_id = 0;
    Bytes data;
    friend bool operator==(const Publish&, const Publish&) = default;
};
struct Puback {  // §5.4.13
    std::uint16_t topic_id = 0;
    std::uint16_t msg_id = 0;
    ReturnCode return_code = ReturnCode::accepted;
    friend bool operator==(const Puback&, const Puback&) = default;
};
struct Pubrec { std::uint16_t msg_id = 0; friend bool operator==(const Pubrec&, const Pubrec&) = default; };    // §5.4.14
struct Pubrel { std::uint16_t msg_id = 0; friend bool operator==(const Pubrel&, const Pubrel&) = default; };    // §5.4.14
struct Pubcomp { std::uint16_t msg_id = 0; friend bool operator==(const Pubcomp&, const Pubcomp&) = default; };  // §5.4.14
// SUBSCRIBE / UNSUBSCRIBE (§5.4.15, §5.4.17): TopicIdType normal → `topic_name` (a TopicName,
// wildcards allowed); predefined → `topic_id`; short name → `topic_id` (2 octets, short_topic_id)
struct Subscribe {
    Flags flags;
    std::uint16_t msg_id = 0;
    std::string topic_name;
    std::uint16_t topic_id = 0;
    friend bool operator==(const Subscribe&, const Subscribe&) = default;
};
struct Suback {  // §5.4.16: Flags (granted QoS)
    Flags flags;
    std::uint16_t topic_id = 0;
    std::uint16_t msg_id = 0;
    ReturnCode return_code = ReturnCode::accepted;
    friend bool operator==(const Suback&, const Suback&) = default;
};
struct Unsubscribe {
    Flags flags;
    std::uint16_t msg_id = 0;
    std::string topic_name;
    std::uint16_t topic_id = 0;
    friend bool operator==(const Unsubscribe&, const Unsubscribe&) = default;
};
struct Unsuback { std::uint16_t msg_id = 0; friend bool operator==(const Unsuback&, const Unsuback&) = default; };  // §5.4.18
struct Pingreq { std::string client_id; /* optional: a sleeping client (§6.14); empty: absent */ friend bool operator==(const Pingreq&, const Pingreq&) = default; };  // §5.4.19
struct Pingresp { friend bool operator==(const Pingresp&, const Pingresp&) = default; };  // §5.4.20
struct Disconnect { std::optional<std::uint16_t> duration; /* sleep duration (s, §6.14); absent: disconnect */ friend bool operator==(const Disconnect&, const Disconnect&) = default; };  // §5.4.21
struct WillTopicUpd {  // §5.4.22: like WILLTOPIC; `empty` deletes the Will topic and message
    bool empty = false;
    Flags flags;
    std::string will_topic;
    friend bool operator==(const WillTopicUpd&, const WillTopicUpd&) = default;
};
struct WillMsgUpd { Bytes will_msg; friend bool operator==(const WillMsgUpd&, const WillMsgUpd&) = default; };  // §5.4.23
struct WillTopicResp { ReturnCode return_code = ReturnCode::accepted; friend bool operator==(const WillTopicResp&, const WillTopicResp&) = default; };  // §5.4.24
struct WillMsgResp { ReturnCode return_code = ReturnCode::accepted; friend bool operator==(const WillMsgResp&, const WillMsgResp&) = default; };  // §5.4.25

struct Encapsulated;  // §5.5, below

using Message = std::variant<Advertise, SearchGw, GwInfo, Connect, Connack, WillTopicReq, WillTopic, WillMsgReq, WillMsg,
                             Register, Regack, Publish, Puback, Pubrec, Pubrel, Pubcomp, Subscribe, Suback, Unsubscribe,
                             Unsuback, Pingreq, Pingresp, Disconnect, WillTopicUpd, WillMsgUpd, WillTopicResp,
                             WillMsgResp, Encapsulated>;

// §5.5: Ctrl octet (bits 1–0 Radius: 0 for a message from the gateway… the forwarder's business),
// the Wireless Node Id (0…252 octets) and the encapsulated message (never itself encapsulated)
struct Encapsulated {
    std::uint8_t ctrl = 0;
    Bytes wireless_node_id;
    std::vector<Message> inner;  // exactly one message (a vector so that the variant can hold itself)
    friend bool operator==(const Encapsulated&, const Encapsulated&) = default;
};

MsgType msg_type(const Message& m) noexcept;

// ------------------------------------------------------------------------------ errors
enum class ErrorCode : std::uint8_t {
    empty_input,              // no octet at all
    truncated_length,         // Length starts 0x01 and fewer than 3 octets follow it
    length_below_header,      // Length 0 or 1 (1-octet form), or < 4 (3-octet form)
    truncated,                // fewer octets than Length (or no MsgType octet)
    trailing_bytes,           // more octets than Length
    reserved_msg_type,        // MsgType of Table 3's reserved values
    length_too_small,         // Length below the message type's fixed fields
    length_too_big,           // Length above a fixed-size message's size (CONNACK, PUBACK, …; DISCONNECT 3)
    reserved_topic_id_type,   // Flags TopicIdType 0b11 in PUBLISH, SUBSCRIBE, SUBACK, UNSUBSCRIBE
    reserved_return_code,     // ReturnCode 0x04–0xFF
    bad_protocol_id,          // CONNECT ProtocolId ≠ 0x01
    nested_encapsulation,     // an encapsulated message that is itself encapsulated (§5.5)
};
std::string_view error_name(ErrorCode code) noexcept;  // "truncated", "reserved_msg_type", …

struct DecodeError {
    ErrorCode code = ErrorCode::empty_input;
    std::size_t offset = 0;  // octet of the datagram where the fault lies (the end of it for a truncation)
    std::string detail;
    // "length_too_big at byte 0: CONNACK has Length 3, the datagram's Length says 4"
    [[nodiscard]] std::string message() const;
};

class DecodeFailure : public std::runtime_error {
public:
    explicit DecodeFailure(DecodeError e) : std::runtime_error(e.message()), error_(std::move(e)) {}
    [[nodiscard]] const DecodeError& error() const noexcept { return error_; }

private:
    DecodeError error_;
};

// A message the encoder cannot write: longer than 65535 octets, a Wireless Node Id above 252
// octets, an Encapsulated without exactly one inner message or with an encapsulated one inside.
class EncodeError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// ------------------------------------------------------------------------------ codec
struct Decoded {
    Message message;
    bool three_octet_length = false;  // the Length field was the 3-octet form (§5.2.1)
};

// One datagram → one message; throws DecodeFailure (never reads outside `datagram`)
Decoded decode(std::span<const std::uint8_t> datagram);
// The same without exceptions: the message or the error
std::variant<Decoded, DecodeError> try_decode(std::span<const std::uint8_t> datagram) noexcept;

// One message → one datagram (1-octet Length when the message fits 255 octets); throws EncodeError
Bytes encode(const Message& m);

// "PUBLISH(dup=0 qos=1 retain=0 topic_id_type=normal topic_id=1 msg_id=7 data=12 octets)" for logs
// and findings: never the payload's octets (a Will message or data may be anything)
std::string describe(const Message& m);

}  // namespace metercert::mqttsn
