// The simulator host (sim_host.hpp): listeners over loopback and a pty, timers, the capture behind
// the redaction stage, stop signals and the readiness line. Every wait is bounded.
#include "metercert/rigs/sim_host.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "metercert/mbus/telegram.hpp"
#include "metercert/rigs/pcap.hpp"

namespace metercert::rigs {
namespace {

using Bytes = std::vector<std::uint8_t>;

int connect_to(std::uint16_t port, int type = SOCK_STREAM) {
    const int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    return fd;
}

// Reads what `fd` has within `ms`: the bytes, or "EOF" as an empty vector with eof set.
Bytes read_within(int fd, int ms, bool* eof = nullptr) {
    pollfd p{fd, POLLIN, 0};
    if (eof) *eof = false;
    if (::poll(&p, 1, ms) <= 0) return {};
    std::uint8_t buf[256];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0 && eof) *eof = true;
    return n > 0 ? Bytes(buf, buf + n) : Bytes{};
}

// Runs the host until `done()` or 3 s.
template <class F>
void run_until(SimHost& host, F done) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (!done() && std::chrono::steady_clock::now() < until) host.run_once(20);
}

TEST(SimHost, TcpServesOneClientAtATime) {
    SimHost host;
    int refused = 0, opened = 0, closed = 0;
    TcpListener* tcp = nullptr;
    tcp = &host.listen_tcp("tcp://127.0.0.1:0", {.admit = [&](bool busy) { refused += busy; return !busy; },
                                                  .on_open = [&](int) { ++opened; },
                                                  .on_bytes = [&](std::span<const std::uint8_t> b) { tcp->send(b); },  // echo
                                                  .on_close = [&] { ++closed; }});
    ASSERT_GT(tcp->port(), 0);
    EXPECT_EQ(tcp->url(), "tcp://127.0.0.1:" + std::to_string(tcp->port()));
    const int a = connect_to(tcp->port());
    run_until(host, [&] { return opened == 1; });
    ASSERT_TRUE(tcp->connected());
    ASSERT_EQ(::write(a, "\x10\x40", 2), 2);
    Bytes got;
    run_until(host, [&] { return !(got = read_within(a, 0)).empty(); });
    EXPECT_EQ(got, (Bytes{0x10, 0x40}));

    const int b = connect_to(tcp->port());  // a second client while one is connected: closed at once
    bool eof = false;
    run_until(host, [&] { return refused == 1; });
    run_until(host, [&] { return read_within(b, 0, &eof), eof; });
    EXPECT_TRUE(eof);
    EXPECT_EQ(opened, 1);
    ::close(b);

    ::close(a);  // the first goes away: the slot is free again
    run_until(host, [&] { return closed == 1; });
    EXPECT_FALSE(tcp->connected());
    const int c = connect_to(tcp->port());
    run_until(host, [&] { return opened == 2; });
    EXPECT_EQ(opened, 2);
    tcp->close_client();  // the device closes it (a disconnect timeout)
    EXPECT_EQ(closed, 2);
    run_until(host, [&] { return read_within(c, 0, &eof), eof; });
    EXPECT_TRUE(eof);
    EXPECT_FALSE(tcp->send(Bytes{1}));  // no client
    ::close(c);
}

TEST(SimHost, AdmitCanRefuseAndCount) {
    SimHost host;
    int asked = 0;
    auto& tcp = host.listen_tcp("tcp://127.0.0.1:0", {.admit = [&](bool) { ++asked; return false; }, .on_open = {}, .on_bytes = {}, .on_close = {}});
    const int a = connect_to(tcp.port());
    bool eof = false;
    run_until(host, [&] { return read_within(a, 0, &eof), eof; });
    EXPECT_TRUE(eof);
    EXPECT_EQ(asked, 1);
    EXPECT_FALSE(tcp.connected());
    ::close(a);
}

TEST(SimHost, ListenUrlsAreCheckedAndNamed) {
    SimHost host;
    auto name_of = [&](const std::string& url) {
        try {
            host.listen_tcp(url, {});
        } catch (const HostError& e) {
            return e.name();
        }
        return std::string("none");
    };
    EXPECT_EQ(name_of("udp://127.0.0.1:0"), "bad_url");
    EXPECT_EQ(name_of("tcp://127.0.0.1"), "bad_url");
    EXPECT_EQ(name_of("tcp://127.0.0.1:99999"), "bad_port");
    EXPECT_EQ(name_of("tcp://127.0.0.1:+80"), "bad_port");
    EXPECT_EQ(name_of("tcp://localhost:0"), "bad_address");
    EXPECT_EQ(name_of("tcp://192.0.2.1:0"), "bind_failed");  // not an address of this host
    EXPECT_THROW(host.listen_udp("udp://127.0.0.1:65536", {}), HostError);
}

TEST(SimHost, UdpDatagramsComeWithTheirPeerAndGoBack) {
    SimHost host;
    std::vector<std::pair<Bytes, UdpPeer>> got;
    UdpEndpoint* udp = nullptr;
    udp = &host.listen_udp("udp://127.0.0.1:0", {.on_datagram = [&](std::span<const std::uint8_t> d, const UdpPeer& from) {
        got.emplace_back(Bytes(d.begin(), d.end()), from);
        Bytes reply(d.rbegin(), d.rend());
        udp->send_to(from, reply);
    }});
    EXPECT_EQ(udp->url(), "udp://127.0.0.1:" + std::to_string(udp->port()));
    const int c = connect_to(udp->port(), SOCK_DGRAM);
    sockaddr_in me{};
    socklen_t len = sizeof me;
    getsockname(c, reinterpret_cast<sockaddr*>(&me), &len);
    ASSERT_EQ(::send(c, "\x01\x02\x03", 3, 0), 3);
    ASSERT_EQ(::send(c, "\x04", 1, 0), 1);  // datagrams keep their boundaries
    run_until(host, [&] { return got.size() == 2; });
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].first, (Bytes{1, 2, 3}));
    EXPECT_EQ(got[1].first, (Bytes{4}));
    EXPECT_EQ(got[0].second, (UdpPeer{"127.0.0.1", ntohs(me.sin_port)}));
    EXPECT_EQ(read_within(c, 1000), (Bytes{3, 2, 1}));
    ::close(c);
}

TEST(SimHost, PtyStaysUsableAcrossClientsAndIsRemovedAtTheEnd) {
    const auto path = std::filesystem::temp_directory_path() / ("metercert-host-pty-" + std::to_string(::getpid()));
    Bytes got;
    {
        SimHost host;
        PtyEndpoint* pty = nullptr;
        pty = &host.open_pty(path, {.on_bytes = [&](std::span<const std::uint8_t> b) {
            got.insert(got.end(), b.begin(), b.end());
            pty->send(Bytes{0xE5});
        }});
        EXPECT_TRUE(std::filesystem::is_symlink(path));
        EXPECT_EQ(pty->pts().rfind("/dev/pts/", 0), 0u);
        for (int round = 0; round < 2; ++round) {  // open, talk, close; again: the line stays
            const int c = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
            ASSERT_GE(c, 0);
            termios t{};
            tcgetattr(c, &t);
            EXPECT_EQ(t.c_cflag & CSIZE, static_cast<tcflag_t>(CS8));  // raw 8N1
            EXPECT_FALSE(t.c_cflag & PARENB);
            got.clear();
            ASSERT_EQ(::write(c, "\x10\x40\x05\x45\x16", 5), 5);
            Bytes back;
            run_until(host, [&] { return got.size() == 5 && !(back = read_within(c, 0)).empty(); });
            EXPECT_EQ(got, (Bytes{0x10, 0x40, 0x05, 0x45, 0x16}));
            EXPECT_EQ(back, (Bytes{0xE5}));
            ::close(c);
            host.run_once(30);
        }
    }
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(path)));
}

TEST(SimHost, TimersFireAtTheirDeadlinesOnce) {
    SimHost host;
    int once = 0, ticks = 0, wakes = 0;
    auto& t = host.timer([&] { ++once; });
    host.every(20, [&] { ++ticks; });
    host.after_each_wake([&] { ++wakes; });
    const SimTime t0 = host.now();
    t.arm_in(50);
    EXPECT_EQ(t.deadline(), t0 + 50);
    run_until(host, [&] { return once == 1; });
    EXPECT_GE(host.now() - t0, 50u);
    EXPECT_FALSE(t.deadline().has_value());  // fired: disarmed until armed again
    run_until(host, [&] { return ticks >= 5; });
    EXPECT_EQ(once, 1);
    EXPECT_GE(host.now() - t0, 100u);
    EXPECT_GT(wakes, 0);
    t.arm_in(10);
    t.disarm();
    const SimTime t1 = host.now();
    while (host.now() - t1 < 40) host.run_once(10);
    EXPECT_EQ(once, 1);
}

TEST(SimHost, StopSignalEndsTheLoopAtOnce) {
    SimHost host;
    host.stop_on_signals();
    host.every(5000, [] {});
    std::thread killer([] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        ::kill(::getpid(), SIGTERM);
    });
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(host.run(), 0);
    killer.join();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
    EXPECT_TRUE(host.stopping());
}

TEST(SimHost, CaptureRecordsPassTheRedactionStage) {
    const auto path = std::filesystem::temp_directory_path() / ("metercert-host-" + std::to_string(::getpid()) + ".pcap");
    {
        SimHost host;
        EXPECT_FALSE(host.capturing());
        host.tap(Direction::to_dut, 0, Bytes{0xE5});  // without a capture: nothing
        host.open_capture(path);
        EXPECT_TRUE(host.capturing());
        // §6.7.9 set P1 password 97531864
        const Bytes data{0x0F, 0x01, '9', '7', '5', '3', '1', '8', '6', '4'};
        host.tap(Direction::to_dut, 1, mbus::build_long(0x53, 0, 0x51, data), 0, 2400);
        host.tap(Direction::from_dut, 1, Bytes{0xE5});
        host.tap(Direction::from_dut, 1, Bytes{});  // no bytes: no record
    }
    const auto recs = read_pcap(path);
    ASSERT_EQ(recs.size(), 2u);
    EXPECT_TRUE(recs[0].flags & kTapRedacted);
    EXPECT_EQ(recs[0].channel, 1);
    EXPECT_EQ(recs[0].baud, 2400u);
    EXPECT_EQ(Bytes(recs[0].bytes.begin() + 9, recs[0].bytes.end() - 1), Bytes(9, 0x2A));
    EXPECT_EQ(recs[1].bytes, Bytes{0xE5});
    std::filesystem::remove(path);
}

TEST(SimHost, ReadinessLineNamesEveryListenerAndTheIdentity) {
    const auto path = std::filesystem::temp_directory_path() / ("metercert-host-ready-" + std::to_string(::getpid()));
    SimHost host;
    auto& tcp = host.listen_tcp("tcp://127.0.0.1:0", {});
    auto& pty = host.open_pty(path, {});
    auto& udp = host.listen_udp("udp://127.0.0.1:0", {});
    const std::string line = host.ready_line("cmi1020", {{"model", "CMi1020"}, {"slaves", {{{"secondary", "13647123"}}}}});
    EXPECT_EQ(line.find('\n'), std::string::npos);  // one line
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["event"], "ready");
    EXPECT_EQ(j["schema"], "metercert_ready_v1");
    const auto r = parse_ready_line(line);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->device, "cmi1020");
    ASSERT_EQ(r->listen.size(), 3u);
    EXPECT_EQ(r->listen[0].kind, "tcp");
    EXPECT_EQ(r->listen[0].url, tcp.url());
    EXPECT_EQ(r->listen[1].kind, "pty");
    EXPECT_EQ(r->listen[1].path, pty.path());
    EXPECT_EQ(j["listen"][1]["pts"], pty.pts());
    EXPECT_EQ(r->listen[2].url, udp.url());
    EXPECT_EQ(r->identity["slaves"][0]["secondary"], "13647123");
    EXPECT_FALSE(parse_ready_line("metercert simulate: listening on tcp://127.0.0.1:1").has_value());
    EXPECT_FALSE(parse_ready_line(R"({"event":"ready","device":1,"listen":[]})").has_value());
}

}  // namespace
}  // namespace metercert::rigs
