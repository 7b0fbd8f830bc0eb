// The DTLS 1.2 PSK transport (dtls.hpp): our client and server on loopback, and each against the
// Debian openssl CLI (a third-party DTLS stack: s_client / s_server -dtls1_2 -psk).
#include "metercert/rigs/dtls/dtls.hpp"

#include "../coap/test_util.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>

extern char** environ;

namespace d = metercert::rigs::dtls;
using namespace std::chrono_literals;

namespace {

const d::Bytes kKey = {0x4D, 0x65, 0x74, 0x65, 0x72, 0x43, 0x65, 0x72, 0x74, 0x2D, 0x44, 0x54, 0x4C, 0x53, 0x21, 0x7E};
const char* kKeyHex = "4D65746572436572742D44544C53217E";

d::Bytes bytes(const std::string& s) { return d::Bytes(s.begin(), s.end()); }
std::string text(const d::Bytes& b) { return std::string(b.begin(), b.end()); }

// Polls the server (and the given clients) until `done` or `timeout`; the server echoes "echo:" + datagram
bool pump(d::Server& srv, std::vector<d::Client*> clients, const std::function<bool()>& done, std::chrono::milliseconds timeout,
          std::vector<std::vector<d::Bytes>>* got = nullptr, std::vector<d::Datagram>* at_server = nullptr) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    if (got) got->resize(clients.size());
    while (std::chrono::steady_clock::now() < end) {
        std::vector<pollfd> fds{{srv.fd(), POLLIN, 0}};
        for (auto* c : clients) fds.push_back({c->fd(), POLLIN, 0});
        ::poll(fds.data(), fds.size(), 10);
        for (auto& dg : srv.process()) {
            d::Bytes reply = bytes("echo:");
            reply.insert(reply.end(), dg.bytes.begin(), dg.bytes.end());
            srv.send(dg.peer, reply);
            if (at_server) at_server->push_back(dg);
        }
        for (std::size_t i = 0; i < clients.size(); ++i)
            for (auto& b : clients[i]->process())
                if (got) (*got)[i].push_back(b);
        if (done()) return true;
    }
    return false;
}

d::Server make_server(std::map<std::string, d::Bytes> psks = {{"urn:dev:cmi6110:7031", kKey}}, std::chrono::milliseconds hs = 3000ms) {
    d::ServerOptions so;
    so.psks = std::move(psks);
    so.handshake_timeout = hs;
    return d::Server(so);
}

d::ClientOptions client_opts(std::uint16_t port, const std::string& id = "urn:dev:cmi6110:7031", d::Bytes key = kKey) {
    d::ClientOptions co;
    co.port = port;
    co.psk = {id, std::move(key)};
    co.handshake_timeout = 3000ms;
    return co;
}

// A child process with pipes on stdin and stdout (stderr to stdout)
struct Child {
    pid_t pid = -1;
    int in = -1, out = -1;
    std::string seen;
    explicit Child(const std::vector<std::string>& argv) {
        int pin[2], pout[2];
        if (::pipe2(pin, O_CLOEXEC) != 0 || ::pipe2(pout, O_CLOEXEC) != 0) return;
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
        posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
        posix_spawn_file_actions_adddup2(&fa, pout[1], 2);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        if (posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ) != 0) pid = -1;
        posix_spawn_file_actions_destroy(&fa);
        ::close(pin[0]);
        ::close(pout[1]);
        in = pin[1];
        out = pout[0];
        ::fcntl(out, F_SETFL, O_NONBLOCK);
    }
    void read_some() {
        char buf[4096];
        ssize_t n;
        while ((n = ::read(out, buf, sizeof buf)) > 0) seen.append(buf, static_cast<std::size_t>(n));
    }
    void write(const std::string& s) const { [[maybe_unused]] auto n = ::write(in, s.data(), s.size()); }
    ~Child() {
        if (pid > 0) {
            ::kill(pid, SIGTERM);
            int st = 0;
            for (int i = 0; i < 100 && ::waitpid(pid, &st, WNOHANG) == 0; ++i) std::this_thread::sleep_for(10ms);
            if (::waitpid(pid, &st, WNOHANG) == 0) {
                ::kill(pid, SIGKILL);
                ::waitpid(pid, &st, 0);
            }
        }
        if (in >= 0) ::close(in);
        if (out >= 0) ::close(out);
    }
};

bool have_openssl() { return std::system("openssl version >/dev/null 2>&1") == 0; }

using coap_test::free_udp_port;  // rigs/coap/test_util.hpp

}  // namespace

TEST(Dtls, TwoClientsShareTheServerPortEachWithItsIdentity) {
    auto srv = make_server({{"urn:dev:cmi6110:7031", kKey}, {"second", d::Bytes{1, 2, 3, 4, 5, 6, 7, 8}}});
    d::Client a(client_opts(srv.port()));
    d::Client b(client_opts(srv.port(), "second", d::Bytes{1, 2, 3, 4, 5, 6, 7, 8}));
    // queued before the handshake completes: sent once connected
    EXPECT_TRUE(a.send(bytes("from-a")));
    EXPECT_TRUE(b.send(bytes("from-b")));
    std::vector<std::vector<d::Bytes>> got;
    std::vector<d::Datagram> at_server;
    ASSERT_TRUE(pump(srv, {&a, &b}, [&] { return got.size() == 2 && !got[0].empty() && !got[1].empty(); }, 5000ms, &got, &at_server));
    EXPECT_EQ(a.state(), d::Client::State::connected);
    EXPECT_EQ(text(got[0].at(0)), "echo:from-a");
    EXPECT_EQ(text(got[1].at(0)), "echo:from-b");
    ASSERT_EQ(at_server.size(), 2u);
    std::map<std::string, std::string> ids;
    for (const auto& dg : at_server) ids[text(dg.bytes)] = dg.identity;
    EXPECT_EQ(ids["from-a"], "urn:dev:cmi6110:7031");
    EXPECT_EQ(ids["from-b"], "second");
    EXPECT_NE(at_server[0].peer, at_server[1].peer);
    const auto peers = srv.peers();
    ASSERT_EQ(peers.size(), 2u);
    bool cookie = false, est = false;
    for (const auto& e : srv.take_events()) {
        cookie |= e.kind == d::Event::Kind::cookie_sent;  // RFC 6347 §4.2.1 HelloVerifyRequest first
        est |= e.kind == d::Event::Kind::established && e.cipher.find("PSK") != std::string::npos;
    }
    EXPECT_TRUE(cookie);
    EXPECT_TRUE(est);
    EXPECT_GT(a.handshake_ms(), 0.0);
    EXPECT_LT(a.handshake_ms(), 2000.0);
    // a datagram bigger than max_datagram is refused by name
    EXPECT_THROW(a.send(d::Bytes(2000, 0x55)), d::DtlsError);
    // close_notify ends the server's session
    a.close();
    ASSERT_TRUE(pump(srv, {}, [&] { return srv.peers().size() == 1; }, 2000ms));
}

TEST(Dtls, WrongKeyAndUnknownIdentityFailTheHandshake) {
    auto srv = make_server({{"urn:dev:cmi6110:7031", kKey}}, 800ms);
    auto wk = client_opts(srv.port(), "urn:dev:cmi6110:7031", d::Bytes(16, 0x11));
    wk.handshake_timeout = 800ms;
    d::Client wrong_key(wk);
    d::Client unknown_id(client_opts(srv.port(), "nobody", kKey));
    wrong_key.send(bytes("x"));
    unknown_id.send(bytes("y"));
    std::vector<d::Datagram> at_server;
    pump(srv, {&wrong_key, &unknown_id},
         [&] { return wrong_key.state() == d::Client::State::failed && unknown_id.state() == d::Client::State::failed; }, 5000ms, nullptr,
         &at_server);
    EXPECT_EQ(wrong_key.state(), d::Client::State::failed);
    EXPECT_EQ(unknown_id.state(), d::Client::State::failed);
    // another key: the server cannot decrypt the client's Finished, and RFC 6347 §4.1.2.7 discards
    // such records silently, so the handshake ends by its timeout (or an alert)
    ASSERT_TRUE(wrong_key.failure().has_value());
    EXPECT_NE(wrong_key.failure()->kind, d::Event::Kind::closed);
    // an unknown identity: the server refuses it with an alert (RFC 4279 §2 unknown_psk_identity)
    ASSERT_TRUE(unknown_id.failure().has_value());
    EXPECT_EQ(unknown_id.failure()->kind, d::Event::Kind::handshake_failed);
    EXPECT_TRUE(at_server.empty());
    EXPECT_TRUE(srv.peers().empty() || std::none_of(srv.peers().begin(), srv.peers().end(), [](const auto& p) { return p.established; }));
    EXPECT_FALSE(wrong_key.send(bytes("z")));
    // the server's side (ERRATA E-148): the unknown identity refused, the other key's session ended by its bound
    std::vector<d::Event> ev;
    pump(srv, {}, [&] {
        for (auto& e : srv.take_events()) ev.push_back(e);
        return std::any_of(ev.begin(), ev.end(), [](const auto& e) { return e.kind == d::Event::Kind::handshake_timeout; });
    }, 2000ms);
    auto has = [&](d::Event::Kind k, const std::string& id) {
        return std::any_of(ev.begin(), ev.end(), [&](const auto& e) { return e.kind == k && e.identity == id; });
    };
    EXPECT_TRUE(has(d::Event::Kind::handshake_failed, "nobody"));
    EXPECT_TRUE(has(d::Event::Kind::handshake_timeout, "urn:dev:cmi6110:7031"));
}

TEST(Dtls, ClearDatagramsAreDroppedAndNamed) {
    auto srv = make_server();
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(srv.port());
    // MQTT-SN 1.2 §5.4.4 CONNECT: Length 0x0A, MsgType 0x04, Flags 0x04 (CleanSession), ProtocolId 0x01,
    // Duration 60, ClientId "ossl"
    const std::uint8_t connect[] = {0x0A, 0x04, 0x04, 0x01, 0x00, 0x3C, 'o', 's', 's', 'l'};
    ::sendto(fd, connect, sizeof connect, 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    std::vector<d::Datagram> at_server;
    std::vector<d::Event> events;
    pump(srv, {}, [&] {
        for (auto& e : srv.take_events()) events.push_back(e);
        return !events.empty();
    }, 2000ms, nullptr, &at_server);
    ::close(fd);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, d::Event::Kind::not_dtls);
    EXPECT_TRUE(at_server.empty());
    EXPECT_FALSE(d::looks_like_dtls(std::span<const std::uint8_t>(connect, sizeof connect)));
}

TEST(Dtls, HandshakeTimesOutWithoutAServer) {
    // a bound socket that never answers
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    auto co = client_opts(ntohs(a.sin_port));
    co.handshake_timeout = 400ms;
    d::Client c(co);
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_FALSE(c.handshake(3000ms));
    const auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(c.state(), d::Client::State::failed);
    ASSERT_TRUE(c.failure());
    EXPECT_EQ(c.failure()->kind, d::Event::Kind::handshake_timeout);
    EXPECT_LT(took, 1500ms);
    ::close(fd);
}

TEST(Dtls, BadSettingsAreNamedErrors) {
    d::ServerOptions so;
    EXPECT_THROW(d::Server{so}, d::DtlsError);  // no PSK
    so.psks["id"] = {};
    try {
        d::Server s(so);
        FAIL();
    } catch (const d::DtlsError& e) {
        EXPECT_EQ(e.kind(), d::DtlsError::Kind::bad_psk);
    }
    so.psks["id"] = kKey;
    so.address = "not-an-address";
    try {
        d::Server s(so);
        FAIL();
    } catch (const d::DtlsError& e) {
        EXPECT_EQ(e.kind(), d::DtlsError::Kind::bad_address);
    }
    auto co = client_opts(0);
    try {
        d::Client c(co);
        FAIL();
    } catch (const d::DtlsError& e) {
        EXPECT_EQ(e.kind(), d::DtlsError::Kind::bad_address);
    }
}

TEST(Dtls, KeyLogOnlyWhenAskedAndNeverThePsk) {
    const auto dir = std::filesystem::temp_directory_path() / ("metercert-dtls-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto keylog = (dir / "keys.log").string();
    d::ServerOptions so;
    so.psks["urn:dev:cmi6110:7031"] = kKey;
    so.keylog_path = keylog;
    d::Server srv(so);
    d::Client plain(client_opts(srv.port()));  // no keylog_path on the client
    plain.send(bytes("k"));
    std::vector<std::vector<d::Bytes>> got;
    ASSERT_TRUE(pump(srv, {&plain}, [&] { return !got.empty() && !got[0].empty(); }, 5000ms, &got));
    std::ifstream f(keylog);
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string log = ss.str();
    EXPECT_NE(log.find("CLIENT_RANDOM "), std::string::npos);  // NSS key log format
    EXPECT_EQ(log.find(kKeyHex), std::string::npos);
    std::string lower = kKeyHex;
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(ch));
    EXPECT_EQ(log.find(lower), std::string::npos);
    struct stat st{};
    ASSERT_EQ(::stat(keylog.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()), 1);
    std::filesystem::remove_all(dir);
}

// Third-party client: openssl s_client -dtls1_2 -psk against our server (echo)
TEST(DtlsInterop, OpensslSClientTalksToOurServer) {
    if (!have_openssl()) GTEST_SKIP() << "openssl CLI not installed (Debian package openssl)";
    auto srv = make_server();
    Child c({"openssl", "s_client", "-dtls1_2", "-connect", "127.0.0.1:" + std::to_string(srv.port()), "-psk_identity",
             "urn:dev:cmi6110:7031", "-psk", kKeyHex, "-nocommands"});
    ASSERT_GT(c.pid, 0);
    bool sent = false;
    std::vector<d::Datagram> at_server;
    const bool ok = pump(srv, {}, [&] {
        c.read_some();
        if (!sent && c.seen.find("Cipher is") != std::string::npos) {
            c.write("hello-from-s_client\n");
            sent = true;
        }
        return c.seen.find("echo:hello-from-s_client") != std::string::npos;
    }, 8000ms, nullptr, &at_server);
    EXPECT_TRUE(ok) << "s_client output: " << c.seen.substr(0, 2000);
    ASSERT_EQ(at_server.size(), 1u);
    EXPECT_EQ(text(at_server[0].bytes), "hello-from-s_client\n");
    EXPECT_EQ(at_server[0].identity, "urn:dev:cmi6110:7031");
}

// Third-party server: openssl s_server -dtls1_2 -psk with our client
TEST(DtlsInterop, OurClientTalksToOpensslSServer) {
    if (!have_openssl()) GTEST_SKIP() << "openssl CLI not installed (Debian package openssl)";
    const auto port = free_udp_port();
    Child s({"openssl", "s_server", "-dtls1_2", "-accept", "127.0.0.1:" + std::to_string(port), "-nocert", "-psk_identity",
             "urn:dev:cmi6110:7031", "-psk", kKeyHex});
    ASSERT_GT(s.pid, 0);
    for (int i = 0; i < 300 && s.seen.find("ACCEPT") == std::string::npos; ++i) {
        std::this_thread::sleep_for(10ms);
        s.read_some();
    }
    ASSERT_NE(s.seen.find("ACCEPT"), std::string::npos) << s.seen;
    d::Client c(client_opts(port));
    ASSERT_TRUE(c.handshake(5000ms)) << (c.failure() ? c.failure()->reason : "");
    ASSERT_TRUE(c.send(bytes("hello-s_server\n")));
    std::vector<d::Bytes> got;
    bool replied = false;
    for (int i = 0; i < 500 && got.empty(); ++i) {
        pollfd p{c.fd(), POLLIN, 0};
        ::poll(&p, 1, 10);
        for (auto& b : c.process()) got.push_back(b);
        s.read_some();
        if (!replied && s.seen.find("hello-s_server") != std::string::npos) {
            s.write("reply-from-s_server\n");
            replied = true;
        }
    }
    EXPECT_TRUE(replied) << s.seen.substr(0, 2000);
    ASSERT_FALSE(got.empty());
    EXPECT_EQ(text(got[0]), "reply-from-s_server\n");
}
