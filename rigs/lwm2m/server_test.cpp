// The suite's servers (rigs/lwm2m/server.cpp) with Options::record_limit: the records kept in
// memory are capped at the last ones while counters() stays exact. The clients here are plain UDP
// sockets sending datagrams built by hand from the standards, so every count is known on the
// client side, independently of the servers:
//   CoAP (RFC 7252 §3: header 0x40 = Ver 1, CON, TKL 0; §3.1 option deltas; §5.10 Uri-Path 11,
//     Content-Format 12, Uri-Query 15, Location-Path 8; codes POST 0.02, DELETE 0.04, 2.01 = 0x41,
//     2.02 = 0x42) carrying LwM2M TS 1.1 §5.3 Register POST /rd?ep=&lt= with a link-format payload
//     (Content-Format 40) and De-register DELETE /rd/<Location-Path>;
//   Update POST /rd/<Location-Path> (2.04 = 0x44, 4.04 = 0x84);
//   MQTT-SN 1.2 §5.4: CONNECT 0x04 (Flags, ProtocolId 0x01, Duration, ClientId), REGISTER 0x0A,
//     REGACK 0x0B, PUBLISH 0x0C (Flags: DUP 0x80, QoS 1 0x20), PUBACK 0x0D, DISCONNECT 0x18.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "metercert/rigs/lwm2m/server.hpp"

namespace {

using namespace metercert::rigs;
using Bytes = std::vector<std::uint8_t>;
using namespace std::chrono_literals;

// A loopback UDP socket that counts what it sends and receives
struct Udp {
    int fd = -1;
    sockaddr_in to{};
    unsigned sent = 0, received = 0;
    explicit Udp(std::uint16_t port) {
        fd = ::socket(AF_INET, SOCK_DGRAM, 0);
        to.sin_family = AF_INET;
        to.sin_port = htons(port);
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
    ~Udp() { ::close(fd); }
    Udp(const Udp&) = delete;
    Udp& operator=(const Udp&) = delete;
    Bytes exchange(const Bytes& out) {  // sends, waits ≤ 2 s for the answer
        ::sendto(fd, out.data(), out.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
        ++sent;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 2000) != 1) return {};
        Bytes in(2048);
        const auto n = ::recv(fd, in.data(), in.size(), 0);
        if (n <= 0) return {};
        ++received;
        in.resize(static_cast<std::size_t>(n));
        return in;
    }
};

void option(Bytes& b, unsigned& last, unsigned number, const std::string& value) {  // RFC 7252 §3.1, values < 13 octets
    b.push_back(static_cast<std::uint8_t>((number - last) << 4 | value.size()));
    b.insert(b.end(), value.begin(), value.end());
    last = number;
}

Bytes coap_register(std::uint16_t mid, const std::string& ep) {
    Bytes b{0x40, 0x02, static_cast<std::uint8_t>(mid >> 8), static_cast<std::uint8_t>(mid)};
    unsigned last = 0;
    option(b, last, 11, "rd");
    option(b, last, 12, std::string(1, '\x28'));  // Content-Format 40
    option(b, last, 15, "ep=" + ep);
    option(b, last, 15, "lt=60");
    const std::string links = "</3/0>";
    b.push_back(0xFF);
    b.insert(b.end(), links.begin(), links.end());
    return b;
}

Bytes coap_deregister(std::uint16_t mid, const std::vector<std::string>& location) {
    Bytes b{0x40, 0x04, static_cast<std::uint8_t>(mid >> 8), static_cast<std::uint8_t>(mid)};
    unsigned last = 0;
    for (const auto& seg : location) option(b, last, 11, seg);
    return b;
}

// The Location-Path options of a response without token (values < 13 octets, deltas < 13)
std::vector<std::string> location_path(const Bytes& r) {
    std::vector<std::string> out;
    std::size_t i = 4 + (r.at(0) & 0x0F);
    unsigned number = 0;
    while (i < r.size() && r[i] != 0xFF) {
        number += r[i] >> 4;
        const std::size_t len = r[i] & 0x0F;
        if (number == 8) out.emplace_back(r.begin() + static_cast<std::ptrdiff_t>(i + 1), r.begin() + static_cast<std::ptrdiff_t>(i + 1 + len));
        i += 1 + len;
    }
    return out;
}

Bytes sn(std::uint8_t type, const Bytes& body) {  // MQTT-SN 1.2 §5.2: 1-octet Length, MsgType, body
    Bytes b{static_cast<std::uint8_t>(2 + body.size()), type};
    for (const auto x : body) b.push_back(x);
    return b;
}

TEST(Lwm2mServers, RecordLimitCapsTheRecordsAndTheCountersStayExact) {
    lwm2m::Servers::Options o;
    o.bootstrap = false;
    o.dm = true;
    o.mqttsn = true;
    o.lifetime = 30s;
    o.record_limit = 3;
    lwm2m::Servers servers(o);

    // 4 LwM2M clients: Register (2.01 with a Location-Path), then De-register it (2.02)
    unsigned coap_sent = 0, coap_received = 0;
    for (int k = 0; k < 4; ++k) {
        Udp c(servers.dm_port());
        const Bytes created = c.exchange(coap_register(static_cast<std::uint16_t>(100 + k), "lim-" + std::to_string(k)));
        ASSERT_GE(created.size(), 4u);
        ASSERT_EQ(created[1], 0x41) << "Register answered 2.01";
        const auto loc = location_path(created);
        ASSERT_EQ(loc.size(), 2u);
        EXPECT_EQ(loc[0], "rd");
        const Bytes deleted = c.exchange(coap_deregister(static_cast<std::uint16_t>(200 + k), loc));
        ASSERT_GE(deleted.size(), 2u);
        EXPECT_EQ(deleted[1], 0x42) << "De-register answered 2.02";
        coap_sent += c.sent;
        coap_received += c.received;
    }

    // 5 MQTT-SN clients: CONNECT, REGISTER, PUBLISH QoS 1 (MsgId 1, 2), PUBLISH MsgId 2 again with
    // DUP, DISCONNECT; each answered (CONNACK, REGACK, PUBACK ×3, DISCONNECT)
    unsigned sn_sent = 0, sn_received = 0;
    for (int k = 0; k < 5; ++k) {
        Udp c(servers.mqttsn_port());
        const std::string id = "limit-c" + std::to_string(k);
        Bytes connect{0x04, 0x01, 0x00, 0x3C};  // Flags CleanSession, ProtocolId 1, Duration 60 s
        connect.insert(connect.end(), id.begin(), id.end());
        const Bytes connack = c.exchange(sn(0x04, connect));
        ASSERT_EQ(connack, (Bytes{0x03, 0x05, 0x00}));  // CONNACK accepted
        const std::string topic = "metercert/limit";
        Bytes reg{0x00, 0x00, 0x00, 0x01};  // TopicId 0, MsgId 1
        reg.insert(reg.end(), topic.begin(), topic.end());
        const Bytes regack = c.exchange(sn(0x0A, reg));
        ASSERT_EQ(regack.size(), 7u);
        ASSERT_EQ(regack[1], 0x0B);
        ASSERT_EQ(regack[6], 0x00);  // accepted
        for (const auto& [flags, mid] : std::vector<std::pair<std::uint8_t, std::uint8_t>>{{0x20, 1}, {0x20, 2}, {0xA0, 2}}) {
            const Bytes puback = c.exchange(sn(0x0C, {flags, regack[2], regack[3], 0x00, mid, 'x'}));
            ASSERT_EQ(puback.size(), 7u);
            EXPECT_EQ(puback[1], 0x0D);
            EXPECT_EQ(puback[5], mid);
        }
        EXPECT_EQ(c.exchange(sn(0x18, {})), (Bytes{0x02, 0x18}));
        sn_sent += c.sent;
        sn_received += c.received;
    }
    std::this_thread::sleep_for(100ms);  // the taps record the last answers

    const auto n = servers.counters();
    EXPECT_EQ(n.registers, 4u);
    EXPECT_EQ(n.deregisters, 4u);
    EXPECT_EQ(n.updates, 0u);
    EXPECT_EQ(n.exchanges, 8u);
    EXPECT_GT(n.last_register_at_us, 0);
    EXPECT_EQ(n.datagrams_dm, coap_sent + coap_received);
    EXPECT_EQ(coap_sent + coap_received, 16u);
    EXPECT_EQ(n.uplinks, sn_sent);
    EXPECT_EQ(sn_sent, 30u);
    EXPECT_EQ(n.publishes, 10u);
    EXPECT_EQ(n.publish_dups, 5u);
    EXPECT_EQ(n.datagrams_mqttsn, sn_sent + sn_received);
    EXPECT_EQ(n.datagrams_bootstrap, 0u);

    // kept: the last ones, at least 3 and at most 6 of each kind
    const auto ups = servers.uplinks();
    EXPECT_GE(ups.size(), 3u);
    EXPECT_LE(ups.size(), 6u);
    EXPECT_EQ(ups.back().uplink.client_id, "limit-c4");
    EXPECT_EQ(ups.back().uplink.type, metercert::mqttsn::MsgType::disconnect);
    const auto ex = servers.exchanges();
    EXPECT_GE(ex.size(), 3u);
    EXPECT_LE(ex.size(), 6u);
    EXPECT_EQ(ex.back().operation, "deregister");
    EXPECT_EQ(ex.back().endpoint, "lim-3");
    const auto regs = servers.registrations();
    EXPECT_GE(regs.size(), 3u);
    EXPECT_LE(regs.size(), 6u);
    EXPECT_EQ(regs.back().endpoint, "lim-3");
    EXPECT_TRUE(regs.back().deregistered);
    std::size_t dm = 0, mq = 0;
    for (const auto& [name, d] : servers.datagrams()) ++(name == "dm" ? dm : mq);
    EXPECT_GE(dm, 3u);
    EXPECT_LE(dm, 6u);
    EXPECT_GE(mq, 3u);
    EXPECT_LE(mq, 6u);
    servers.stop();
}

TEST(Lwm2mServers, WithoutRecordLimitEveryRecordIsKept) {
    lwm2m::Servers::Options o;
    o.bootstrap = false;
    o.dm = true;
    o.mqttsn = true;
    o.lifetime = 30s;
    lwm2m::Servers servers(o);
    for (int k = 0; k < 4; ++k) {
        Udp c(servers.mqttsn_port());
        const std::string id = "keep-c" + std::to_string(k);
        Bytes connect{0x04, 0x01, 0x00, 0x3C};
        connect.insert(connect.end(), id.begin(), id.end());
        ASSERT_EQ(c.exchange(sn(0x04, connect)), (Bytes{0x03, 0x05, 0x00}));
        EXPECT_EQ(c.exchange(sn(0x18, {})), (Bytes{0x02, 0x18}));
    }
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(servers.counters().uplinks, 8u);
    EXPECT_EQ(servers.uplinks().size(), 8u);
    EXPECT_EQ(servers.datagrams().size(), 16u);
    EXPECT_EQ(servers.counters().datagrams_mqttsn, 16u);
}

// Update (LwM2M TS 1.1 §6.2.2): CON POST /rd/<location>, no payload
Bytes coap_update(std::uint16_t mid, const std::vector<std::string>& location) {
    Bytes b{0x40, 0x02, static_cast<std::uint8_t>(mid >> 8), static_cast<std::uint8_t>(mid)};
    unsigned last = 0;
    for (const auto& seg : location) option(b, last, 11, seg);
    return b;
}

// discard() (OMA ETS LightweightM2M-1.1-int-105): the next Update is answered 4.04 Not Found (code
// byte 0x84, RFC 7252 §12.1.2) and ends the registration; later ones likewise; a new Register of the
// endpoint gets a new location whose Update is answered 2.04 (0x44)
TEST(Lwm2mServers, DiscardAnswersTheNextUpdate404AndANewRegisterWorks) {
    lwm2m::Servers::Options o;
    o.bootstrap = false;
    o.dm = true;
    o.lifetime = 30s;
    lwm2m::Servers servers(o);
    Udp c(servers.dm_port());
    const auto created = c.exchange(coap_register(1, "ep-105"));
    ASSERT_GE(created.size(), 4u);
    EXPECT_EQ(created[1], 0x41);
    const auto loc = location_path(created);
    ASSERT_EQ(loc.size(), 2u);
    EXPECT_EQ(c.exchange(coap_update(2, loc)).at(1), 0x44);
    EXPECT_FALSE(servers.discard("nobody"));
    ASSERT_TRUE(servers.discard("ep-105"));
    EXPECT_EQ(c.exchange(coap_update(3, loc)).at(1), 0x84);
    EXPECT_EQ(c.exchange(coap_update(4, loc)).at(1), 0x84);
    EXPECT_FALSE(servers.discard("ep-105"));  // no live registration any more
    auto regs = servers.registrations();
    ASSERT_EQ(regs.size(), 1u);
    EXPECT_GT(regs[0].discarded_at_us, 0);
    EXPECT_EQ(regs[0].updates_at_us.size(), 1u);
    EXPECT_EQ(regs[0].refused_updates_at_us.size(), 2u);
    EXPECT_TRUE(regs[0].deregistered);
    EXPECT_EQ(regs[0].deregistered_at_us, regs[0].refused_updates_at_us[0]);
    unsigned refused = 0;
    for (const auto& e : servers.exchanges())
        if (e.operation == "update" && e.code == 0x84 && e.endpoint == "ep-105") ++refused;
    EXPECT_EQ(refused, 2u);
    const auto again = c.exchange(coap_register(5, "ep-105"));
    ASSERT_GE(again.size(), 4u);
    EXPECT_EQ(again[1], 0x41);
    const auto loc2 = location_path(again);
    EXPECT_NE(loc2, loc);
    EXPECT_EQ(c.exchange(coap_update(6, loc2)).at(1), 0x44);
    EXPECT_EQ(c.exchange(coap_update(7, loc)).at(1), 0x84);  // the old location stays unknown
    regs = servers.registrations();
    ASSERT_EQ(regs.size(), 2u);
    EXPECT_EQ(regs[0].refused_updates_at_us.size(), 3u);
    EXPECT_EQ(regs[1].discarded_at_us, 0);
    EXPECT_FALSE(regs[1].deregistered);
    EXPECT_EQ(servers.counters().updates, 2u);
}

}  // namespace
