// MQTT-SN 1.2 codec against the specification's message layouts (MQTT-SN Protocol Specification
// v1.2 §5.2–§5.5: the octets below are written by hand from the spec's format tables, field by
// field) and, as a third party, Wireshark's MQTT-SN dissector (tshark reads what the encoder
// wrote; its field values are compared with the values the test meant, not with our decoder).
#include "metercert/mqttsn/packet.hpp"
#include "../testing/hex.hpp"
#include "tshark_test_support.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

using namespace metercert::mqttsn;

namespace {

using metercert::testing::hex;
Bytes bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

DecodeError error_of(const Bytes& b) {
    auto r = try_decode(b);
    EXPECT_TRUE(std::holds_alternative<DecodeError>(r)) << "accepted " << b.size() << " octets";
    return std::holds_alternative<DecodeError>(r) ? std::get<DecodeError>(r) : DecodeError{};
}

// The spec's layout → the message the octets mean → encode gives the octets back
struct Case {
    const char* what;
    Bytes wire;
    Message message;
};

std::vector<Case> spec_cases() {
    Flags qos1;
    qos1.qos = QoS::qos1;
    Flags clean;
    clean.clean_session = true;
    Flags will_clean;
    will_clean.will = true;
    will_clean.clean_session = true;
    Flags dup_qos1_retain_short;
    dup_qos1_retain_short.dup = true;
    dup_qos1_retain_short.qos = QoS::qos1;
    dup_qos1_retain_short.retain = true;
    dup_qos1_retain_short.topic_id_type = TopicIdType::short_name;
    Flags qosm1_predef;
    qosm1_predef.qos = QoS::minus1;
    qosm1_predef.topic_id_type = TopicIdType::predefined;
    Flags qos2_short;
    qos2_short.qos = QoS::qos2;
    qos2_short.topic_id_type = TopicIdType::short_name;
    Flags qos2_retain;
    qos2_retain.qos = QoS::qos2;
    qos2_retain.retain = true;
    return {
        // §5.4.1 ADVERTISE: Length 5, 0x00, GwId, Duration (16 bit)
        {"ADVERTISE", hex("05 00 07 03 84"), Advertise{7, 900}},
        // §5.4.2 SEARCHGW: Length 3, 0x01, Radius
        {"SEARCHGW", hex("03 01 02"), SearchGw{2}},
        // §5.4.3 GWINFO: Length, 0x02, GwId [, GwAdd]
        {"GWINFO from a gateway", hex("03 02 07"), GwInfo{7, {}}},
        {"GWINFO from a client", hex("07 02 07 0A 00 00 01"), GwInfo{7, hex("0A000001")}},
        // §5.4.4 CONNECT: Length, 0x04, Flags (CleanSession 0x04), ProtocolId 0x01, Duration, ClientId
        {"CONNECT", hex("0D 04 04 01 00 3C 43 4D 69 36 31 31 30"), Connect{clean, kProtocolId, 60, "CMi6110"}},
        {"CONNECT with Will", hex("07 04 0C 01 FF FF 41"), Connect{will_clean, kProtocolId, 65535, "A"}},
        // §5.4.5 CONNACK: Length 3, 0x05, ReturnCode
        {"CONNACK accepted", hex("03 05 00"), Connack{ReturnCode::accepted}},
        {"CONNACK congestion", hex("03 05 01"), Connack{ReturnCode::congestion}},
        // §5.4.6–§5.4.9
        {"WILLTOPICREQ", hex("02 06"), WillTopicReq{}},
        {"WILLTOPIC", hex("05 07 50 77 74"), WillTopic{false, qos2_retain, "wt"}},
        {"WILLTOPIC empty", hex("02 07"), WillTopic{true, {}, ""}},
        {"WILLMSGREQ", hex("02 08"), WillMsgReq{}},
        {"WILLMSG", hex("04 09 6F 6B"), WillMsg{bytes("ok")}},
        // §5.4.10 REGISTER: Length, 0x0A, TopicId, MsgId, TopicName
        {"REGISTER", hex("0B 0A 00 00 00 01 6D 2F 31 32 33"), Register{0, 1, "m/123"}},
        // §5.4.11 REGACK: Length 7, 0x0B, TopicId, MsgId, ReturnCode
        {"REGACK", hex("07 0B 00 2A 00 01 00"), Regack{42, 1, ReturnCode::accepted}},
        {"REGACK invalid topic", hex("07 0B 00 00 00 01 02"), Regack{0, 1, ReturnCode::invalid_topic_id}},
        // §5.4.12 PUBLISH: Length, 0x0C, Flags, TopicId, MsgId, Data
        {"PUBLISH QoS 1", hex("0A 0C 20 00 2A 12 34 01 02 03"), Publish{qos1, 42, 0x1234, hex("010203")}},
        {"PUBLISH DUP QoS 1 retain short topic", hex("08 0C B2 61 62 00 05 FF"), Publish{dup_qos1_retain_short, short_topic_id('a', 'b'), 5, hex("FF")}},
        {"PUBLISH QoS -1 predefined", hex("07 0C 61 00 07 00 00"), Publish{qosm1_predef, 7, 0, {}}},
        // §5.4.13 PUBACK: Length 7, 0x0D, TopicId, MsgId, ReturnCode
        {"PUBACK", hex("07 0D 00 2A 12 34 00"), Puback{42, 0x1234, ReturnCode::accepted}},
        {"PUBACK not supported", hex("07 0D 00 2A 12 34 03"), Puback{42, 0x1234, ReturnCode::not_supported}},
        // §5.4.14 PUBCOMP 0x0E, PUBREC 0x0F, PUBREL 0x10: Length 4, MsgId
        {"PUBCOMP", hex("04 0E 00 09"), Pubcomp{9}},
        {"PUBREC", hex("04 0F 00 09"), Pubrec{9}},
        {"PUBREL", hex("04 10 00 09"), Pubrel{9}},
        // §5.4.15 SUBSCRIBE: Length, 0x12, Flags, MsgId, TopicName or TopicId
        {"SUBSCRIBE name", hex("08 12 20 00 03 61 2F 23"), Subscribe{qos1, 3, "a/#", 0}},
        {"SUBSCRIBE short", hex("07 12 42 00 03 61 62"), Subscribe{qos2_short, 3, "", short_topic_id('a', 'b')}},
        // §5.4.16 SUBACK: Length 8, 0x13, Flags, TopicId, MsgId, ReturnCode
        {"SUBACK", hex("08 13 20 00 05 00 03 00"), Suback{qos1, 5, 3, ReturnCode::accepted}},
        // §5.4.17 UNSUBSCRIBE 0x14, §5.4.18 UNSUBACK 0x15
        {"UNSUBSCRIBE", hex("06 14 00 00 04 78"), Unsubscribe{{}, 4, "x", 0}},
        {"UNSUBACK", hex("04 15 00 04"), Unsuback{4}},
        // §5.4.19 PINGREQ [ClientId], §5.4.20 PINGRESP
        {"PINGREQ", hex("02 16"), Pingreq{""}},
        {"PINGREQ with ClientId", hex("04 16 6D 31"), Pingreq{"m1"}},
        {"PINGRESP", hex("02 17"), Pingresp{}},
        // §5.4.21 DISCONNECT [Duration]
        {"DISCONNECT", hex("02 18"), Disconnect{}},
        {"DISCONNECT sleep", hex("04 18 0E 10"), Disconnect{3600}},
        // §5.4.22–§5.4.25
        {"WILLTOPICUPD", hex("04 1A 00 77"), WillTopicUpd{false, {}, "w"}},
        {"WILLTOPICUPD empty", hex("02 1A"), WillTopicUpd{true, {}, ""}},
        {"WILLMSGUPD", hex("03 1C 21"), WillMsgUpd{bytes("!")}},
        {"WILLTOPICRESP", hex("03 1B 00"), WillTopicResp{ReturnCode::accepted}},
        {"WILLMSGRESP", hex("03 1D 01"), WillMsgResp{ReturnCode::congestion}},
        // §5.5 Encapsulated: Length (up to the Wireless Node Id), 0xFE, Ctrl, Wireless Node Id, message
        {"Encapsulated PINGREQ", hex("05 FE 01 AB CD 02 16"), Encapsulated{1, hex("ABCD"), {Pingreq{}}}},
    };
}

}  // namespace

TEST(MqttsnPacket, EveryMessageOfTheSpecDecodesFromItsLayoutAndEncodesBackToIt) {
    for (const auto& c : spec_cases()) {
        SCOPED_TRACE(c.what);
        const auto d = decode(c.wire);
        EXPECT_FALSE(d.three_octet_length);
        EXPECT_TRUE(d.message == c.message);
        EXPECT_EQ(encode(c.message), c.wire);
    }
}

TEST(MqttsnPacket, MsgTypeValuesAreTable3s) {
    // §5.2.2 Table 3; reserved: 0x03, 0x11, 0x19, 0x1E–0xFD, 0xFF
    EXPECT_EQ(static_cast<int>(MsgType::willtopicupd), 0x1A);
    EXPECT_EQ(static_cast<int>(MsgType::willmsgresp), 0x1D);
    for (int o : {0x03, 0x11, 0x19, 0x1E, 0x80, 0xFD, 0xFF}) EXPECT_FALSE(is_msg_type(static_cast<std::uint8_t>(o))) << o;
    int defined = 0;
    for (int o = 0; o < 256; ++o) defined += is_msg_type(static_cast<std::uint8_t>(o));
    EXPECT_EQ(defined, 28);  // 0x00–0x1D less 3 reserved, plus 0xFE
}

TEST(MqttsnPacket, FlagsBitsAreSection534s) {
    Flags f;
    f.dup = true;
    EXPECT_EQ(encode_flags(f), 0x80);
    f = {};
    f.qos = QoS::minus1;
    EXPECT_EQ(encode_flags(f), 0x60);
    f = {};
    f.retain = true;
    EXPECT_EQ(encode_flags(f), 0x10);
    f = {};
    f.will = true;
    EXPECT_EQ(encode_flags(f), 0x08);
    f = {};
    f.clean_session = true;
    EXPECT_EQ(encode_flags(f), 0x04);
    f = {};
    f.topic_id_type = TopicIdType::short_name;
    EXPECT_EQ(encode_flags(f), 0x02);
    EXPECT_FALSE(decode_flags(0x03));
    EXPECT_EQ(decode_flags(0x20)->qos, QoS::qos1);
    EXPECT_EQ(decode_flags(0x40)->qos, QoS::qos2);
}

TEST(MqttsnPacket, ThreeOctetLengthFromByte256On) {
    // §5.2.1: a PUBLISH with 249 octets of data is 256 octets with a 1-octet Length: too long for
    // it, so 0x01, 0x0102 (258), MsgType, Flags, TopicId, MsgId, data
    Flags qos1;
    qos1.qos = QoS::qos1;
    Publish p{qos1, 1, 2, Bytes(249, 0xAA)};
    Bytes wire = hex("01 01 02 0C 20 00 01 00 02");
    wire.insert(wire.end(), 249, 0xAA);
    EXPECT_EQ(encode(p), wire);
    const auto d = decode(wire);
    EXPECT_TRUE(d.three_octet_length);
    EXPECT_TRUE(std::get<Publish>(d.message) == p);
    // 255 octets: still the 1-octet form
    Publish q{qos1, 1, 2, Bytes(255 - 7, 0xAA)};
    const auto e = encode(q);
    EXPECT_EQ(e.size(), 255u);
    EXPECT_EQ(e[0], 0xFF);
    // the 3-octet form of a short message is accepted (the spec does not forbid it) and said
    const auto s = decode(hex("01 00 05 05 00"));
    EXPECT_TRUE(s.three_octet_length);
    EXPECT_TRUE(std::get<Connack>(s.message) == Connack{});
    // too long for any Length
    Publish big{qos1, 1, 2, Bytes(65535 - 8, 0)};
    EXPECT_THROW(encode(big), EncodeError);
    big.data.pop_back();
    EXPECT_EQ(encode(big).size(), 65535u);
}

TEST(MqttsnPacket, DecodeErrorsAreNamedWithTheirOffset) {
    struct E {
        const char* wire;
        ErrorCode code;
        std::size_t offset;
    };
    const E cases[] = {
        {"", ErrorCode::empty_input, 0},
        {"01", ErrorCode::truncated_length, 1},
        {"01 00", ErrorCode::truncated_length, 2},
        {"00 05", ErrorCode::length_below_header, 0},
        {"01 16", ErrorCode::truncated_length, 2},          // 0x01 is the 3-octet marker: cut
        {"01 00 03 16", ErrorCode::length_below_header, 1},
        {"02", ErrorCode::truncated, 1},
        {"07 0D 00 01 00 02", ErrorCode::truncated, 6},
        {"02 16 00", ErrorCode::trailing_bytes, 2},
        {"02 03", ErrorCode::reserved_msg_type, 1},
        {"02 11", ErrorCode::reserved_msg_type, 1},
        {"02 19", ErrorCode::reserved_msg_type, 1},
        {"02 FF", ErrorCode::reserved_msg_type, 1},
        {"01 00 04 1E", ErrorCode::reserved_msg_type, 3},
        {"02 05", ErrorCode::length_too_small, 0},          // CONNACK without ReturnCode
        {"04 05 00 00", ErrorCode::length_too_big, 0},      // CONNACK of 4
        {"06 0C 20 00 01 00", ErrorCode::length_too_small, 0},
        {"03 18 00", ErrorCode::length_too_small, 0},       // DISCONNECT with 1 octet of Duration
        {"05 18 00 00 00", ErrorCode::length_too_big, 0},
        {"07 0C 23 00 01 00 01", ErrorCode::reserved_topic_id_type, 2},
        {"07 12 23 00 01 00 01", ErrorCode::reserved_topic_id_type, 2},
        {"03 05 04", ErrorCode::reserved_return_code, 2},
        {"07 0D 00 01 00 01 FF", ErrorCode::reserved_return_code, 6},
        {"06 04 04 02 00 3C", ErrorCode::bad_protocol_id, 3},
        {"06 12 21 00 01 00", ErrorCode::length_too_small, 0},  // SUBSCRIBE pre-defined with one octet of TopicId
        {"08 12 22 00 01 61 62 63", ErrorCode::length_too_big, 0},
        {"03 FE 00", ErrorCode::truncated, 3},
        {"03 FE 00 03 FE 00", ErrorCode::nested_encapsulation, 4},
        {"03 FE 00 02 03", ErrorCode::reserved_msg_type, 4},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.wire);
        const auto e = error_of(hex(c.wire));
        EXPECT_EQ(error_name(e.code), error_name(c.code));
        EXPECT_EQ(e.offset, c.offset);
        EXPECT_NE(e.message().find(std::string(error_name(c.code)) + " at byte " + std::to_string(c.offset)), std::string::npos)
            << e.message();
    }
    EXPECT_THROW(decode(hex("02 03")), DecodeFailure);
}

TEST(MqttsnPacket, FlagBitsAMessageDoesNotUseAreKeptNotRefused) {
    // CONNECT uses Will and CleanSession; a TopicIdType 0b11 there means nothing and is no error
    const auto d = decode(hex("07 04 07 01 00 0A 63"));
    EXPECT_TRUE(std::get<Connect>(d.message).flags.clean_session);
    // MsgId 0 and an empty ClientId are the gateway's to judge
    EXPECT_NO_THROW(decode(hex("06 04 04 01 00 0A")));
    EXPECT_NO_THROW(decode(hex("07 0C 20 00 00 00 00")));
}

TEST(MqttsnPacket, DescribeNeverShowsPayloadOctets) {
    Flags qos1;
    qos1.qos = QoS::qos1;
    const auto s = describe(Publish{qos1, 1, 2, bytes("SECRET")});
    EXPECT_EQ(s, "PUBLISH(dup=0 qos=1 retain=0 topic_id_type=normal topic_id=1 msg_id=2 data=6 octets)");
    EXPECT_EQ(describe(Connack{ReturnCode::congestion}), "CONNACK(return_code=Rejected: congestion)");
    EXPECT_EQ(short_topic_name(short_topic_id('m', '1')), "m1");
}

// ---------------------------------------------------------------------------------- tshark

using metercert::mqttsn::testing::field;
using metercert::mqttsn::testing::tshark_mqttsn;

TEST(MqttsnPacket, TsharksDissectorReadsWhatTheEncoderMeant) {
    Flags clean;
    clean.clean_session = true;
    Flags qos1;
    qos1.qos = QoS::qos1;
    Flags dup_qos1;
    dup_qos1.dup = true;
    dup_qos1.qos = QoS::qos1;
    Flags m1_short;
    m1_short.qos = QoS::minus1;
    m1_short.topic_id_type = TopicIdType::short_name;
    m1_short.retain = true;
    const std::vector<Message> msgs = {
        Connect{clean, kProtocolId, 300, "cmi6110-01"},
        Connack{ReturnCode::accepted},
        Register{0, 1, "elvaco/cmi6110"},
        Regack{17, 1, ReturnCode::accepted},
        Publish{qos1, 17, 2, Bytes(10, 0x55)},
        Publish{dup_qos1, 17, 2, Bytes(300, 0x55)},  // 3-octet Length
        Puback{17, 2, ReturnCode::invalid_topic_id},
        Publish{m1_short, short_topic_id('a', 'b'), 0, bytes("x")},
        Pingreq{},
        Pingresp{},
        Disconnect{600},
        Advertise{3, 900},
        SearchGw{1},
        Suback{qos1, 9, 4, ReturnCode::congestion},
    };
    std::vector<Bytes> wire;
    for (const auto& m : msgs) wire.push_back(encode(m));
    const auto t = tshark_mqttsn(wire);
    if (!t) GTEST_SKIP() << "tshark not installed (ci/setup installs it)";
    ASSERT_EQ(t->size(), msgs.size());
    const auto& f = *t;
    // CONNECT
    EXPECT_EQ(field(f[0], "mqttsn.msg.type"), "0x04");
    EXPECT_EQ(field(f[0], "mqttsn.msg.len"), "16");
    EXPECT_EQ(field(f[0], "mqttsn.clean.session"), "1");
    EXPECT_EQ(field(f[0], "mqttsn.will"), "0");
    EXPECT_EQ(field(f[0], "mqttsn.protocol.id"), "0x01");
    EXPECT_EQ(field(f[0], "mqttsn.keep.alive"), "300");
    EXPECT_EQ(field(f[0], "mqttsn.client.id"), "cmi6110-01");
    // CONNACK
    EXPECT_EQ(field(f[1], "mqttsn.msg.type"), "0x05");
    EXPECT_EQ(field(f[1], "mqttsn.return.code"), "0x00");
    // REGISTER
    EXPECT_EQ(field(f[2], "mqttsn.msg.type"), "0x0a");
    EXPECT_EQ(field(f[2], "mqttsn.topic.id"), "0");
    EXPECT_EQ(field(f[2], "mqttsn.msg.id"), "1");
    EXPECT_EQ(field(f[2], "mqttsn.topic"), "elvaco/cmi6110");
    // REGACK
    EXPECT_EQ(field(f[3], "mqttsn.msg.type"), "0x0b");
    EXPECT_EQ(field(f[3], "mqttsn.topic.id"), "17");
    EXPECT_EQ(field(f[3], "mqttsn.return.code"), "0x00");
    // PUBLISH QoS 1
    EXPECT_EQ(field(f[4], "mqttsn.msg.type"), "0x0c");
    EXPECT_EQ(field(f[4], "mqttsn.msg.len"), "17");
    EXPECT_EQ(field(f[4], "mqttsn.dup"), "0");
    EXPECT_EQ(field(f[4], "mqttsn.qos"), "0x01");
    EXPECT_EQ(field(f[4], "mqttsn.retain"), "0");
    EXPECT_EQ(field(f[4], "mqttsn.topic.id.type"), "0x00");
    EXPECT_EQ(field(f[4], "mqttsn.topic.id"), "17");
    EXPECT_EQ(field(f[4], "mqttsn.msg.id"), "2");
    // PUBLISH DUP, 3-octet Length: 4 + 5 + 300
    EXPECT_EQ(field(f[5], "mqttsn.msg.len"), "309");
    EXPECT_EQ(field(f[5], "mqttsn.dup"), "1");
    EXPECT_EQ(field(f[5], "mqttsn.msg.id"), "2");
    // PUBACK rejected
    EXPECT_EQ(field(f[6], "mqttsn.msg.type"), "0x0d");
    EXPECT_EQ(field(f[6], "mqttsn.return.code"), "0x02");
    // PUBLISH QoS -1 short topic, retain
    EXPECT_EQ(field(f[7], "mqttsn.qos"), "0x03");
    EXPECT_EQ(field(f[7], "mqttsn.retain"), "1");
    EXPECT_EQ(field(f[7], "mqttsn.topic.id.type"), "0x02");
    EXPECT_EQ(field(f[8], "mqttsn.msg.type"), "0x16");
    EXPECT_EQ(field(f[9], "mqttsn.msg.type"), "0x17");
    EXPECT_EQ(field(f[10], "mqttsn.msg.type"), "0x18");
    EXPECT_EQ(field(f[10], "mqttsn.sleep.timer"), "600");
    EXPECT_EQ(field(f[11], "mqttsn.gw.id"), "3");
    EXPECT_EQ(field(f[11], "mqttsn.adv.interv"), "900");
    EXPECT_EQ(field(f[12], "mqttsn.radius"), "1");
    EXPECT_EQ(field(f[13], "mqttsn.msg.type"), "0x13");
    EXPECT_EQ(field(f[13], "mqttsn.topic.id.type"), "0x00");  // (tshark 4.0 shows no QoS of a SUBACK)
    EXPECT_EQ(field(f[13], "mqttsn.topic.id"), "9");
    EXPECT_EQ(field(f[13], "mqttsn.msg.id"), "4");
    EXPECT_EQ(field(f[13], "mqttsn.return.code"), "0x01");
}

TEST(MqttsnPacket, Table3sMsgTypesAreTsharksToo) {
    // Wireshark names each MsgType in its own words; every octet of 0x00–0x1F, 0xFE and 0xFF, as a
    // 2-octet datagram: the defined ones are ours under the spec's name, the others reserved
    const std::map<std::string, std::string> tshark_to_spec = {
        {"Advertise Gateway", "ADVERTISE"}, {"Search Gateway", "SEARCHGW"}, {"Gateway Info", "GWINFO"},
        {"Connect Command", "CONNECT"}, {"Connect Ack", "CONNACK"}, {"Will Topic Request", "WILLTOPICREQ"},
        {"Will Topic", "WILLTOPIC"}, {"Will Message Request", "WILLMSGREQ"}, {"Will Message", "WILLMSG"},
        {"Register", "REGISTER"}, {"Register Ack", "REGACK"}, {"Publish Message", "PUBLISH"}, {"Publish Ack", "PUBACK"},
        {"Publish Complete", "PUBCOMP"}, {"Publish Received", "PUBREC"}, {"Publish Release", "PUBREL"},
        {"Subscribe Request", "SUBSCRIBE"}, {"Subscribe Ack", "SUBACK"}, {"Unsubscribe Request", "UNSUBSCRIBE"},
        {"Unsubscribe Ack", "UNSUBACK"}, {"Ping Request", "PINGREQ"}, {"Ping Response", "PINGRESP"},
        {"Disconnect Req", "DISCONNECT"}, {"Will Topic Update", "WILLTOPICUPD"}, {"Will Topic Response", "WILLTOPICRESP"},
        {"Will Message Update", "WILLMSGUPD"}, {"Will Message Response", "WILLMSGRESP"},
        {"Encapsulated Message", "Encapsulated message"}};
    std::vector<Bytes> wire;
    std::vector<int> octets;
    for (int o = 0; o <= 0x1F; ++o) octets.push_back(o);
    octets.push_back(0xFE);
    octets.push_back(0xFF);
    for (int o : octets) wire.push_back(Bytes{0x02, static_cast<std::uint8_t>(o)});
    const auto info = metercert::mqttsn::testing::tshark_info(wire);
    if (!info) GTEST_SKIP() << "tshark not installed (ci/setup installs it)";
    ASSERT_EQ(info->size(), octets.size());
    for (std::size_t i = 0; i < octets.size(); ++i) {
        const auto o = static_cast<std::uint8_t>(octets[i]);
        SCOPED_TRACE((*info)[i]);
        const auto it = tshark_to_spec.find((*info)[i]);
        EXPECT_EQ(is_msg_type(o), it != tshark_to_spec.end());
        if (it != tshark_to_spec.end()) {
            EXPECT_EQ(type_name(static_cast<MsgType>(o)), it->second);
        }
    }
}
