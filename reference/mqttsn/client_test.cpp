// The CMi6110's MQTT-SN client and the suite's gateway on a simulated clock. Expectations: the
// octets of the MQTT-SN 1.2 spec's layouts (§5.4, written by hand), the CMi6110 manual's values
// (§7.5 Table 12: timeout 92 s, 2 attempts, re-connect back-off "0-5,5-15,15-60,60-360,360-1440,
// 1300-1600" minutes) and the spec's procedures (§6.2, §6.5, §6.6, §6.12, §6.13).
#include "metercert/mqttsn/client.hpp"
#include "metercert/mqttsn/gateway.hpp"
#include "../testing/hex.hpp"
#include "tshark_test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

using namespace metercert;
using namespace metercert::mqttsn;
using namespace std::chrono_literals;

namespace {

using metercert::testing::hex;
Bytes operator+(Bytes a, std::string_view s) {
    a.insert(a.end(), s.begin(), s.end());
    return a;
}

const TimePoint t0 = TimePoint{} + 1000s;

ClientConfig config(ConnectionConfig c) {
    ClientConfig k;
    k.client_id = "cmi6110";
    k.topic = "m/1";
    k.connection = c;
    return k;
}

// CONNECT: Length 13, 0x04, Flags CleanSession 0x04, ProtocolId 0x01, Duration 0, "cmi6110" (§5.4.4)
const Bytes kConnect = hex("0D 04 04 01 00 00") + "cmi6110";
const Bytes kConnack = hex("03 05 00");
// REGISTER: Length 9, 0x0A, TopicId 0x0000, MsgId, "m/1" (§5.4.10)
Bytes reg(std::uint16_t msg_id) { return hex("09 0A 00 00") + std::string{char(msg_id >> 8), char(msg_id & 0xFF)} + "m/1"; }
Bytes regack(std::uint16_t topic, std::uint16_t msg_id) {
    return Bytes{0x07, 0x0B, std::uint8_t(topic >> 8), std::uint8_t(topic), std::uint8_t(msg_id >> 8), std::uint8_t(msg_id), 0x00};
}
// PUBLISH: Length, 0x0C, Flags, TopicId, MsgId, Data (§5.4.12); flags 0x20 QoS 1, 0xA0 DUP + QoS 1
Bytes pub(std::uint8_t flags, std::uint16_t topic, std::uint16_t msg_id, std::string_view data) {
    return Bytes{std::uint8_t(7 + data.size()), 0x0C, flags, std::uint8_t(topic >> 8), std::uint8_t(topic), std::uint8_t(msg_id >> 8),
                 std::uint8_t(msg_id)} + data;
}
Bytes puback(std::uint16_t topic, std::uint16_t msg_id, std::uint8_t rc = 0) {
    return Bytes{0x07, 0x0D, std::uint8_t(topic >> 8), std::uint8_t(topic), std::uint8_t(msg_id >> 8), std::uint8_t(msg_id), rc};
}
const Bytes kDisconnect = hex("02 18");

std::vector<Bytes> sent(const PollResult& r) {
    std::vector<Bytes> v;
    for (const auto& d : r.send) v.push_back(d.bytes);
    return v;
}

}  // namespace

TEST(MqttsnClient, BackoffIntervalsParseTheManualsFormat) {
    const auto d = parse_backoff_intervals(kDefaultReconnectBackoff);
    ASSERT_TRUE(d);
    ASSERT_EQ(d->size(), 6u);
    EXPECT_EQ((*d)[0], (BackoffInterval{0min, 5min}));
    EXPECT_EQ((*d)[5], (BackoffInterval{1300min, 1600min}));
    for (const char* bad : {"", "5", "5-1", "a-b", "1-2,", "1-2,,3-4", "-1-2", "0-600000"}) EXPECT_FALSE(parse_backoff_intervals(bad)) << bad;
}

TEST(MqttsnClient, DefaultsAreTheManuals) {
    const ClientConfig k;
    EXPECT_EQ(k.timeout, 92s);                          // §7.5 Table 12 Communication timeout default
    EXPECT_EQ(k.attempts, 2u);                          // Communication attempts default
    EXPECT_EQ(k.connection, ConnectionConfig::optimized);  // Table 11 MQTT/SN Connection default
    EXPECT_EQ(k.reconnect_backoff.size(), 6u);
    EXPECT_THROW(Client(ClientConfig{}), std::invalid_argument);  // no topic
    auto z = config(ConnectionConfig::compliant);
    z.attempts = 0;
    EXPECT_THROW((Client{z}), std::invalid_argument);
}

TEST(MqttsnClient, CompliantUploadIsConnectRegisterPublishDisconnect) {
    Client c(config(ConnectionConfig::compliant));
    const auto tag = c.publish(Bytes{'A', 'B'}, t0);
    auto r = c.poll(t0);
    EXPECT_EQ(sent(r), std::vector<Bytes>{kConnect});
    EXPECT_EQ(r.wake_at, t0 + 92s);
    EXPECT_EQ(c.state(), ClientState::connecting);
    c.on_datagram(kConnack, t0 + 1s);
    r = c.poll(t0 + 1s);
    EXPECT_EQ(sent(r), std::vector<Bytes>{reg(1)});
    EXPECT_EQ(r.wake_at, t0 + 93s);
    c.on_datagram(regack(0x0042, 1), t0 + 2s);
    r = c.poll(t0 + 2s);
    EXPECT_EQ(sent(r), std::vector<Bytes>{pub(0x20, 0x0042, 2, "AB")});
    EXPECT_FALSE(r.send[0].rai);
    c.on_datagram(puback(0x0042, 2), t0 + 3s);
    r = c.poll(t0 + 3s);
    EXPECT_EQ(sent(r), std::vector<Bytes>{kDisconnect});
    const auto ev = c.take_events();
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].kind, EventKind::delivered);
    EXPECT_EQ(ev[0].tag, tag);
    EXPECT_EQ(ev[0].at, t0 + 3s);
    c.on_datagram(kDisconnect, t0 + 4s);
    r = c.poll(t0 + 4s);
    EXPECT_TRUE(r.send.empty());
    EXPECT_FALSE(r.wake_at);
    EXPECT_EQ(c.state(), ClientState::idle);
    EXPECT_FALSE(c.has_session());
    // the next upload connects and registers again
    c.publish(Bytes{'C'}, t0 + 3600s);
    EXPECT_EQ(sent(c.poll(t0 + 3600s)), std::vector<Bytes>{kConnect});
}

TEST(MqttsnClient, UnansweredPublishIsRetransmittedWithDupAfterTheTimeoutThenFailsAndBacksOff) {
    Client c(config(ConnectionConfig::compliant));
    const auto tag = c.publish(Bytes{'X'}, t0);
    c.poll(t0);
    c.on_datagram(kConnack, t0);
    c.poll(t0);
    c.on_datagram(regack(7, 1), t0);
    auto r = c.poll(t0);
    EXPECT_EQ(sent(r), std::vector<Bytes>{pub(0x20, 7, 2, "X")});
    EXPECT_TRUE(c.poll(t0 + 91s).send.empty());
    r = c.poll(t0 + 92s);
    EXPECT_EQ(sent(r), std::vector<Bytes>{pub(0xA0, 7, 2, "X")});  // DUP 1, same MsgId (§5.3.4, §6.13)
    EXPECT_EQ(r.wake_at, t0 + 184s);
    r = c.poll(t0 + 184s);  // 2 attempts: given up
    EXPECT_TRUE(r.send.empty());
    auto ev = c.take_events();
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].kind, EventKind::failed);
    EXPECT_EQ(ev[0].tag, tag);
    EXPECT_EQ(ev[0].reason, "no PUBACK after 2 attempts");
    EXPECT_EQ(c.state(), ClientState::backing_off);
    ASSERT_TRUE(r.wake_at);
    EXPECT_GE(*r.wake_at, t0 + 184s);           // first interval 0–5 minutes
    EXPECT_LE(*r.wake_at, t0 + 184s + 5min);
    // a payload queued during the back-off waits for its end, then connects
    c.publish(Bytes{'Y'}, t0 + 185s);
    if (*r.wake_at > t0 + 185s) {
        EXPECT_TRUE(c.poll(t0 + 185s).send.empty());
    }
    const auto end1 = *r.wake_at;
    EXPECT_EQ(sent(c.poll(end1)), std::vector<Bytes>{kConnect});
    // CONNECT unanswered twice: the second failure in a row draws from 5–15 minutes
    c.poll(end1 + 92s);
    r = c.poll(end1 + 184s);
    ev = c.take_events();
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].reason, "no CONNACK after 2 attempts");
    EXPECT_EQ(c.consecutive_failures(), 2u);
    ASSERT_TRUE(r.wake_at);
    EXPECT_GE(*r.wake_at, end1 + 184s + 5min);
    EXPECT_LE(*r.wake_at, end1 + 184s + 15min);
}

TEST(MqttsnClient, BackoffDrawsSpreadOverTheInterval) {
    // 200 first failures with different seeds: every draw inside 0–300 s, not all the same
    std::vector<Duration> draws;
    for (std::uint64_t seed = 1; seed <= 200; ++seed) {
        auto k = config(ConnectionConfig::compliant);
        k.seed = seed;
        k.attempts = 1;
        Client c(k);
        c.publish(Bytes{'x'}, t0);
        c.poll(t0);
        const auto r = c.poll(t0 + 92s);
        draws.push_back(*r.wake_at - (t0 + 92s));
    }
    EXPECT_TRUE(std::all_of(draws.begin(), draws.end(), [](Duration d) { return d >= 0s && d <= 300s; }));
    EXPECT_GT(*std::max_element(draws.begin(), draws.end()) - *std::min_element(draws.begin(), draws.end()), 200s);
}

TEST(MqttsnClient, OptimizedKeepsTheSessionAndReconnectsWhenTheGatewayForgotIt) {
    Client c(config(ConnectionConfig::optimized));
    c.publish(Bytes{'1'}, t0);
    c.poll(t0);
    c.on_datagram(kConnack, t0);
    c.poll(t0);
    c.on_datagram(regack(9, 1), t0);
    c.poll(t0);
    c.on_datagram(puback(9, 2), t0 + 1s);
    auto r = c.poll(t0 + 1s);
    EXPECT_TRUE(r.send.empty());  // no DISCONNECT
    EXPECT_TRUE(c.has_session());
    // the next upload: straight PUBLISH on topic id 9
    c.publish(Bytes{'2'}, t0 + 3600s);
    EXPECT_EQ(sent(c.poll(t0 + 3600s)), std::vector<Bytes>{pub(0x20, 9, 3, "2")});
    // the gateway dropped the session: PUBACK "Rejected: invalid topic ID" → CONNECT, REGISTER, PUBLISH
    c.on_datagram(puback(9, 3, 0x02), t0 + 3601s);
    EXPECT_EQ(sent(c.poll(t0 + 3601s)), std::vector<Bytes>{kConnect});
    c.on_datagram(kConnack, t0 + 3602s);
    EXPECT_EQ(sent(c.poll(t0 + 3602s)), std::vector<Bytes>{reg(4)});
    c.on_datagram(regack(11, 4), t0 + 3603s);
    EXPECT_EQ(sent(c.poll(t0 + 3603s)), std::vector<Bytes>{pub(0x20, 11, 5, "2")});
    c.on_datagram(puback(11, 5), t0 + 3604s);
    c.poll(t0 + 3604s);
    const auto ev = c.take_events();
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_EQ(ev[1].kind, EventKind::delivered);
}

TEST(MqttsnClient, RaiMarksTheQos1Publish) {
    auto k = config(ConnectionConfig::compliant);
    k.rai = true;
    Client c(k);
    c.publish(Bytes{'r'}, t0);
    auto r = c.poll(t0);
    EXPECT_FALSE(r.send[0].rai);  // CONNECT
    c.on_datagram(kConnack, t0);
    EXPECT_FALSE(c.poll(t0).send[0].rai);  // REGISTER
    c.on_datagram(regack(1, 1), t0);
    r = c.poll(t0);
    EXPECT_EQ(sent(r), std::vector<Bytes>{pub(0x20, 1, 2, "r")});
    EXPECT_TRUE(r.send[0].rai);
}

TEST(MqttsnClient, Faults) {
    {  // QoS 0: Flags 0x00, MsgId 0x0000, "delivered" with no PUBACK
        auto k = config(ConnectionConfig::optimized);
        k.faults.qos0 = true;
        Client c(k);
        c.publish(Bytes{'q'}, t0);
        c.poll(t0);
        c.on_datagram(kConnack, t0);
        c.poll(t0);
        c.on_datagram(regack(3, 1), t0);
        EXPECT_EQ(sent(c.poll(t0)), std::vector<Bytes>{pub(0x00, 3, 0, "q")});
        EXPECT_EQ(c.take_events().at(0).kind, EventKind::delivered);
    }
    {  // no retransmission: one PUBLISH, failed at the timeout
        auto k = config(ConnectionConfig::optimized);
        k.faults.no_retransmission = true;
        Client c(k);
        c.publish(Bytes{'n'}, t0);
        c.poll(t0);
        c.on_datagram(kConnack, t0);
        c.poll(t0);
        c.on_datagram(regack(3, 1), t0);
        c.poll(t0);
        EXPECT_TRUE(c.poll(t0 + 92s).send.empty());
        EXPECT_EQ(c.take_events().at(0).reason, "no PUBACK after 1 attempt");
    }
    {  // wrong DUP: the retransmission keeps DUP 0
        auto k = config(ConnectionConfig::optimized);
        k.faults.wrong_dup = true;
        Client c(k);
        c.publish(Bytes{'d'}, t0);
        c.poll(t0);
        c.on_datagram(kConnack, t0);
        c.poll(t0);
        c.on_datagram(regack(3, 1), t0);
        c.poll(t0);
        EXPECT_EQ(sent(c.poll(t0 + 92s)), std::vector<Bytes>{pub(0x20, 3, 2, "d")});
    }
    {  // no REGISTER: PUBLISH right after CONNACK on topic id 1
        auto k = config(ConnectionConfig::optimized);
        k.faults.no_register = true;
        Client c(k);
        c.publish(Bytes{'u'}, t0);
        c.poll(t0);
        c.on_datagram(kConnack, t0);
        EXPECT_EQ(sent(c.poll(t0)), std::vector<Bytes>{pub(0x20, 1, 1, "u")});
    }
}

TEST(MqttsnClient, IgnoresWhatItDidNotAskFor) {
    Client c(config(ConnectionConfig::compliant));
    c.publish(Bytes{'i'}, t0);
    c.poll(t0);
    c.on_datagram(hex("02 03"), t0);                 // reserved MsgType
    c.on_datagram(hex(""), t0);                      // empty
    c.on_datagram(regack(1, 1), t0);                 // a REGACK while connecting
    EXPECT_EQ(c.ignored_datagrams(), 3u);
    EXPECT_EQ(c.state(), ClientState::connecting);
}

// ------------------------------------------------------------------------------------ gateway

TEST(MqttsnGateway, AnswersAClientsSessionAsTheSpecSays) {
    Gateway g;
    const std::string peer = "10.0.0.2:50000";
    EXPECT_EQ(g.on_datagram(peer, kConnect, t0), std::vector<Bytes>{kConnack});
    EXPECT_TRUE(g.connected(peer));
    EXPECT_EQ(g.on_datagram(peer, reg(1), t0 + 1s), std::vector<Bytes>{regack(1, 1)});  // first topic id 1
    EXPECT_EQ(g.on_datagram(peer, pub(0x20, 1, 2, "AB"), t0 + 2s), std::vector<Bytes>{puback(1, 2)});
    EXPECT_EQ(g.on_datagram(peer, hex("01 00 04 16"), t0 + 3s), std::vector<Bytes>{hex("02 17")});  // PINGREQ (3-octet Length) → PINGRESP
    EXPECT_EQ(g.on_datagram(peer, kDisconnect, t0 + 4s), std::vector<Bytes>{kDisconnect});
    EXPECT_FALSE(g.connected(peer));
    EXPECT_EQ(g.on_datagram(peer, hex("03 01 00"), t0 + 5s), std::vector<Bytes>{hex("03 02 01")});  // SEARCHGW → GWINFO
    EXPECT_TRUE(g.findings().empty());
    ASSERT_EQ(g.uplinks().size(), 6u);
    const auto& p = g.uplinks()[2];
    EXPECT_EQ(p.at, t0 + 2s);
    EXPECT_EQ(p.type, MsgType::publish);
    EXPECT_EQ(p.msg_id, 2);
    EXPECT_FALSE(p.dup);
    EXPECT_EQ(p.qos, QoS::qos1);
    EXPECT_EQ(p.topic_id, 1);
    EXPECT_EQ(p.topic, "m/1");
    EXPECT_EQ(p.data, (Bytes{'A', 'B'}));
    EXPECT_EQ(p.client_id, "cmi6110");
    EXPECT_EQ(g.topic_id_of("m/1"), 1);
    EXPECT_FALSE(g.uplinks()[2].three_octet_length);
    EXPECT_TRUE(g.uplinks()[3].three_octet_length);
}

TEST(MqttsnGateway, RegisterWhenNoTopicIdIsLeftIsRejectedCongestion) {
    // every topic id but 0xFFFE pre-defined: the first REGISTER gets 0xFFFE, the next "Rejected:
    // congestion" (§5.4.11: REGACK Length 7, 0x0B, TopicId, MsgId, ReturnCode 0x01) and no loop
    GatewayConfig cfg;
    for (unsigned id = 1; id <= 0xFFFD; ++id) cfg.predefined_topics.emplace(static_cast<std::uint16_t>(id), "p");
    Gateway g(cfg);
    EXPECT_EQ(g.on_datagram("p", kConnect, t0), std::vector<Bytes>{kConnack});
    EXPECT_EQ(g.on_datagram("p", hex("07 0A 00 00 00 01 61"), t0), std::vector<Bytes>{hex("07 0B FF FE 00 01 00")});
    EXPECT_EQ(g.on_datagram("p", hex("07 0A 00 00 00 02 62"), t0), std::vector<Bytes>{hex("07 0B 00 00 00 02 01")});
    EXPECT_EQ(g.on_datagram("p", hex("07 0A 00 00 00 03 61"), t0), std::vector<Bytes>{hex("07 0B FF FE 00 03 00")});  // known: its id
}

TEST(MqttsnGateway, WillFlowAsksForTopicAndMessage) {
    Gateway g;
    EXPECT_EQ(g.on_datagram("p", hex("07 04 0C 01 00 3C 41"), t0), std::vector<Bytes>{hex("02 06")});  // WILLTOPICREQ
    EXPECT_FALSE(g.connected("p"));
    EXPECT_EQ(g.on_datagram("p", hex("04 07 20 77"), t0), std::vector<Bytes>{hex("02 08")});  // WILLMSGREQ
    EXPECT_EQ(g.on_datagram("p", hex("03 09 21"), t0), std::vector<Bytes>{kConnack});
    EXPECT_TRUE(g.connected("p"));
    EXPECT_EQ(g.on_datagram("p", hex("03 09 21"), t0), std::vector<Bytes>{});
    ASSERT_EQ(g.findings().size(), 1u);
    EXPECT_EQ(violation_name(g.findings()[0].violation), "unexpected_will_message");
}

TEST(MqttsnGateway, NamesEachViolation) {
    auto names = [](const Gateway& g) {
        std::vector<std::string> v;
        for (const auto& f : g.findings()) v.emplace_back(violation_name(f.violation));
        return v;
    };
    {
        Gateway g;
        // PUBLISH before CONNECT: PUBACK "Rejected: invalid topic ID"
        EXPECT_EQ(g.on_datagram("p", pub(0x20, 1, 1, "x"), t0), std::vector<Bytes>{puback(1, 1, 0x02)});
        EXPECT_EQ(g.on_datagram("p", reg(1), t0), std::vector<Bytes>{hex("07 0B 00 00 00 01 03")});
        g.on_datagram("p", kConnect, t0);
        EXPECT_EQ(g.on_datagram("p", pub(0x20, 5, 2, "x"), t0), std::vector<Bytes>{puback(5, 2, 0x02)});  // not registered
        g.on_datagram("p", reg(3), t0);
        g.on_datagram("p", pub(0x20, 1, 4, "x"), t0);
        g.on_datagram("p", pub(0x20, 1, 4, "x"), t0 + 92s);   // again with DUP 0
        g.on_datagram("p", pub(0xA0, 1, 4, "x"), t0 + 184s);  // with DUP 1: fine
        g.on_datagram("p", pub(0x20, 1, 0, "x"), t0);         // MsgId 0
        g.on_datagram("p", pub(0x80, 1, 0, "x"), t0);         // QoS 0 with DUP
        g.on_datagram("p", hex("09 0A 00 07 00 09") + "m/1", t0);  // REGISTER TopicId ≠ 0
        g.on_datagram("p", hex("07 0C 60 00 01 00 00"), t0);  // QoS -1, normal topic id
        g.on_datagram("p", kConnack, t0);                     // CONNACK from a client
        g.on_datagram("p", hex("07 0C 20 00"), t0);           // truncated
        EXPECT_EQ(names(g), (std::vector<std::string>{"publish_before_connect", "register_before_connect", "unknown_topic_id",
                                                      "reused_msg_id_without_dup", "msg_id_zero", "dup_with_qos0",
                                                      "register_topic_id_not_zero", "qos_minus1_normal_topic",
                                                      "gateway_message_from_client", "undecodable"}));
        EXPECT_EQ(g.findings().back().detail, "truncated at byte 4: PUBLISH Length 7 but 4 octets");
        EXPECT_EQ(g.findings().back().uplink, g.uplinks().size() - 1);
        EXPECT_FALSE(g.uplinks().back().type);
    }
    {
        Gateway g;
        g.on_datagram("p", hex("1E 04 04 01 00 00") + std::string(24, 'c'), t0);  // 24 characters
        g.on_datagram("q", hex("06 04 04 01 00 0A"), t0);                         // none, Duration 10 s
        EXPECT_EQ(g.poll(t0 + 15s), t0 + 15s);  // 1.5 × 10 s
        EXPECT_TRUE(g.connected("q"));
        g.poll(t0 + 15s + 1us);
        EXPECT_FALSE(g.connected("q"));
        EXPECT_EQ(names(g), (std::vector<std::string>{"client_id_length", "client_id_length", "keep_alive_lapsed"}));
    }
}

TEST(MqttsnGateway, WithheldPubackProvokesTheClientsRetransmission) {
    // client and gateway on one simulated clock: the gateway withholds the first PUBACK of each
    // PUBLISH; the client resends after its 92 s with DUP 1 and the same MsgId, and is answered
    for (const bool wrong_dup : {false, true}) {
        SCOPED_TRACE(wrong_dup ? "wrong DUP" : "DUP");
        auto k = config(ConnectionConfig::compliant);
        k.faults.wrong_dup = wrong_dup;
        Client c(k);
        GatewayConfig gk;
        gk.withhold_pubacks = 1;
        Gateway g(gk);
        c.publish(Bytes{'z'}, t0);
        TimePoint now = t0;
        for (int i = 0; i < 20; ++i) {  // send what the client has now; when it has nothing, go to its wake-up
            auto r = c.poll(now);
            for (const auto& d : r.send)
                for (const auto& reply : g.on_datagram("dut", d.bytes, now)) c.on_datagram(reply, now);
            if (!r.send.empty()) continue;
            if (c.state() == ClientState::idle || !r.wake_at) break;
            now = *r.wake_at;
        }
        std::vector<const Uplink*> pubs;
        for (const auto& u : g.uplinks())
            if (u.type == MsgType::publish) pubs.push_back(&u);
        ASSERT_EQ(pubs.size(), 2u);
        EXPECT_EQ(pubs[1]->at - pubs[0]->at, 92s);
        EXPECT_EQ(pubs[0]->msg_id, pubs[1]->msg_id);
        EXPECT_FALSE(pubs[0]->dup);
        EXPECT_EQ(pubs[1]->dup, !wrong_dup);
        EXPECT_EQ(c.take_events().at(0).kind, EventKind::delivered);
        EXPECT_EQ(g.findings().size(), wrong_dup ? 1u : 0u);
        if (wrong_dup) {
            EXPECT_EQ(violation_name(g.findings()[0].violation), "reused_msg_id_without_dup");
        }
        EXPECT_EQ(g.uplinks().back().type, MsgType::disconnect);
    }
}

TEST(MqttsnGateway, OptimizedClientAfterTheGatewayLostItsSessionRecovers) {
    Client c(config(ConnectionConfig::optimized));
    Gateway g;
    auto run = [&](TimePoint now) {
        for (int i = 0; i < 20; ++i) {
            auto r = c.poll(now);
            if (r.send.empty()) break;
            for (const auto& d : r.send)
                for (const auto& reply : g.on_datagram("dut", d.bytes, now)) c.on_datagram(reply, now);
        }
    };
    c.publish(Bytes{'1'}, t0);
    run(t0);
    c.publish(Bytes{'2'}, t0 + 3600s);
    run(t0 + 3600s);
    EXPECT_TRUE(g.findings().empty());  // the kept session: PUBLISH straight away is fine
    g.forget_session("dut");
    c.publish(Bytes{'3'}, t0 + 7200s);
    run(t0 + 7200s);
    const auto ev = c.take_events();
    ASSERT_EQ(ev.size(), 3u);
    EXPECT_TRUE(std::all_of(ev.begin(), ev.end(), [](const Event& e) { return e.kind == EventKind::delivered; }));
    ASSERT_EQ(g.findings().size(), 1u);
    EXPECT_EQ(violation_name(g.findings()[0].violation), "publish_before_connect");
    std::vector<MsgType> types;
    for (const auto& u : g.uplinks()) types.push_back(*u.type);
    using M = MsgType;
    EXPECT_EQ(types, (std::vector<M>{M::connect, M::register_, M::publish, M::publish, M::publish, M::connect, M::register_, M::publish}));
}

TEST(MqttsnGateway, TsharkReadsTheClientsRetransmissionInASessionCapture) {
    // a Compliant upload whose first PUBACK the gateway withholds, captured both ways: Wireshark's
    // dissector sees CONNECT, CONNACK, REGISTER, REGACK, PUBLISH (DUP 0), PUBLISH (DUP 1, same
    // MsgId, 92 s later), PUBACK, DISCONNECT, DISCONNECT
    Client c(config(ConnectionConfig::compliant));
    GatewayConfig gk;
    gk.withhold_pubacks = 1;
    Gateway g(gk);
    std::vector<metercert::mqttsn::testing::CapturedDatagram> cap;
    c.publish(Bytes{'h', 'i'}, t0);
    TimePoint now = t0;
    for (int i = 0; i < 20; ++i) {
        auto r = c.poll(now);
        const auto second = static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(now - t0).count());
        for (const auto& d : r.send) {
            cap.push_back({d.bytes, true, second});
            for (const auto& reply : g.on_datagram("dut", d.bytes, now)) {
                cap.push_back({reply, false, second});
                c.on_datagram(reply, now);
            }
        }
        if (!r.send.empty()) continue;
        if (c.state() == ClientState::idle || !r.wake_at) break;
        now = *r.wake_at;
    }
    const auto t = metercert::mqttsn::testing::tshark_mqttsn(cap);
    if (!t) GTEST_SKIP() << "tshark not installed (ci/setup installs it)";
    std::vector<std::string> types, dups, ids;
    for (const auto& m : *t) {
        types.push_back(metercert::mqttsn::testing::field(m, "mqttsn.msg.type"));
        if (types.back() == "0x0c") {
            dups.push_back(metercert::mqttsn::testing::field(m, "mqttsn.dup"));
            ids.push_back(metercert::mqttsn::testing::field(m, "mqttsn.msg.id"));
            EXPECT_EQ(metercert::mqttsn::testing::field(m, "mqttsn.qos"), "0x01");
        }
    }
    EXPECT_EQ(types, (std::vector<std::string>{"0x04", "0x05", "0x0a", "0x0b", "0x0c", "0x0c", "0x0d", "0x18", "0x18"}));
    EXPECT_EQ(dups, (std::vector<std::string>{"0", "1"}));
    ASSERT_EQ(ids.size(), 2u);
    EXPECT_EQ(ids[0], ids[1]);
    EXPECT_EQ(cap[5].second - cap[4].second, 92u);
}

// GatewayConfig::uplink_limit and ended_session_limit (long soaks): the records are capped, the
// totals exact, and a Finding's `uplink` counts from the first datagram ever.
TEST(MqttsnGateway, LimitsCapTheRecordsAndTheEndedSessions) {
    // CONNECT with CleanSession 0 (Flags 0x00, §5.3.4): the registered topics survive a DISCONNECT
    const Bytes keep = hex("0D 04 00 01 00 00") + "cmi6110";
    auto run = [&](std::size_t limit) {
        GatewayConfig cfg;
        cfg.uplink_limit = limit;
        cfg.ended_session_limit = limit;
        Gateway g(cfg);
        g.on_datagram("p", keep, t0);
        EXPECT_EQ(g.on_datagram("p", reg(1), t0), std::vector<Bytes>{regack(1, 1)});
        g.on_datagram("p", kDisconnect, t0 + 1s);
        for (const char* other : {"q", "r"}) {  // two later sessions end after p's
            g.on_datagram(other, kConnect, t0 + 2s);
            g.on_datagram(other, kDisconnect, t0 + 3s);
        }
        g.on_datagram("p", keep, t0 + 4s);
        return std::pair{g.on_datagram("p", pub(0x20, 1, 2, "x"), t0 + 4s), std::move(g)};
    };
    {
        auto [acks, g] = run(0);  // p's session kept: topic 1 is still p's
        EXPECT_EQ(acks, std::vector<Bytes>{puback(1, 2, 0x00)});
        EXPECT_EQ(g.uplinks().size(), 9u);
        EXPECT_EQ(g.uplinks_seen(), 9u);
    }
    {
        auto [acks, g] = run(1);  // 3 ended sessions ≥ 2 × 1: p's, the oldest, is gone
        EXPECT_EQ(acks, std::vector<Bytes>{puback(1, 2, 0x02)});  // Rejected: invalid topic ID (§5.4.13)
        EXPECT_EQ(g.uplinks_seen(), 9u);
        EXPECT_GE(g.uplinks().size(), 1u);
        EXPECT_LE(g.uplinks().size(), 2u);
        EXPECT_EQ(g.uplinks().size() + g.uplinks_dropped(), 9u);
        EXPECT_EQ(g.uplinks().back().type, MsgType::publish);
        ASSERT_FALSE(g.findings().empty());  // unknown_topic_id on the 9th datagram
        EXPECT_EQ(g.findings().back().uplink, 8u);
        EXPECT_EQ(g.uplinks()[g.findings().back().uplink - g.uplinks_dropped()].type, MsgType::publish);
    }
}

// GatewayConfig::ended_session_limit also forgets the topic names only dropped sessions had
// registered (a soak whose every client registers a topic of its own: lwm2m_bench), and keeps the
// topics of the kept and the connected sessions.
TEST(MqttsnGateway, DroppedSessionsTakeTheirOwnTopicsWithThem) {
    GatewayConfig cfg;
    cfg.ended_session_limit = 1;
    Gateway g(cfg);
    // REGISTER "t/<n>": Length 6 + 3, 0x0A, TopicId 0x0000, MsgId 1 (§5.4.10)
    auto reg_topic = [](int n) { return hex("09 0A 00 00 00 01") + "t/" + std::to_string(n); };
    g.on_datagram("live", kConnect, t0);
    ASSERT_EQ(g.on_datagram("live", reg_topic(0), t0).size(), 1u);
    for (int n = 1; n <= 4; ++n) {
        const std::string peer = "p" + std::to_string(n);
        g.on_datagram(peer, kConnect, t0 + std::chrono::seconds(n));
        ASSERT_EQ(g.on_datagram(peer, reg_topic(n), t0 + std::chrono::seconds(n)).size(), 1u);
        g.on_datagram(peer, kDisconnect, t0 + std::chrono::seconds(n));
    }
    // 4 sessions ended ≥ 2 × 1 at the 2nd and 4th: p1-p3 dropped, p4 (the last ended) and "live" kept
    EXPECT_TRUE(g.topic_id_of("t/0"));
    EXPECT_TRUE(g.topic_id_of("t/4"));
    for (int n = 1; n <= 3; ++n) EXPECT_FALSE(g.topic_id_of("t/" + std::to_string(n))) << n;
    // the connected session's topic still publishes (PUBACK accepted, §5.4.13)
    const auto id = *g.topic_id_of("t/0");
    EXPECT_EQ(g.on_datagram("live", pub(0x20, id, 2, "x"), t0 + 5s), std::vector<Bytes>{puback(id, 2, 0x00)});

    GatewayConfig keep_all;  // 0: every session and topic kept (the cases' default)
    Gateway h(keep_all);
    for (int n = 1; n <= 4; ++n) {
        const std::string peer = "p" + std::to_string(n);
        h.on_datagram(peer, kConnect, t0);
        h.on_datagram(peer, reg_topic(n), t0);
        h.on_datagram(peer, kDisconnect, t0);
    }
    for (int n = 1; n <= 4; ++n) EXPECT_TRUE(h.topic_id_of("t/" + std::to_string(n))) << n;
}
