// The UDP tap: CoAP retransmission measured through it (RFC 7252 §4.2, §4.8), faults, distinct
// upstream peers, and its pcap read back by tshark (a third-party dissector) as CoAP and DTLS.
// The CoAP header is decoded here by hand from RFC 7252 §3 (Ver 2 bits, T 2 bits, TKL 4 bits,
// Code, Message ID), independently of libcoap.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "metercert/rigs/clock.hpp"
#include "metercert/rigs/coap/coap.hpp"
#include "metercert/rigs/coap/log.hpp"
#include "metercert/rigs/coap/udp_tap.hpp"
#include "metercert/rigs/pcap.hpp"
#include "test_util.hpp"

using namespace metercert;
using namespace metercert::rigs::coap;
using namespace std::chrono_literals;

namespace {

const std::string kId = "urn:imei:350000000000002";
const std::string kKeyText = "tap-key-c0ffee-51d2";
const Bytes kKey(kKeyText.begin(), kKeyText.end());

// RFC 7252 §3: a CON (T = 0) request (code class 0, code ≠ 0) of version 1.
bool is_con_request(const Bytes& b) { return b.size() >= 4 && (b[0] >> 6) == 1 && ((b[0] >> 4) & 3) == 0 && b[1] != 0 && (b[1] >> 5) == 0; }
unsigned mid(const Bytes& b) { return (b[2] << 8) | b[3]; }

// Runs a server's loop on a thread until stopped (bounded).
struct Background {
    Endpoint& ep;
    std::atomic<bool> stop{false};
    std::thread t;
    explicit Background(Endpoint& e) : ep(e), t([this] { ep.run_until([this] { return stop.load(); }, 30000ms); }) {}
    ~Background() {
        stop = true;
        t.join();
    }
};

std::string run(const std::string& cmd) {
    std::string out;
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
        char buf[4096];
        while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
        ::pclose(p);
    }
    return out;
}

Response ok(const Request&, Session&) { return Response{kContent, kTextPlain, {'o', 'k'}}; }

}  // namespace

TEST(UdpTap, RetransmissionIntervalsDoubleFromAckTimeout) {
    Server server(Server::Options{});
    server.on_request(ok);
    UdpTap tap(UdpTap::Options{"127.0.0.1", 0, "127.0.0.1", server.port(), "", 20000ms});
    tap.add_fault(TapFault{TapFault::Action::drop, Flow::to_upstream, is_con_request, 1, 2, 0ms});  // the first two CONs
    Background bg(server);
    Client client(fmt::format("coap://127.0.0.1:{}", tap.port()));
    client.session().set_ack_timeout(1000ms);
    client.session().set_max_retransmit(4);
    EXPECT_EQ(client.session().ack_timeout(), 1000ms);
    const Reply r = client.session().call({Method::get, "/3/0"}, 8000ms);
    ASSERT_EQ(r.status, Reply::Status::ok) << status_name(r.status);
    EXPECT_EQ(r.response.payload, (Bytes{'o', 'k'}));
    std::vector<TapDatagram> cons;
    for (const auto& d : tap.log())
        if (d.flow == Flow::to_upstream && is_con_request(d.bytes)) cons.push_back(d);
    ASSERT_EQ(cons.size(), 3u);
    EXPECT_TRUE(cons[0].dropped);
    EXPECT_TRUE(cons[1].dropped);
    EXPECT_FALSE(cons[2].dropped);
    EXPECT_EQ(mid(cons[0].bytes), mid(cons[1].bytes));  // a retransmission keeps its Message ID (§4.2)
    EXPECT_EQ(mid(cons[1].bytes), mid(cons[2].bytes));
    const double t1 = std::chrono::duration<double>(cons[1].at - cons[0].at).count();
    const double t2 = std::chrono::duration<double>(cons[2].at - cons[1].at).count();
    // §4.2: the first timeout is random in [ACK_TIMEOUT, ACK_TIMEOUT × ACK_RANDOM_FACTOR (1.5)],
    // then doubles. Tolerance: scheduling on a loaded machine (+80 ms, −10 ms).
    EXPECT_GE(t1, 1.0 - 0.01);
    EXPECT_LE(t1, 1.5 + 0.08);
    EXPECT_NEAR(t2, 2 * t1, 0.1);
    std::printf("retransmission intervals: %.3f s, %.3f s (ACK_TIMEOUT 1 s)\n", t1, t2);
}

TEST(UdpTap, MaxRetransmitThenNoAck) {
    Server server(Server::Options{});
    server.on_request(ok);
    UdpTap tap(UdpTap::Options{"127.0.0.1", 0, "127.0.0.1", server.port(), "", 20000ms});
    tap.add_fault(TapFault{TapFault::Action::drop, Flow::to_upstream, is_con_request, 1, 1000, 0ms});
    Background bg(server);
    Client client(fmt::format("coap://127.0.0.1:{}", tap.port()));
    client.session().set_ack_timeout(1000ms);
    client.session().set_max_retransmit(1);  // CMi6110 33906/31 default (manual §7.5 Table 9)
    for (auto bad : {0ms, 999ms}) EXPECT_THROW(client.session().set_ack_timeout(bad), CoapError);
    EXPECT_THROW(client.session().set_max_retransmit(0), CoapError);
    const auto t0 = rigs::monotonic_now();
    const Reply r = client.session().call({Method::post, "/rd"}, 8000ms);
    const double took = std::chrono::duration<double>(rigs::monotonic_now() - t0).count();
    EXPECT_EQ(r.status, Reply::Status::no_ack) << status_name(r.status);
    std::size_t n = 0;
    for (const auto& d : tap.log()) n += d.flow == Flow::to_upstream && is_con_request(d.bytes);
    EXPECT_EQ(n, 2u);  // the first transmission and MAX_RETRANSMIT = 1 retransmission
    // gives up after the last timeout: T0 × (1 + 2) with T0 in [1, 1.5] s (§4.2)
    EXPECT_GE(took, 3.0 - 0.02);
    EXPECT_LE(took, 4.5 + 0.3);
    std::printf("no ACK after %.3f s (ACK_TIMEOUT 1 s, MAX_RETRANSMIT 1)\n", took);
}

TEST(UdpTap, DelayedResponseAndDistinctUpstreamPeers) {
    Server server(Server::Options{});
    std::set<std::uint16_t> seen_ports;
    std::mutex m;
    server.on_request([&](const Request& rq, Session& s) {
        std::lock_guard lock(m);
        seen_ports.insert(rq.peer.port);
        return ok(rq, s);
    });
    UdpTap tap(UdpTap::Options{"127.0.0.1", 0, "127.0.0.1", server.port(), "", 20000ms});
    tap.add_fault(TapFault{TapFault::Action::delay, Flow::to_peer, {}, 1, 1, 400ms});
    Background bg(server);
    Client a(fmt::format("coap://127.0.0.1:{}", tap.port()));
    Client b(fmt::format("coap://127.0.0.1:{}", tap.port()));
    const auto t0 = rigs::monotonic_now();
    const Reply ra = a.session().call({Method::get, "/a"}, 5000ms);
    const double took = std::chrono::duration<double>(rigs::monotonic_now() - t0).count();
    EXPECT_EQ(ra.status, Reply::Status::ok);
    EXPECT_GE(took, 0.4);
    EXPECT_EQ(b.session().call({Method::get, "/b"}, 5000ms).status, Reply::Status::ok);
    const auto log = tap.log();
    std::set<std::uint16_t> client_ports;
    int delayed = 0;
    for (const auto& d : log) {
        client_ports.insert(d.peer.port);
        delayed += d.delayed == 400ms;
    }
    EXPECT_EQ(delayed, 1);
    EXPECT_EQ(client_ports.size(), 2u);
    std::lock_guard lock(m);
    EXPECT_EQ(seen_ports.size(), 2u);  // the server saw two peers: the tap's two upstream sockets
    for (auto p : seen_ports) {
        EXPECT_EQ(client_ports.count(p), 0u);
        EXPECT_NE(p, tap.port());
    }
}

TEST(UdpTap, StopsByItself) {
    UdpTap tap(UdpTap::Options{"127.0.0.1", 0, "127.0.0.1", 9, "", 100ms});
    for (int i = 0; i < 100 && tap.running(); ++i) std::this_thread::sleep_for(20ms);
    EXPECT_FALSE(tap.running());
    try {
        UdpTap bad(UdpTap::Options{"::1", 0, "127.0.0.1", 9, "", 100ms});
        ADD_FAILURE();
    } catch (const CoapError& e) {
        EXPECT_EQ(e.kind, CoapError::Kind::bad_address);
    }
}

TEST(PcapUdp, TsharkReadsTheSynthesisedHeaders) {
    const std::string path = coap_test::temp_path("udp.pcap");
    {
        rigs::PcapUdpWriter w(path);
        // a CoAP CON GET /3 with MID 0x1234, no token (RFC 7252 §3)
        w.write(1700000000123456, {0x7F000001, 40000}, {0x7F000001, 5683}, Bytes{0x40, 0x01, 0x12, 0x34, 0xB1, '3'});
        EXPECT_EQ(w.written(), 1u);
    }
    const std::string out = run(fmt::format(
        "tshark -r {} -o ip.check_checksum:TRUE -T fields -E separator=, -e frame.time_epoch -e ip.src -e ip.dst -e ip.checksum.status "
        "-e udp.srcport -e udp.dstport -e coap.type -e coap.code -e coap.mid -e coap.opt.uri_path 2>/dev/null",
        path));
    EXPECT_EQ(out, "1700000000.123456000,127.0.0.1,127.0.0.1,1,40000,5683,0,1,4660,3\n") << out;  // checksum status 1 = good
    std::filesystem::remove(path);
}

TEST(UdpTap, PcapShowsCoapAndDtlsAndNoKey) {
    const std::string plain = coap_test::temp_path("coap.pcap"), secure = coap_test::temp_path("dtls.pcap");
    Server server(Server::Options{"127.0.0.1", 0, 0, {{kId, kKey}}});
    server.on_request(ok);
    std::uint16_t p_plain = 0, p_secure = 0;
    {
        UdpTap t1(UdpTap::Options{"127.0.0.1", 0, "127.0.0.1", server.port(), plain, 20000ms});
        UdpTap t2(UdpTap::Options{"127.0.0.1", 0, "127.0.0.1", server.dtls_port(), secure, 20000ms});
        p_plain = t1.port();
        p_secure = t2.port();
        Background bg(server);
        Client c1(fmt::format("coap://127.0.0.1:{}", t1.port()));
        EXPECT_EQ(c1.session().call({Method::get, "/3/0"}, 5000ms).status, Reply::Status::ok);
        Client c2(fmt::format("coaps://127.0.0.1:{}", t2.port()), Psk{kId, kKey});
        EXPECT_EQ(c2.session().call({Method::get, "/3/0"}, 5000ms).status, Reply::Status::ok);
    }
    const std::string coap = run(fmt::format("tshark -r {} -d udp.port=={},coap -T fields -E separator=, -e udp.dstport -e coap.code 2>/dev/null", plain, p_plain));
    EXPECT_NE(coap.find(fmt::format("{},1\n", p_plain)), std::string::npos) << coap;  // GET to the public port
    EXPECT_NE(coap.find(",69\n"), std::string::npos) << coap;                          // 2.05 back (2 << 5 | 5)
    const std::string dtls = run(fmt::format("tshark -r {} -d udp.port=={},dtls -T fields -e dtls.record.content_type 2>/dev/null", secure, p_secure));
    EXPECT_NE(dtls.find("22"), std::string::npos) << dtls;  // handshake (RFC 6347 §4.1, content type 22)
    EXPECT_NE(dtls.find("23"), std::string::npos) << dtls;  // application data
    std::string hex;
    for (auto b : kKey) hex += fmt::format("{:02x}", b);
    for (const auto& f : {plain, secure}) {
        const std::string raw = coap_test::read_file(f);
        EXPECT_EQ(raw.find(kKeyText), std::string::npos);
        EXPECT_EQ(raw.find(hex), std::string::npos);
        std::string spaced;  // tshark -x prints bytes as "6b 33 79 …"
        for (std::size_t i = 0; i < 6; ++i) spaced += fmt::format("{:02x} ", kKey[i]);
        EXPECT_EQ(run(fmt::format("tshark -r {} -x 2>/dev/null", f)).find(spaced), std::string::npos);
    }
    std::filesystem::remove(plain);
    std::filesystem::remove(secure);
}

// A keylog only when asked: NSS key log lines whose client random is the one tshark reads in the
// capture's ClientHello (RFC 5246 §7.4.1.2, 32 bytes) and a 48-byte master secret (§8.1); no
// keylog without the request; never the PSK. (Decryption by tshark itself is not asserted: tshark
// 4.0.17 reports "auth tag mismatch" on the TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256 records
// libcoap 4.3.1 with OpenSSL 3 negotiates between its own endpoints.)
TEST(UdpTap, KeylogOnlyWhenAsked) {
    const std::string pcap = coap_test::temp_path("kl.pcap"), keylog = coap_test::temp_path("keylog.txt");
    Server server(Server::Options{"127.0.0.1", std::nullopt, 0, {{kId, kKey}}});
    server.on_request(ok);
    auto exchange = [&](const std::string& path) {
        UdpTap t(UdpTap::Options{"127.0.0.1", 0, "127.0.0.1", server.dtls_port(), path, 20000ms});
        Background bg(server);
        Client c(fmt::format("coaps://127.0.0.1:{}", t.port()), Psk{kId, kKey});
        EXPECT_EQ(c.session().call({Method::get, "/3/0/0"}, 5000ms).status, Reply::Status::ok);
        return t.port();
    };
    exchange("");
    EXPECT_FALSE(std::filesystem::exists(keylog));
    set_keylog_file(keylog);
    const std::uint16_t port = exchange(pcap);
    set_keylog_file("");
    const std::string lines = coap_test::read_file(keylog);
    EXPECT_EQ(std::filesystem::status(keylog).permissions() & std::filesystem::perms::others_read, std::filesystem::perms::none);
    std::string hex;
    for (auto b : kKey) hex += fmt::format("{:02x}", b);
    EXPECT_EQ(lines.find(hex), std::string::npos);
    EXPECT_EQ(lines.find(kKeyText), std::string::npos);
    // tshark's view of the ClientHello randoms (the first ClientHello and the one after HelloVerifyRequest carry the same)
    const std::string randoms =
        run(fmt::format("tshark -r {} -d udp.port=={},dtls -Y dtls.handshake.type==1 -T fields -e dtls.handshake.random 2>/dev/null", pcap, port));
    const std::string client_random = randoms.substr(0, randoms.find('\n'));
    ASSERT_EQ(client_random.size(), 64u) << randoms;
    std::istringstream in(lines);
    std::string label, random, secret;
    ASSERT_TRUE(in >> label >> random >> secret) << lines;
    EXPECT_EQ(label, "CLIENT_RANDOM");
    EXPECT_EQ(random, client_random);
    EXPECT_EQ(secret.size(), 96u);  // 48 bytes
    for (const auto& f : {pcap, keylog}) std::filesystem::remove(f);
}

namespace {
// A plain UDP socket on 127.0.0.1 (a free port), receive timeout 2 s.
struct Udp {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    Udp() {
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
        timeval tv{2, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    ~Udp() { ::close(fd); }
    [[nodiscard]] std::uint16_t port() const { return ntohs(addr.sin_port); }
    void send_to(std::uint16_t port, const std::string& s) const {
        sockaddr_in to = addr;
        to.sin_port = htons(port);
        ::sendto(fd, s.data(), s.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
    }
    // the datagram and the sender's port ("" and 0 on timeout)
    std::pair<std::string, std::uint16_t> receive() const {
        char buf[256];
        sockaddr_in from{};
        socklen_t len = sizeof from;
        const auto n = ::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 0) return {"", 0};
        return {std::string(buf, static_cast<std::size_t>(n)), ntohs(from.sin_port)};
    }
};
}  // namespace

// Options::peer_idle: a peer quiet for longer has its relay socket closed, so the upstream sees its
// next datagram from another source port; with 0 (the default) the socket stays.
TEST(UdpTap, PeerIdleClosesTheRelaySocket) {
    for (const Millis idle : {0ms, 150ms}) {
        Udp upstream, peer;
        UdpTap::Options o{"127.0.0.1", 0, "127.0.0.1", upstream.port(), "", 10000ms};
        o.peer_idle = idle;
        UdpTap tap(o);
        peer.send_to(tap.port(), "one");
        const auto [first, relay1] = upstream.receive();
        ASSERT_EQ(first, "one");
        upstream.send_to(relay1, "back");  // the relay socket carries the answer back to the peer
        EXPECT_EQ(peer.receive().first, "back");
        std::this_thread::sleep_for(500ms);  // quiet for longer than 150 ms
        peer.send_to(tap.port(), "two");
        const auto [second, relay2] = upstream.receive();
        ASSERT_EQ(second, "two");
        if (idle.count() == 0)
            EXPECT_EQ(relay2, relay1);
        else
            EXPECT_NE(relay2, relay1);
        upstream.send_to(relay2, "again");
        EXPECT_EQ(peer.receive().first, "again");
    }
}
