// MQTT-SN 1.2 codec (see metercert/mqttsn/packet.hpp for the shapes and the spec's sections)
#include "metercert/mqttsn/packet.hpp"

#include <fmt/format.h>

#include <type_traits>

namespace metercert::mqttsn {

namespace {

template <class... Ts>
struct overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;

// The variable part's size bounds of each message type (§5.4), octets after the header
struct Shape {
    std::size_t min;
    std::size_t max;  // kOpen: runs to the end
};
constexpr std::size_t kOpen = kMaxLength;

Shape shape_of(MsgType t) noexcept {
    switch (t) {
        case MsgType::advertise: return {3, 3};        // GwId, Duration
        case MsgType::searchgw: return {1, 1};         // Radius
        case MsgType::gwinfo: return {1, kOpen};       // GwId, GwAdd
        case MsgType::connect: return {4, kOpen};      // Flags, ProtocolId, Duration, ClientId
        case MsgType::connack: return {1, 1};          // ReturnCode
        case MsgType::willtopicreq: return {0, 0};
        case MsgType::willtopic: return {0, kOpen};    // empty, or Flags + WillTopic
        case MsgType::willmsgreq: return {0, 0};
        case MsgType::willmsg: return {0, kOpen};
        case MsgType::register_: return {4, kOpen};    // TopicId, MsgId, TopicName
        case MsgType::regack: return {5, 5};           // TopicId, MsgId, ReturnCode
        case MsgType::publish: return {5, kOpen};      // Flags, TopicId, MsgId, Data
        case MsgType::puback: return {5, 5};
        case MsgType::pubcomp:
        case MsgType::pubrec:
        case MsgType::pubrel: return {2, 2};           // MsgId
        case MsgType::subscribe:
        case MsgType::unsubscribe: return {3, kOpen};  // Flags, MsgId, TopicName or TopicId
        case MsgType::suback: return {6, 6};           // Flags, TopicId, MsgId, ReturnCode
        case MsgType::unsuback: return {2, 2};
        case MsgType::pingreq: return {0, kOpen};      // [ClientId]
        case MsgType::pingresp: return {0, 0};
        case MsgType::disconnect: return {0, 2};       // [Duration]
        case MsgType::willtopicupd: return {0, kOpen};
        case MsgType::willmsgupd: return {0, kOpen};
        case MsgType::willtopicresp:
        case MsgType::willmsgresp: return {1, 1};
        case MsgType::encapsulated: return {1, kOpen};  // Ctrl, Wireless Node Id (then the message)
    }
    return {0, 0};
}

[[noreturn]] void fail(ErrorCode code, std::size_t offset, std::string detail) {
    throw DecodeFailure(DecodeError{code, offset, std::move(detail)});
}

class Reader {
public:
    Reader(std::span<const std::uint8_t> d, std::size_t pos, std::size_t end) : d_(d), pos_(pos), end_(end) {}
    std::size_t pos() const noexcept { return pos_; }
    std::size_t left() const noexcept { return end_ - pos_; }
    std::uint8_t u8() { return d_[pos_++]; }  // callers checked the shape first
    std::uint16_t u16() {
        const auto v = static_cast<std::uint16_t>((d_[pos_] << 8) | d_[pos_ + 1]);
        pos_ += 2;
        return v;
    }
    Bytes rest() {
        Bytes b(d_.begin() + static_cast<std::ptrdiff_t>(pos_), d_.begin() + static_cast<std::ptrdiff_t>(end_));
        pos_ = end_;
        return b;
    }
    std::string rest_string() {
        std::string s(d_.begin() + static_cast<std::ptrdiff_t>(pos_), d_.begin() + static_cast<std::ptrdiff_t>(end_));
        pos_ = end_;
        return s;
    }
    Bytes take(std::size_t n) {
        Bytes b(d_.begin() + static_cast<std::ptrdiff_t>(pos_), d_.begin() + static_cast<std::ptrdiff_t>(pos_ + n));
        pos_ += n;
        return b;
    }

private:
    std::span<const std::uint8_t> d_;
    std::size_t pos_;
    std::size_t end_;
};

ReturnCode return_code(Reader& r) {
    const auto at = r.pos();
    const auto v = r.u8();
    if (v > 0x03) fail(ErrorCode::reserved_return_code, at, fmt::format("ReturnCode 0x{:02X} is reserved (§5.3.10)", v));
    return static_cast<ReturnCode>(v);
}

Flags flags(Reader& r, bool topic_carried, MsgType t) {
    const auto at = r.pos();
    const auto v = r.u8();
    auto f = decode_flags(v);
    if (!f) {
        if (topic_carried)
            fail(ErrorCode::reserved_topic_id_type, at,
                 fmt::format("{} Flags 0x{:02X}: TopicIdType 0b11 is reserved (§5.3.4)", type_name(t), v));
        // a message without a topic: keep the other bits, the TopicIdType bits mean nothing here
        f = decode_flags(static_cast<std::uint8_t>(v & 0xFC));
    }
    return *f;
}

// One message whose header starts at `start`; the datagram may hold more after `end` only for
// the encapsulated case (handled by the caller).
Decoded decode_at(std::span<const std::uint8_t> d, std::size_t start, bool inside_encapsulation) {
    if (start >= d.size()) fail(ErrorCode::empty_input, start, "no octet");
    std::size_t length = d[start];
    std::size_t header = 2;
    bool three = false;
    if (length == 0x01) {
        if (d.size() - start < 3)
            fail(ErrorCode::truncated_length, d.size(), "Length 0x01 announces a 3-octet Length field (§5.2.1); it is cut");
        length = static_cast<std::size_t>((d[start + 1] << 8) | d[start + 2]);
        header = 4;
        three = true;
        if (length < 4) fail(ErrorCode::length_below_header, start + 1, fmt::format("3-octet Length {} is below the 4-octet header", length));
    } else if (length < 2) {
        fail(ErrorCode::length_below_header, start, fmt::format("Length {} is below the 2-octet header", length));
    }
    const std::size_t avail = d.size() - start;
    if (avail < header) fail(ErrorCode::truncated, d.size(), fmt::format("Length {}, no MsgType octet", length));
    const std::uint8_t type_octet = d[start + header - 1];
    if (!is_msg_type(type_octet))
        fail(ErrorCode::reserved_msg_type, start + header - 1, fmt::format("MsgType 0x{:02X} is reserved (§5.2.2 Table 3)", type_octet));
    const auto type = static_cast<MsgType>(type_octet);
    if (type == MsgType::encapsulated && inside_encapsulation)
        fail(ErrorCode::nested_encapsulation, start + header - 1, "an encapsulated message inside an encapsulation (§5.5)");
    if (type == MsgType::encapsulated && three)
        fail(ErrorCode::length_too_big, start, "the encapsulation's Length is one octet (§5.5)");
    // The encapsulation's Length covers its header only; the inner message runs to the datagram's end.
    if (type != MsgType::encapsulated) {
        if (avail < length)
            fail(ErrorCode::truncated, d.size(), fmt::format("{} Length {} but {} octets", type_name(type), length, avail));
        if (avail > length)
            fail(ErrorCode::trailing_bytes, start + length,
                 fmt::format("{} Length {} but {} octets (one message per datagram)", type_name(type), length, avail));
    } else if (avail < length) {
        fail(ErrorCode::truncated, d.size(), fmt::format("Encapsulated message Length {} but {} octets", length, avail));
    }
    const Shape s = shape_of(type);
    const std::size_t body = length - header;
    if (body < s.min)
        fail(ErrorCode::length_too_small, start,
             fmt::format("{} needs Length ≥ {}, the datagram's Length says {}", type_name(type), header + s.min, length));
    if (body > s.max)
        fail(ErrorCode::length_too_big, start,
             fmt::format("{} has Length {}{}, the datagram's Length says {}", type_name(type), s.min == s.max ? "" : "≤ ",
                         header + s.max, length));

    Reader r(d, start + header, start + length);
    Decoded out{Advertise{}, three};
    switch (type) {
        case MsgType::advertise: {
            Advertise m;
            m.gw_id = r.u8();
            m.duration = r.u16();
            out.message = m;
            break;
        }
        case MsgType::searchgw: out.message = SearchGw{r.u8()}; break;
        case MsgType::gwinfo: {
            GwInfo m;
            m.gw_id = r.u8();
            m.gw_add = r.rest();
            out.message = std::move(m);
            break;
        }
        case MsgType::connect: {
            Connect m;
            m.flags = flags(r, false, type);
            const auto at = r.pos();
            m.protocol_id = r.u8();
            if (m.protocol_id != kProtocolId)
                fail(ErrorCode::bad_protocol_id, at, fmt::format("ProtocolId 0x{:02X}, MQTT-SN 1.2 has 0x01 (§5.3.8)", m.protocol_id));
            m.duration = r.u16();
            m.client_id = r.rest_string();
            out.message = std::move(m);
            break;
        }
        case MsgType::connack: out.message = Connack{return_code(r)}; break;
        case MsgType::willtopicreq: out.message = WillTopicReq{}; break;
        case MsgType::willtopic:
        case MsgType::willtopicupd: {
            WillTopic m;
            if (r.left() == 0) {
                m.empty = true;
            } else {
                m.flags = flags(r, false, type);
                m.will_topic = r.rest_string();
            }
            if (type == MsgType::willtopic) out.message = std::move(m);
            else out.message = WillTopicUpd{m.empty, m.flags, std::move(m.will_topic)};
            break;
        }
        case MsgType::willmsgreq: out.message = WillMsgReq{}; break;
        case MsgType::willmsg: out.message = WillMsg{r.rest()}; break;
        case MsgType::willmsgupd: out.message = WillMsgUpd{r.rest()}; break;
        case MsgType::register_: {
            Register m;
            m.topic_id = r.u16();
            m.msg_id = r.u16();
            m.topic_name = r.rest_string();
            out.message = std::move(m);
            break;
        }
        case MsgType::regack:
        case MsgType::puback: {
            const auto topic_id = r.u16();
            const auto msg_id = r.u16();
            const auto rc = return_code(r);
            if (type == MsgType::regack) out.message = Regack{topic_id, msg_id, rc};
            else out.message = Puback{topic_id, msg_id, rc};
            break;
        }
        case MsgType::publish: {
            Publish m;
            m.flags = flags(r, true, type);
            m.topic_id = r.u16();
            m.msg_id = r.u16();
            m.data = r.rest();
            out.message = std::move(m);
            break;
        }
        case MsgType::pubrec: out.message = Pubrec{r.u16()}; break;
        case MsgType::pubrel: out.message = Pubrel{r.u16()}; break;
        case MsgType::pubcomp: out.message = Pubcomp{r.u16()}; break;
        case MsgType::subscribe:
        case MsgType::unsubscribe: {
            const auto f = flags(r, true, type);
            const auto msg_id = r.u16();
            std::string name;
            std::uint16_t id = 0;
            if (f.topic_id_type == TopicIdType::normal) {
                name = r.rest_string();
            } else {
                if (r.left() != 2)
                    fail(r.left() < 2 ? ErrorCode::length_too_small : ErrorCode::length_too_big, start,
                         fmt::format("{} with a {} topic carries a 2-octet TopicId: Length {}, the datagram's Length says {}",
                                     type_name(type), f.topic_id_type == TopicIdType::predefined ? "pre-defined" : "short",
                                     header + 5, length));
                id = r.u16();
            }
            if (type == MsgType::subscribe) out.message = Subscribe{f, msg_id, std::move(name), id};
            else out.message = Unsubscribe{f, msg_id, std::move(name), id};
            break;
        }
        case MsgType::suback: {
            Suback m;
            m.flags = flags(r, true, type);
            m.topic_id = r.u16();
            m.msg_id = r.u16();
            m.return_code = return_code(r);
            out.message = m;
            break;
        }
        case MsgType::unsuback: out.message = Unsuback{r.u16()}; break;
        case MsgType::pingreq: out.message = Pingreq{r.rest_string()}; break;
        case MsgType::pingresp: out.message = Pingresp{}; break;
        case MsgType::disconnect: {
            Disconnect m;
            if (r.left() == 1) fail(ErrorCode::length_too_small, start, "DISCONNECT has Length 2, or 4 with a Duration; the datagram's Length says 3");
            if (r.left() == 2) m.duration = r.u16();
            out.message = m;
            break;
        }
        case MsgType::willtopicresp: out.message = WillTopicResp{return_code(r)}; break;
        case MsgType::willmsgresp: out.message = WillMsgResp{return_code(r)}; break;
        case MsgType::encapsulated: {
            Encapsulated m;
            m.ctrl = r.u8();
            m.wireless_node_id = r.take(r.left());
            const std::size_t inner_start = start + length;
            if (inner_start >= d.size())
                fail(ErrorCode::truncated, d.size(), "Encapsulated message without the MQTT-SN message it carries (§5.5)");
            m.inner.push_back(decode_at(d, inner_start, true).message);
            out.message = std::move(m);
            break;
        }
    }
    return out;
}

void put16(Bytes& b, std::uint16_t v) {
    b.push_back(static_cast<std::uint8_t>(v >> 8));
    b.push_back(static_cast<std::uint8_t>(v & 0xFF));
}
void put(Bytes& b, std::string_view s) { b.insert(b.end(), s.begin(), s.end()); }
void put(Bytes& b, const Bytes& s) { b.insert(b.end(), s.begin(), s.end()); }

// The variable part of a message (everything after MsgType)
Bytes body_of(const Message& m) {
    Bytes b;
    std::visit(overloaded{
                   [&](const Advertise& x) { b.push_back(x.gw_id); put16(b, x.duration); },
                   [&](const SearchGw& x) { b.push_back(x.radius); },
                   [&](const GwInfo& x) { b.push_back(x.gw_id); put(b, x.gw_add); },
                   [&](const Connect& x) {
                       b.push_back(encode_flags(x.flags));
                       b.push_back(x.protocol_id);
                       put16(b, x.duration);
                       put(b, x.client_id);
                   },
                   [&](const Connack& x) { b.push_back(static_cast<std::uint8_t>(x.return_code)); },
                   [&](const WillTopicReq&) {},
                   [&](const WillTopic& x) {
                       if (!x.empty) { b.push_back(encode_flags(x.flags)); put(b, x.will_topic); }
                   },
                   [&](const WillMsgReq&) {},
                   [&](const WillMsg& x) { put(b, x.will_msg); },
                   [&](const Register& x) { put16(b, x.topic_id); put16(b, x.msg_id); put(b, x.topic_name); },
                   [&](const Regack& x) { put16(b, x.topic_id); put16(b, x.msg_id); b.push_back(static_cast<std::uint8_t>(x.return_code)); },
                   [&](const Publish& x) { b.push_back(encode_flags(x.flags)); put16(b, x.topic_id); put16(b, x.msg_id); put(b, x.data); },
                   [&](const Puback& x) { put16(b, x.topic_id); put16(b, x.msg_id); b.push_back(static_cast<std::uint8_t>(x.return_code)); },
                   [&](const Pubrec& x) { put16(b, x.msg_id); },
                   [&](const Pubrel& x) { put16(b, x.msg_id); },
                   [&](const Pubcomp& x) { put16(b, x.msg_id); },
                   [&](const Subscribe& x) {
                       b.push_back(encode_flags(x.flags));
                       put16(b, x.msg_id);
                       if (x.flags.topic_id_type == TopicIdType::normal) put(b, x.topic_name);
                       else put16(b, x.topic_id);
                   },
                   [&](const Suback& x) {
                       b.push_back(encode_flags(x.flags));
                       put16(b, x.topic_id);
                       put16(b, x.msg_id);
                       b.push_back(static_cast<std::uint8_t>(x.return_code));
                   },
                   [&](const Unsubscribe& x) {
                       b.push_back(encode_flags(x.flags));
                       put16(b, x.msg_id);
                       if (x.flags.topic_id_type == TopicIdType::normal) put(b, x.topic_name);
                       else put16(b, x.topic_id);
                   },
                   [&](const Unsuback& x) { put16(b, x.msg_id); },
                   [&](const Pingreq& x) { put(b, x.client_id); },
                   [&](const Pingresp&) {},
                   [&](const Disconnect& x) { if (x.duration) put16(b, *x.duration); },
                   [&](const WillTopicUpd& x) {
                       if (!x.empty) { b.push_back(encode_flags(x.flags)); put(b, x.will_topic); }
                   },
                   [&](const WillMsgUpd& x) { put(b, x.will_msg); },
                   [&](const WillTopicResp& x) { b.push_back(static_cast<std::uint8_t>(x.return_code)); },
                   [&](const WillMsgResp& x) { b.push_back(static_cast<std::uint8_t>(x.return_code)); },
                   [&](const Encapsulated&) {},
               },
               m);
    return b;
}

}  // namespace

std::string_view type_name(MsgType t) noexcept {
    switch (t) {
        case MsgType::advertise: return "ADVERTISE";
        case MsgType::searchgw: return "SEARCHGW";
        case MsgType::gwinfo: return "GWINFO";
        case MsgType::connect: return "CONNECT";
        case MsgType::connack: return "CONNACK";
        case MsgType::willtopicreq: return "WILLTOPICREQ";
        case MsgType::willtopic: return "WILLTOPIC";
        case MsgType::willmsgreq: return "WILLMSGREQ";
        case MsgType::willmsg: return "WILLMSG";
        case MsgType::register_: return "REGISTER";
        case MsgType::regack: return "REGACK";
        case MsgType::publish: return "PUBLISH";
        case MsgType::puback: return "PUBACK";
        case MsgType::pubcomp: return "PUBCOMP";
        case MsgType::pubrec: return "PUBREC";
        case MsgType::pubrel: return "PUBREL";
        case MsgType::subscribe: return "SUBSCRIBE";
        case MsgType::suback: return "SUBACK";
        case MsgType::unsubscribe: return "UNSUBSCRIBE";
        case MsgType::unsuback: return "UNSUBACK";
        case MsgType::pingreq: return "PINGREQ";
        case MsgType::pingresp: return "PINGRESP";
        case MsgType::disconnect: return "DISCONNECT";
        case MsgType::willtopicupd: return "WILLTOPICUPD";
        case MsgType::willtopicresp: return "WILLTOPICRESP";
        case MsgType::willmsgupd: return "WILLMSGUPD";
        case MsgType::willmsgresp: return "WILLMSGRESP";
        case MsgType::encapsulated: return "Encapsulated message";
    }
    return "reserved";
}

bool is_msg_type(std::uint8_t o) noexcept {
    return (o <= 0x1D && o != 0x03 && o != 0x11 && o != 0x19) || o == 0xFE;
}

std::uint8_t encode_flags(const Flags& f) noexcept {
    return static_cast<std::uint8_t>((f.dup ? 0x80 : 0) | (static_cast<unsigned>(f.qos) << 5) | (f.retain ? 0x10 : 0) |
                                     (f.will ? 0x08 : 0) | (f.clean_session ? 0x04 : 0) |
                                     static_cast<unsigned>(f.topic_id_type));
}

std::optional<Flags> decode_flags(std::uint8_t o) noexcept {
    if ((o & 0x03) == 0x03) return std::nullopt;
    Flags f;
    f.dup = (o & 0x80) != 0;
    f.qos = static_cast<QoS>((o >> 5) & 0x03);
    f.retain = (o & 0x10) != 0;
    f.will = (o & 0x08) != 0;
    f.clean_session = (o & 0x04) != 0;
    f.topic_id_type = static_cast<TopicIdType>(o & 0x03);
    return f;
}

std::string_view return_code_name(ReturnCode rc) noexcept {
    switch (rc) {
        case ReturnCode::accepted: return "Accepted";
        case ReturnCode::congestion: return "Rejected: congestion";
        case ReturnCode::invalid_topic_id: return "Rejected: invalid topic ID";
        case ReturnCode::not_supported: return "Rejected: not supported";
    }
    return "reserved";
}

std::uint16_t short_topic_id(char c0, char c1) noexcept {
    return static_cast<std::uint16_t>((static_cast<unsigned char>(c0) << 8) | static_cast<unsigned char>(c1));
}
std::string short_topic_name(std::uint16_t id) {
    return std::string{static_cast<char>(id >> 8), static_cast<char>(id & 0xFF)};
}

MsgType msg_type(const Message& m) noexcept {
    return std::visit(overloaded{
                          [](const Advertise&) { return MsgType::advertise; },
                          [](const SearchGw&) { return MsgType::searchgw; },
                          [](const GwInfo&) { return MsgType::gwinfo; },
                          [](const Connect&) { return MsgType::connect; },
                          [](const Connack&) { return MsgType::connack; },
                          [](const WillTopicReq&) { return MsgType::willtopicreq; },
                          [](const WillTopic&) { return MsgType::willtopic; },
                          [](const WillMsgReq&) { return MsgType::willmsgreq; },
                          [](const WillMsg&) { return MsgType::willmsg; },
                          [](const Register&) { return MsgType::register_; },
                          [](const Regack&) { return MsgType::regack; },
                          [](const Publish&) { return MsgType::publish; },
                          [](const Puback&) { return MsgType::puback; },
                          [](const Pubrec&) { return MsgType::pubrec; },
                          [](const Pubrel&) { return MsgType::pubrel; },
                          [](const Pubcomp&) { return MsgType::pubcomp; },
                          [](const Subscribe&) { return MsgType::subscribe; },
                          [](const Suback&) { return MsgType::suback; },
                          [](const Unsubscribe&) { return MsgType::unsubscribe; },
                          [](const Unsuback&) { return MsgType::unsuback; },
                          [](const Pingreq&) { return MsgType::pingreq; },
                          [](const Pingresp&) { return MsgType::pingresp; },
                          [](const Disconnect&) { return MsgType::disconnect; },
                          [](const WillTopicUpd&) { return MsgType::willtopicupd; },
                          [](const WillMsgUpd&) { return MsgType::willmsgupd; },
                          [](const WillTopicResp&) { return MsgType::willtopicresp; },
                          [](const WillMsgResp&) { return MsgType::willmsgresp; },
                          [](const Encapsulated&) { return MsgType::encapsulated; },
                      },
                      m);
}

std::string_view error_name(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::empty_input: return "empty_input";
        case ErrorCode::truncated_length: return "truncated_length";
        case ErrorCode::length_below_header: return "length_below_header";
        case ErrorCode::truncated: return "truncated";
        case ErrorCode::trailing_bytes: return "trailing_bytes";
        case ErrorCode::reserved_msg_type: return "reserved_msg_type";
        case ErrorCode::length_too_small: return "length_too_small";
        case ErrorCode::length_too_big: return "length_too_big";
        case ErrorCode::reserved_topic_id_type: return "reserved_topic_id_type";
        case ErrorCode::reserved_return_code: return "reserved_return_code";
        case ErrorCode::bad_protocol_id: return "bad_protocol_id";
        case ErrorCode::nested_encapsulation: return "nested_encapsulation";
    }
    return "unknown";
}

std::string DecodeError::message() const {
    return detail.empty() ? fmt::format("{} at byte {}", error_name(code), offset)
                          : fmt::format("{} at byte {}: {}", error_name(code), offset, detail);
}

Decoded decode(std::span<const std::uint8_t> datagram) {
    if (datagram.empty()) fail(ErrorCode::empty_input, 0, "an empty datagram");
    return decode_at(datagram, 0, false);
}

std::variant<Decoded, DecodeError> try_decode(std::span<const std::uint8_t> datagram) noexcept {
    try {
        return decode(datagram);
    } catch (const DecodeFailure& f) {
        return f.error();
    } catch (...) {  // std::bad_alloc: report it as what it is closest to
        return DecodeError{ErrorCode::truncated, datagram.size(), "out of memory"};
    }
}

Bytes encode(const Message& m) {
    if (const auto* e = std::get_if<Encapsulated>(&m)) {
        if (e->inner.size() != 1) throw EncodeError(fmt::format("an Encapsulated message carries exactly one message, not {}", e->inner.size()));
        if (std::holds_alternative<Encapsulated>(e->inner.front()))
            throw EncodeError("an Encapsulated message cannot carry an Encapsulated message (§5.5)");
        if (e->wireless_node_id.size() > 252) throw EncodeError("Wireless Node Id above 252 octets (the 1-octet Length, §5.5)");
        Bytes b;
        b.push_back(static_cast<std::uint8_t>(3 + e->wireless_node_id.size()));
        b.push_back(static_cast<std::uint8_t>(MsgType::encapsulated));
        b.push_back(e->ctrl);
        put(b, e->wireless_node_id);
        put(b, encode(e->inner.front()));
        return b;
    }
    const Bytes body = body_of(m);
    const auto type = static_cast<std::uint8_t>(msg_type(m));
    Bytes b;
    if (body.size() + 2 <= 255) {
        b.reserve(body.size() + 2);
        b.push_back(static_cast<std::uint8_t>(body.size() + 2));
    } else if (body.size() + 4 <= kMaxLength) {
        b.reserve(body.size() + 4);
        b.push_back(0x01);
        put16(b, static_cast<std::uint16_t>(body.size() + 4));
    } else {
        throw EncodeError(fmt::format("{} of {} octets exceeds the 65535 of the 3-octet Length (§5.2.1)",
                                      type_name(msg_type(m)), body.size() + 4));
    }
    b.push_back(type);
    put(b, body);
    return b;
}

namespace {
std::string_view qos_name(QoS q) {
    switch (q) {
        case QoS::qos0: return "0";
        case QoS::qos1: return "1";
        case QoS::qos2: return "2";
        case QoS::minus1: return "-1";
    }
    return "?";
}
std::string_view tit_name(TopicIdType t) {
    switch (t) {
        case TopicIdType::normal: return "normal";
        case TopicIdType::predefined: return "predefined";
        case TopicIdType::short_name: return "short";
    }
    return "?";
}
}  // namespace

std::string describe(const Message& m) {
    const auto name = type_name(msg_type(m));
    return std::visit(
        overloaded{
            [&](const Connect& x) {
                return fmt::format("{}(will={} clean_session={} duration={} client_id_length={})", name, int(x.flags.will),
                                   int(x.flags.clean_session), x.duration, x.client_id.size());
            },
            [&](const Register& x) {
                return fmt::format("{}(topic_id={} msg_id={} topic_name_length={})", name, x.topic_id, x.msg_id, x.topic_name.size());
            },
            [&](const Regack& x) {
                return fmt::format("{}(topic_id={} msg_id={} return_code={})", name, x.topic_id, x.msg_id, return_code_name(x.return_code));
            },
            [&](const Publish& x) {
                return fmt::format("{}(dup={} qos={} retain={} topic_id_type={} topic_id={} msg_id={} data={} octets)", name,
                                   int(x.flags.dup), qos_name(x.flags.qos), int(x.flags.retain), tit_name(x.flags.topic_id_type),
                                   x.topic_id, x.msg_id, x.data.size());
            },
            [&](const Puback& x) {
                return fmt::format("{}(topic_id={} msg_id={} return_code={})", name, x.topic_id, x.msg_id, return_code_name(x.return_code));
            },
            [&](const Connack& x) { return fmt::format("{}(return_code={})", name, return_code_name(x.return_code)); },
            [&](const Disconnect& x) {
                return x.duration ? fmt::format("{}(duration={})", name, *x.duration) : std::string(name);
            },
            [&](const auto&) { return std::string(name); },
        },
        m);
}

}  // namespace metercert::mqttsn
