// FdPort over a socketpair (as over TCP to a gateway) and over a pseudo-terminal (the termios
// path of serial lines): framing, reply timing, echo suppression, PARMRK, and named failures.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
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
    master::Master m(port, {.init_idle_ms = 0});
    EXPECT_TRUE(m.snd_nke(5));
    const auto r = m.read(5);
    ASSERT_EQ(r.telegrams.size(), 1u);
    EXPECT_EQ(r.telegrams[0].frame, rsp_ud());
    EXPECT_GE(r.telegrams[0].reply_gap_ms, 0.0);
    ASSERT_EQ(tap.records.size(), 4u);
    EXPECT_EQ(tap.records[0].bytes, kNke);
    EXPECT_EQ(tap.records[0].direction, rigs::Direction::master_to_slave);
    EXPECT_EQ(tap.records[1].direction, rigs::Direction::slave_to_master);
    EXPECT_EQ(tap.records[3].channel, 3);
    EXPECT_LE(tap.records[0].wall_us, tap.records[1].wall_us);
}

TEST(FdPort, SilenceIsATimeoutAfterTheConfiguredWait) {
    auto [a, b] = socket_pair();
    Peer peer(b, {std::nullopt});
    rigs::FdPort port(a, {});
    const double t0 = port.now_ms();
    const auto ex = port.transact(kNke, 50);
    EXPECT_EQ(ex.outcome, master::Exchange::Outcome::timeout);
    EXPECT_GE(port.now_ms() - t0, 50.0);
}

TEST(FdPort, WrongChecksumIsGarbledWithTheLinkError) {
    auto [a, b] = socket_pair();
    Bytes bad = rsp_ud();
    bad[bad.size() - 2] ^= 0x01;
    Peer peer(b, {bad});
    rigs::FdPort port(a, {});
    const auto ex = port.transact(kNke, 200);
    EXPECT_EQ(ex.outcome, master::Exchange::Outcome::garbled);
    EXPECT_EQ(ex.error.code, mbus::ErrorCode::bad_checksum);
    ASSERT_FALSE(ex.arrivals.empty());  // every byte's arrival is timestamped by read
    EXPECT_EQ(ex.arrivals[0].offset, 0u);
    EXPECT_DOUBLE_EQ(ex.arrivals[0].at_ms, ex.reply_gap_ms);
    EXPECT_EQ(ex.bytes, bad);  // nothing lost
}

TEST(FdPort, ClosedConnectionIsNamed) {
    auto [a, b] = socket_pair();
    Peer peer(b, {}, false, true);
    rigs::FdPort port(a, {});
    try {
        port.transact(kNke, 1000);
        FAIL();
    } catch (const master::PortError& e) {
        EXPECT_EQ(e.name(), "connection_closed");
    }
}

TEST(FdPort, EchoOfTheMastersBytesIsSuppressed) {
    auto [a, b] = socket_pair();
    Peer peer(b, {Bytes{0xE5}}, /*echo=*/true);
    rigs::FdPort port(a, {.echo = true});
    const auto ex = port.transact(kNke, 200);
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
        const auto ex = port.transact(kNke, 500);
        peer.join();
        EXPECT_EQ(ex.outcome, master::Exchange::Outcome::frame);
        EXPECT_EQ(ex.bytes, reply);
        EXPECT_FALSE(ex.parity_error);
        ::close(m);  // the device disappears
        try {
            port.transact(kNke, 500);
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
