// FdPort over a socketpair (as over TCP to a gateway) and over a pseudo-terminal (the termios
// path of serial lines): framing, reply timing, echo suppression, PARMRK, and named failures.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "metercert/master/master.hpp"
#include "metercert/mbus/link.hpp"
#include "metercert/rigs/fd_port.hpp"

using namespace metercert;
using Bytes = std::vector<std::uint8_t>;

namespace {

// A scripted peer: for each request it reads (a whole frame), it writes the next reply.
struct Peer {
    int fd;
    std::thread th;
    Peer(int peer_fd, std::vector<std::optional<Bytes>> replies, bool echo = false, bool close_after = false)
        : fd(peer_fd) {
        th = std::thread([this, replies = std::move(replies), echo, close_after] {
            for (const auto& reply : replies) {
                std::uint8_t buf[300];
                Bytes got;
                mbus::LinkFrame f;
                mbus::DecodeError err;
                while (!(mbus::parse_link_prefix(got, f, err) && f.size == got.size())) {
                    const ssize_t n = ::read(fd, buf, sizeof buf);
                    if (n <= 0) return;
                    got.insert(got.end(), buf, buf + n);
                }
                if (echo && ::write(fd, got.data(), got.size()) < 0) return;
                if (reply && ::write(fd, reply->data(), reply->size()) < 0) return;
            }
            if (close_after) ::close(fd), fd = -1;
        });
    }
    ~Peer() {
        th.join();
        if (fd >= 0) ::close(fd);
    }
};

std::pair<int, int> socket_pair() {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    return {sv[0], sv[1]};
}

const Bytes kNke{0x10, 0x40, 0x05, 0x45, 0x16};
// RSP_UD from address 5, CI 0x72, long header ID 12345678, ELV, gen 1, medium 2, access 1, status 0.
Bytes rsp_ud() {
    return mbus::build_long(0x08, 0x05, 0x72,
                            Bytes{0x78, 0x56, 0x34, 0x12, 0x96, 0x15, 0x01, 0x02, 0x01, 0x00, 0x00, 0x00});
}

}  // namespace

TEST(FdPort, ExchangesFramesAndTimestampsThem) {
    auto [a, b] = socket_pair();
    Peer peer(b, {Bytes{0xE5}, rsp_ud()});
    rigs::FdPort port(a, {});
    rigs::MemoryTap tap;
    port.set_tap(&tap, 3);
    master::Master m(port, {.init_idle = Duration{}});
    EXPECT_TRUE(m.snd_nke(5));
    const auto r = m.read(5);
    ASSERT_EQ(r.telegrams.size(), 1u);
    EXPECT_EQ(r.telegrams[0].frame, rsp_ud());
    EXPECT_GE(r.telegrams[0].reply_gap, Duration{});
    ASSERT_EQ(tap.records.size(), 4u);
    EXPECT_EQ(tap.records[0].bytes, kNke);
    EXPECT_EQ(tap.records[0].direction, rigs::Direction::to_dut);
    EXPECT_EQ(tap.records[1].direction, rigs::Direction::from_dut);
    EXPECT_EQ(tap.records[3].channel, 3);
    EXPECT_LE(tap.records[0].wall_us, tap.records[1].wall_us);
}

TEST(FdPort, SilenceIsATimeoutAfterTheConfiguredWait) {
    auto [a, b] = socket_pair();
    Peer peer(b, {std::nullopt});
    rigs::FdPort port(a, {});
    const TimePoint t0 = port.now();
    const auto ex = port.transact(kNke, std::chrono::milliseconds(50));
    EXPECT_EQ(ex.outcome, master::Exchange::Outcome::timeout);
    EXPECT_GE(port.now() - t0, std::chrono::milliseconds(50));
}

TEST(FdPort, WrongChecksumIsGarbledWithTheLinkError) {
    auto [a, b] = socket_pair();
    Bytes bad = rsp_ud();
    bad[bad.size() - 2] ^= 0x01;
    Peer peer(b, {bad});
    rigs::FdPort port(a, {});
    const auto ex = port.transact(kNke, std::chrono::milliseconds(200));
    EXPECT_EQ(ex.outcome, master::Exchange::Outcome::garbled);
    EXPECT_EQ(ex.error.code, mbus::ErrorCode::bad_checksum);
    ASSERT_FALSE(ex.arrivals.empty());  // every byte's arrival is timestamped by read
    EXPECT_EQ(ex.arrivals[0].offset, 0u);
    EXPECT_EQ(ex.arrivals[0].at, ex.reply_gap);
    EXPECT_EQ(ex.bytes, bad);  // nothing lost
}

TEST(FdPort, ClosedConnectionIsNamed) {
    auto [a, b] = socket_pair();
    Peer peer(b, {}, false, true);
    rigs::FdPort port(a, {});
    try {
        port.transact(kNke, std::chrono::milliseconds(1000));
        FAIL();
    } catch (const master::PortError& e) {
        EXPECT_EQ(e.name(), "connection_closed");
    }
}

TEST(FdPort, EchoOfTheMastersBytesIsSuppressed) {
    auto [a, b] = socket_pair();
    Peer peer(b, {Bytes{0xE5}}, /*echo=*/true);
    rigs::FdPort port(a, {.echo = true});
    const auto ex = port.transact(kNke, std::chrono::milliseconds(200));
    EXPECT_EQ(ex.outcome, master::Exchange::Outcome::frame);
    EXPECT_EQ(ex.bytes, Bytes{0xE5});
}

TEST(FdPort, PtyTermiosPathKeepsFFBytesAndReportsALostPort) {
    const int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    ASSERT_GE(m, 0);
    ASSERT_EQ(grantpt(m), 0);
    ASSERT_EQ(unlockpt(m), 0);
    const std::string name = ptsname(m);
    {
        // the master side of the pty plays the slave: raw mode on the pty pair
        const int s = rigs::open_serial(name, 2400);  // libserialport refuses ptys: termios path
        rigs::FdPort port(s, {.is_tty = true});
        // a long frame with FF data bytes: PARMRK doubles them as FF FF on the line discipline
        const Bytes reply = mbus::build_long(0x08, 0x05, 0x78, Bytes{0x0C, 0xFF, 0xFF, 0xFF});
        std::thread peer([&] {
            std::uint8_t buf[64];
            Bytes got;
            while (got.size() < kNke.size()) {
                const ssize_t n = ::read(m, buf, sizeof buf);
                if (n <= 0) return;
                got.insert(got.end(), buf, buf + n);
            }
            (void)!::write(m, reply.data(), reply.size());
        });
        const auto ex = port.transact(kNke, std::chrono::milliseconds(500));
        peer.join();
        EXPECT_EQ(ex.outcome, master::Exchange::Outcome::frame);
        EXPECT_EQ(ex.bytes, reply);
        EXPECT_FALSE(ex.parity_error);
        ::close(m);  // the device disappears
        try {
            port.transact(kNke, std::chrono::milliseconds(500));
            FAIL();
        } catch (const master::PortError& e) {
            EXPECT_EQ(e.name(), "port_lost");
        }
    }
}

TEST(FdPort, ConnectFailureIsNamed) {
    try {
        rigs::tcp_connect("127.0.0.1", 1, 500);  // nothing listens on port 1
        FAIL();
    } catch (const master::PortError& e) {
        EXPECT_EQ(e.name(), "connect_failed");
    }
    EXPECT_THROW(rigs::open_serial("/dev/does-not-exist", 2400), master::PortError);
}

TEST(ParmrkDecoder, EscapesOfTermios) {
    // termios(3) PARMRK: FF FF = data FF; FF 00 x = x with a parity/framing error; FF 00 00 = break
    rigs::ParmrkDecoder d;
    Bytes out;
    EXPECT_FALSE(d.feed(Bytes{0x68, 0xFF, 0xFF, 0x16}, out));
    EXPECT_EQ(out, (Bytes{0x68, 0xFF, 0x16}));
    out.clear();
    EXPECT_FALSE(d.feed(Bytes{0xFF, 0x00}, out));  // split across reads: not complete yet
    EXPECT_TRUE(d.feed(Bytes{0x41, 0xFF, 0x00, 0x00, 0xE5}, out));
    EXPECT_EQ(out, (Bytes{0x41, 0xE5}));
    EXPECT_EQ(d.parity_errors, 1u);
    EXPECT_EQ(d.breaks, 1u);
}

namespace {

// Answers every SND_NKE it reads on `fd` with an ACK (E5), until `stop`: the slave side of a line.
struct AckPeer {
    int fd;
    std::atomic<bool> stop{false};
    std::atomic<int> acks{0};
    std::thread th;
    explicit AckPeer(int peer_fd) : fd(peer_fd) {
        th = std::thread([this] {
            Bytes got;
            while (!stop) {
                pollfd p{fd, POLLIN, 0};
                if (::poll(&p, 1, 20) <= 0) continue;
                std::uint8_t buf[64];
                const ssize_t n = ::read(fd, buf, sizeof buf);
                if (n <= 0) continue;  // a pty master reads EIO while no slave is open: keep waiting
                got.insert(got.end(), buf, buf + n);
                while (got.size() >= kNke.size()) {
                    const bool nke = std::equal(kNke.begin(), kNke.end(), got.begin());
                    got.erase(got.begin(), got.begin() + (nke ? static_cast<long>(kNke.size()) : 1));
                    if (nke && ::write(fd, "\xE5", 1) == 1) ++acks;
                }
            }
        });
    }
    // Stops the thread and waits for it: after this, `acks` counts every ACK written (the last
    // one may be read by the master before the peer thread has counted it).
    void finish() {
        stop = true;
        if (th.joinable()) th.join();
    }
    ~AckPeer() { finish(); }
};

// Opens, configures (8E1 raw, as serial:// does), uses and closes the line at `path` `n` times;
// returns how many rounds got the ACK. Baud rates rotate through repeats of the same rate (the
// case that failed: nothing but PARENB left to change) and changes of rate.
int reopen_rounds(const std::string& path, int n) {
    static const unsigned rates[] = {2400, 2400, 2400, 9600, 300, 2400};
    int ok = 0;
    for (int i = 0; i < n; ++i) {
        const unsigned baud = rates[i % 6];
        rigs::FdPort port(rigs::open_serial(path, baud), {.is_tty = true, .baud = baud});  // throws on failure
        if (port.transact(kNke, std::chrono::milliseconds(1000)).bytes == Bytes{0xE5}) ++ok;
    }
    return ok;
}

}  // namespace

// The simulator's arrangement (conformance/cli/simulate_cmd.cpp open_pty): the pty master is the
// bus, a second descriptor keeps the slave side open. Linux ptys have no parity (the driver
// clears PARENB); a second open used to fail with "tcsetattr: Invalid argument".
TEST(FdPort, SimulatorPtyOpensConfiguresAndClosesFiftyTimes) {
    const int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    ASSERT_GE(m, 0);
    ASSERT_EQ(grantpt(m), 0);
    ASSERT_EQ(unlockpt(m), 0);
    const std::string name = ptsname(m);
    const int keep = ::open(name.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
    ASSERT_GE(keep, 0);
    termios t{};
    ASSERT_EQ(tcgetattr(keep, &t), 0);
    cfmakeraw(&t);
    ASSERT_EQ(tcsetattr(keep, TCSANOW, &t), 0);
    {
        AckPeer peer(m);
        int ok = 0;
        EXPECT_NO_THROW(ok = reopen_rounds(name, 50));
        EXPECT_EQ(ok, 50);
        peer.finish();
        EXPECT_EQ(peer.acks.load(), 50);
    }
    ::close(keep);
    ::close(m);
}

// A socat pty pair (`socat pty,rawer,link=A pty,rawer,link=B`), as a lab bridges a
// remote line: our side is reopened 50 times, the peer side stays open.
TEST(FdPort, SocatPtyPairOpensConfiguresAndClosesFiftyTimes) {
    const char* socat = "/usr/bin/socat";
    if (::access(socat, X_OK) != 0) GTEST_SKIP() << "socat not installed (ci/setup installs it)";
    const auto dir = std::filesystem::temp_directory_path() / ("metercert-socat-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string a = (dir / "a").string(), b = (dir / "b").string();
    const std::string arg_a = "pty,rawer,link=" + a, arg_b = "pty,rawer,link=" + b;
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        execl(socat, "socat", arg_a.c_str(), arg_b.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    for (int i = 0; i < 200 && !(std::filesystem::exists(a) && std::filesystem::exists(b)); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const int peer_fd = ::open(b.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (peer_fd >= 0) {
        termios t{};
        tcgetattr(peer_fd, &t);
        cfmakeraw(&t);
        tcsetattr(peer_fd, TCSANOW, &t);
        {
            AckPeer peer(peer_fd);
            int ok = 0;
            EXPECT_NO_THROW(ok = reopen_rounds(a, 50));
            EXPECT_EQ(ok, 50);
        }
        ::close(peer_fd);
    }
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
    std::filesystem::remove_all(dir);
    ASSERT_GE(peer_fd, 0) << "socat did not create " << b;
}

// A real UART keeps even parity: the check that reads the settings back accepts only what was
// asked. (A pty is the only line where PARENB may be missing; open_serial says which it took.)
TEST(FdPort, PtyLineIsConfiguredRawAtTheRequestedRate) {
    const int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    ASSERT_GE(m, 0);
    ASSERT_EQ(grantpt(m), 0);
    ASSERT_EQ(unlockpt(m), 0);
    for (unsigned baud : {300u, 2400u, 2400u, 9600u}) {
        const int fd = rigs::open_serial(ptsname(m), baud);
        termios t{};
        ASSERT_EQ(tcgetattr(fd, &t), 0);
        EXPECT_EQ(cfgetospeed(&t), baud == 300 ? B300 : baud == 2400 ? B2400 : B9600);
        EXPECT_EQ(t.c_cflag & CSIZE, static_cast<tcflag_t>(CS8));
        EXPECT_EQ(t.c_lflag & (ICANON | ECHO | ISIG), 0u);
        EXPECT_EQ(t.c_iflag & (INPCK | PARMRK), static_cast<tcflag_t>(INPCK | PARMRK));  // parity marks when a UART has them
        ::close(fd);
    }
    ::close(m);
}
