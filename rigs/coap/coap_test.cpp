// The CoAP endpoints against a third-party CoAP/DTLS stack: libcoap's own command-line tools
// (Debian libcoap3-bin 4.3.1: coap-client-openssl, coap-server-openssl) on the other side of our
// Server and our Client, NoSec and DTLS-PSK; what those tools print is the independent expectation.
// Everything binds 127.0.0.1 on free ports and stops by itself (each loop has a deadline).
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "metercert/rigs/coap/coap.hpp"
#include "metercert/rigs/coap/log.hpp"
#include "test_util.hpp"

using namespace metercert::rigs::coap;
using namespace std::chrono_literals;
using coap_test::Child;

namespace {

const std::string kId = "urn:imei:350000000000001";
const std::string kKeyText = "k3y-7f3a91c2e5d8b604";  // coap-client/-server take the key as text
const Bytes kKey(kKeyText.begin(), kKeyText.end());
const std::string kId2 = "cmi6110-bootstrap";
const std::string kKey2Text = "second-key-0a1b2c";
const Bytes kKey2(kKey2Text.begin(), kKey2Text.end());

Bytes bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }
std::string text(const Bytes& b) { return std::string(b.begin(), b.end()); }

// Runs `ep`'s loop until the child exits (bounded).
bool serve_until_exit(Endpoint& ep, Child& c, Millis limit = 15000ms) { return ep.run_until([&] { return c.exited(); }, limit); }

struct Recorder {
    std::vector<Request> requests;
    RequestHandler handler(std::function<Response(const Request&)> answer) {
        return [this, answer](const Request& r, Session&) {
            requests.push_back(r);
            return answer(r);
        };
    }
};

}  // namespace

TEST(CoapUri, Parses) {
    auto u = parse_uri("coaps://127.0.0.1:5700");
    EXPECT_TRUE(u.secure);
    EXPECT_EQ(u.address.host, "127.0.0.1");
    EXPECT_EQ(u.address.port, 5700);
    EXPECT_EQ(parse_uri("coap://localhost").address.port, 5683);  // RFC 7252 §6.1 default port
    EXPECT_EQ(parse_uri("coaps://[::1]").address.port, 5684);    // §6.2
    EXPECT_EQ(parse_uri("coaps://[::1]:9").address.host, "::1");
    for (const char* bad : {"http://x", "coap://", "coap://h:0", "coap://h:70000", "coap://h:5x", "coap://h/path", "coaps://[::1"}) {
        try {
            parse_uri(bad);
            ADD_FAILURE() << bad;
        } catch (const CoapError& e) {
            EXPECT_EQ(e.kind, CoapError::Kind::bad_uri) << bad;
            EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
        }
    }
}

TEST(CoapPsk, BoundsAreNamedErrors) {
    try {
        Client c("coaps://127.0.0.1:9", Psk{"id", {}});
        ADD_FAILURE();
    } catch (const CoapError& e) {
        EXPECT_EQ(e.kind, CoapError::Kind::bad_psk);
    }
    try {
        Client c("coaps://127.0.0.1:9");
        ADD_FAILURE();
    } catch (const CoapError& e) {
        EXPECT_EQ(e.kind, CoapError::Kind::bad_psk);
    }
    try {
        Server s(Server::Options{"127.0.0.1", std::nullopt, 0, {{std::string(129, 'a'), kKey}}});
        ADD_FAILURE();
    } catch (const CoapError& e) {
        EXPECT_EQ(e.kind, CoapError::Kind::bad_psk);
    }
    EXPECT_EQ(code_name(kContent), "2.05");
    EXPECT_EQ(code_name(kUnsupportedContentFormat), "4.15");
}

TEST(CoapServer, NoSecGetFromCoapClient) {
    Server server(Server::Options{});
    Recorder rec;
    server.on_request(rec.handler([](const Request&) { return Response{kContent, kTextPlain, bytes("Elvaco")}; }));
    Child c({"coap-client-openssl", "-B", "10", "-A", "0", "-m", "get", fmt::format("coap://127.0.0.1:{}/3/0/0?a=1&b", server.port())},
            "get");
    ASSERT_TRUE(c.started());
    ASSERT_TRUE(serve_until_exit(server, c));
    EXPECT_EQ(c.exit_code(), 0) << c.output();
    EXPECT_NE(c.output().find("Elvaco"), std::string::npos) << c.output();
    ASSERT_EQ(rec.requests.size(), 1u);
    const Request& r = rec.requests[0];
    EXPECT_EQ(r.method, Method::get);
    EXPECT_EQ(r.path, (std::vector<std::string>{"3", "0", "0"}));
    EXPECT_EQ(r.path_str(), "/3/0/0");
    EXPECT_EQ(r.query, (std::vector<std::string>{"a=1", "b"}));
    EXPECT_EQ(r.accept, std::optional<std::uint16_t>(0));
    EXPECT_TRUE(r.confirmable);
    EXPECT_EQ(r.peer.host, "127.0.0.1");
    EXPECT_NE(r.peer.port, 0);
}

// ERRATA E-122: a text/plain response carries Content-Format 0 (an empty uint option, RFC 7252
// §3.2), as coap-client's PDU dump shows; before the fix libcoap dropped it.
TEST(CoapServer, TextPlainResponseCarriesContentFormatZero) {
    Server server(Server::Options{});
    server.on_request([](const Request&, Session&) { return Response{kContent, kTextPlain, bytes("CMi6110")}; });
    Child c({"coap-client-openssl", "-B", "10", "-v", "7", "-A", "0", "-m", "get", fmt::format("coap://127.0.0.1:{}/3/0/1", server.port())},
            "cf0");
    ASSERT_TRUE(serve_until_exit(server, c));
    EXPECT_EQ(c.exit_code(), 0) << c.output();
    const auto ack = c.output().find("c:2.05");
    ASSERT_NE(ack, std::string::npos) << c.output();
    EXPECT_NE(c.output().find("Content-Format:text/plain", ack), std::string::npos) << c.output();
    // and a non-zero format still once (libcoap's own)
    Server s2(Server::Options{});
    s2.on_request([](const Request&, Session&) { return Response{kContent, kLwm2mTlv, Bytes{0xC1, 0x00, 0x01}}; });
    Child c2({"coap-client-openssl", "-B", "10", "-v", "7", "-m", "get", fmt::format("coap://127.0.0.1:{}/3/0/0", s2.port())}, "cf11542");
    ASSERT_TRUE(serve_until_exit(s2, c2));
    const auto ack2 = c2.output().find("c:2.05");
    ASSERT_NE(ack2, std::string::npos) << c2.output();
    const auto first = c2.output().find("Content-Format:", ack2);
    ASSERT_NE(first, std::string::npos) << c2.output();
    EXPECT_EQ(c2.output().find("Content-Format:", first + 1), std::string::npos) << c2.output();
}

TEST(CoapServer, LocationPathSeenByCoapClient) {
    Server server(Server::Options{});
    server.on_request([](const Request&, Session&) { return Response{kCreated, {}, {}, {"rd", "5a3f"}}; });
    Child c({"coap-client-openssl", "-B", "10", "-v", "7", "-m", "post", "-t", "40", "-e", "</3/0>",
             fmt::format("coap://127.0.0.1:{}/rd?ep=cmi6110", server.port())},
            "loc");
    ASSERT_TRUE(serve_until_exit(server, c));
    // coap-client's PDU dump (-v 7): the ACK with 2.01 and both Location-Path options in order
    EXPECT_NE(c.output().find("c:2.01"), std::string::npos) << c.output();
    EXPECT_NE(c.output().find("Location-Path:rd, Location-Path:5a3f"), std::string::npos) << c.output();
}

TEST(CoapServer, PskPutFromCoapClientWithTwoIdentities) {
    Server server(Server::Options{"127.0.0.1", std::nullopt, 0, {{kId, kKey}, {kId2, kKey2}}});
    ASSERT_NE(server.dtls_port(), 0);
    Recorder rec;
    server.on_request(rec.handler([](const Request& r) { return Response{r.method == Method::put ? kChanged : kContent, {}, {}}; }));
    const std::string uri = fmt::format("coaps://127.0.0.1:{}/1/0/1", server.dtls_port());
    {
        Child c({"coap-client-openssl", "-B", "10", "-u", kId, "-k", kKeyText, "-m", "put", "-t", "0", "-e", "86400", uri}, "put1");
        ASSERT_TRUE(serve_until_exit(server, c));
        EXPECT_EQ(c.exit_code(), 0) << c.output();
    }
    {
        Child c({"coap-client-openssl", "-B", "10", "-N", "-u", kId2, "-k", kKey2Text, "-m", "post", "-t", "11542", "-e", "x", uri}, "put2");
        ASSERT_TRUE(serve_until_exit(server, c));
        EXPECT_EQ(c.exit_code(), 0) << c.output();
    }
    ASSERT_EQ(rec.requests.size(), 2u);
    EXPECT_EQ(rec.requests[0].method, Method::put);
    EXPECT_EQ(rec.requests[0].content_format, std::optional<std::uint16_t>(kTextPlain));
    EXPECT_EQ(text(rec.requests[0].payload), "86400");
    EXPECT_EQ(rec.requests[1].method, Method::post);
    EXPECT_FALSE(rec.requests[1].confirmable);
    EXPECT_EQ(rec.requests[1].content_format, std::optional<std::uint16_t>(kLwm2mTlv));
}

TEST(CoapServer, WrongIdentityOrKeyFailsTheHandshake) {
    Server server(Server::Options{"127.0.0.1", std::nullopt, 0, {{kId, kKey}}});
    Recorder rec;
    server.on_request(rec.handler([](const Request&) { return Response{kContent, kTextPlain, bytes("ANSWER-42")}; }));
    const std::string uri = fmt::format("coaps://127.0.0.1:{}/3/0", server.dtls_port());
    for (auto [id, key] : {std::pair{std::string("urn:imei:999"), kKeyText}, std::pair{kId, std::string("not-the-key-at-all!!")}}) {
        Child c({"coap-client-openssl", "-B", "4", "-u", id, "-k", key, uri}, "wrong");
        ASSERT_TRUE(serve_until_exit(server, c));
        EXPECT_EQ(c.output().find("ANSWER-42"), std::string::npos) << c.output();
    }
    EXPECT_TRUE(rec.requests.empty());
}

TEST(CoapServer, ObserveFromCoapClient) {
    Server server(Server::Options{"127.0.0.1", std::nullopt, 0, {{kId, kKey}}});
    server.add_observable("/3/0/13");
    int value = 100;
    Recorder rec;
    server.on_request(rec.handler([&](const Request&) { return Response{kContent, kTextPlain, bytes(std::to_string(value))}; }));
    Child c({"coap-client-openssl", "-B", "10", "-s", "3", "-u", kId, "-k", kKeyText,
             fmt::format("coaps://127.0.0.1:{}/3/0/13", server.dtls_port())},
            "observe");
    ASSERT_TRUE(server.run_until([&] { return !rec.requests.empty(); }, 5000ms));
    EXPECT_EQ(rec.requests[0].observe, std::optional<std::uint32_t>(0));  // RFC 7641 §2: register
    for (int i = 0; i < 2; ++i) {
        server.run_for(300ms);
        value = 101 + i;
        EXPECT_TRUE(server.notify("/3/0/13"));
    }
    EXPECT_FALSE(server.notify("/3/0/14"));
    ASSERT_TRUE(serve_until_exit(server, c));
    const std::string out = c.output();
    EXPECT_NE(out.find("100"), std::string::npos) << out;
    EXPECT_NE(out.find("101"), std::string::npos) << out;
    EXPECT_NE(out.find("102"), std::string::npos) << out;
}

// RFC 7641 §4.5: set_notify_confirmable(true) makes the notifications CON, false NON (libcoap's
// default); coap-client-openssl's debug log (-v 7) shows each PDU's type ("t:CON" / "t:NON") and
// payload: the independent view of what went on the wire.
TEST(CoapServer, NotificationsConfirmableWhenAsked) {
    for (const bool con : {true, false}) {
        Server server(Server::Options{"127.0.0.1", 0, std::nullopt, {}});
        server.set_notify_confirmable(con);
        server.add_observable("/3/0/13");
        int value = 100;
        Recorder rec;
        server.on_request(rec.handler([&](const Request&) { return Response{kContent, kTextPlain, bytes(std::to_string(value))}; }));
        Child c({"coap-client-openssl", "-v", "7", "-B", "4", "-s", "2", fmt::format("coap://127.0.0.1:{}/3/0/13", server.port())},
                "observe");
        ASSERT_TRUE(server.run_until([&] { return !rec.requests.empty(); }, 5000ms));
        server.run_for(300ms);
        value = 101;
        EXPECT_TRUE(server.notify("/3/0/13"));
        ASSERT_TRUE(serve_until_exit(server, c));
        const std::string out = c.output();
        // the line of the notification of 101 (a 2.05 with the new payload)
        std::string line;
        for (std::size_t at = 0; at < out.size();) {
            const auto end = std::min(out.find('\n', at), out.size());
            const std::string l = out.substr(at, end - at);
            if (l.find("c:2.05") != std::string::npos && l.find("101") != std::string::npos) line = l;
            at = end + 1;
        }
        ASSERT_FALSE(line.empty()) << out;
        EXPECT_NE(line.find(con ? "t:CON" : "t:NON"), std::string::npos) << line;
    }
}

TEST(CoapServer, BlockwiseGetAndPut) {
    Server server(Server::Options{});
    std::string big;
    for (int i = 0; big.size() < 3000; ++i) big += fmt::format("{:05} ", i);
    Recorder rec;
    server.on_request(rec.handler([&](const Request& r) {
        if (r.method == Method::put) return Response{kChanged, {}, {}};
        return Response{kContent, kOctetStream, bytes(big)};
    }));
    const std::string out = coap_test::temp_path("block.out"), in = coap_test::temp_path("block.in");
    {
        Child c({"coap-client-openssl", "-B", "10", "-b", "64", "-o", out, fmt::format("coap://127.0.0.1:{}/big", server.port())}, "bget");
        ASSERT_TRUE(serve_until_exit(server, c));
        EXPECT_EQ(c.exit_code(), 0) << c.output();
    }
    EXPECT_EQ(coap_test::read_file(out), big);
    { std::ofstream(in) << big; }
    {
        Child c({"coap-client-openssl", "-B", "10", "-b", "128", "-m", "put", "-t", "42", "-f", in,
                 fmt::format("coap://127.0.0.1:{}/big", server.port())},
                "bput");
        ASSERT_TRUE(serve_until_exit(server, c));
        EXPECT_EQ(c.exit_code(), 0) << c.output();
    }
    ASSERT_FALSE(rec.requests.empty());
    EXPECT_EQ(text(rec.requests.back().payload), big);  // reassembled by libcoap (RFC 7959 Block1)
    std::filesystem::remove(out);
    std::filesystem::remove(in);
}

// ---------------------------------------------------------------- our Client, coap-server-openssl

namespace {
struct LibcoapServer {
    std::uint16_t port = coap_test::free_udp_port(true);
    Child child;
    explicit LibcoapServer(std::vector<std::string> extra)
        : child([&] {
              std::vector<std::string> argv{"coap-server-openssl", "-A", "127.0.0.1", "-p", std::to_string(port)};
              argv.insert(argv.end(), extra.begin(), extra.end());
              return argv;
          }(),
                "server") {
        std::this_thread::sleep_for(300ms);  // it binds at start; nothing tells us when
    }
    ~LibcoapServer() { child.terminate(); }
};
}  // namespace

TEST(CoapClient, NoSecAgainstCoapServer) {
    LibcoapServer srv({});
    ASSERT_TRUE(srv.child.started());
    Client client(fmt::format("coap://127.0.0.1:{}", srv.port));
    Reply r = client.session().call({Method::get, "/", {}, std::nullopt, std::nullopt, {}, true}, 5000ms);
    ASSERT_EQ(r.status, Reply::Status::ok) << status_name(r.status) << srv.child.output();
    EXPECT_EQ(code_name(r.response.code), "2.05");
    EXPECT_NE(text(r.response.payload).find("libcoap"), std::string::npos);  // coap-server's index text
    // /example_data keeps what is PUT (coap-server(5)): 2.01 when PUT creates it, 2.04 after
    // (RFC 7252 §5.8.3); read back, NON this time
    r = client.session().call({Method::put, "/example_data", {}, kTextPlain, std::nullopt, bytes("first"), true}, 5000ms);
    ASSERT_EQ(r.status, Reply::Status::ok);
    EXPECT_EQ(code_name(r.response.code), "2.01");
    r = client.session().call({Method::put, "/example_data", {}, kTextPlain, std::nullopt, bytes("hello 6110"), true}, 5000ms);
    ASSERT_EQ(r.status, Reply::Status::ok);
    EXPECT_EQ(code_name(r.response.code), "2.04");
    r = client.session().call({Method::get, "/example_data", {}, std::nullopt, std::nullopt, {}, false}, 5000ms);
    ASSERT_EQ(r.status, Reply::Status::ok);
    EXPECT_EQ(text(r.response.payload), "hello 6110");
    r = client.session().call({Method::get, "/no/such/thing", {}, std::nullopt, std::nullopt, {}, true}, 5000ms);
    ASSERT_EQ(r.status, Reply::Status::ok);
    EXPECT_EQ(code_name(r.response.code), "4.04");
}

TEST(CoapClient, PskObserveAndBlockwiseAgainstCoapServer) {
    LibcoapServer srv({"-k", kKeyText});
    Client client(fmt::format("coaps://127.0.0.1:{}", srv.port + 1), Psk{kId, kKey});
    EXPECT_TRUE(client.session().secure());
    client.session().set_ack_timeout(3000ms);
    client.session().set_max_retransmit(3);
    EXPECT_EQ(client.session().ack_timeout(), 3000ms);
    EXPECT_EQ(client.session().max_retransmit(), 3u);
    // a body over one block: PUT then GET /example_data (RFC 7959 Block1 and Block2)
    std::string big;
    for (int i = 0; big.size() < 2500; ++i) big += fmt::format("[{}]", i);
    Reply r = client.session().call({Method::put, "/example_data", {}, kOctetStream, std::nullopt, bytes(big), true}, 8000ms);
    ASSERT_EQ(r.status, Reply::Status::ok) << status_name(r.status) << srv.child.output();
    EXPECT_EQ(code_name(r.response.code), "2.01");  // created (RFC 7252 §5.8.3)
    r = client.session().call({Method::get, "/example_data", {}, std::nullopt, std::nullopt, {}, true}, 8000ms);
    ASSERT_EQ(r.status, Reply::Status::ok);
    EXPECT_EQ(text(r.response.payload), big);
    // /time is observable and changes every second (coap-server(5))
    std::vector<Reply> notes;
    const Bytes token = client.session().observe({Method::get, "/time"}, [&](const Reply& n) { notes.push_back(n); });
    ASSERT_TRUE(client.run_until([&] { return notes.size() >= 3; }, 6000ms)) << notes.size();
    for (const auto& n : notes) {
        EXPECT_EQ(n.status, Reply::Status::ok);
        EXPECT_TRUE(n.observe.has_value());
        EXPECT_FALSE(n.response.payload.empty());
    }
    EXPECT_LT(*notes[0].observe, *notes[2].observe);  // RFC 7641 §4.4: increasing sequence numbers
    EXPECT_TRUE(client.session().cancel_observe(token));
    client.run_for(500ms);
    const std::size_t after_cancel = notes.size();
    client.run_for(2200ms);
    EXPECT_EQ(notes.size(), after_cancel);
}

TEST(CoapClient, WrongKeyAgainstCoapServerIsTlsFailed) {
    LibcoapServer srv({"-k", kKeyText});
    Client client(fmt::format("coaps://127.0.0.1:{}", srv.port + 1), Psk{kId, bytes("definitely-wrong")});
    // a Finished under the wrong key is discarded (RFC 6347 §4.1.2.7): the handshake never
    // completes, which call() reports as tls_failed at its deadline
    const Reply r = client.session().call({Method::get, "/"}, 3000ms);
    EXPECT_EQ(r.status, Reply::Status::tls_failed) << status_name(r.status);
}

// libcoap's resource directory (coap-rd, RFC 9176, which LwM2M registration follows) takes our
// Client's registration: 2.01 with the Location-Path of the registration resource, which its
// /.well-known/core then lists. (Not deregistration: coap-rd 4.3.1 aborts with "double free" on a
// DELETE of that location.)
TEST(CoapClient, RegistersWithCoapRd) {
    const std::uint16_t port = coap_test::free_udp_port();
    Child rd({"coap-rd-openssl", "-A", "127.0.0.1", "-p", std::to_string(port)}, "rd");
    std::this_thread::sleep_for(300ms);
    Client client(fmt::format("coap://127.0.0.1:{}", port));
    Reply r = client.session().call({Method::post, "/rd", {"ep=cmi6110", "lt=300"}, kLinkFormat, std::nullopt, bytes("</3/0>,</33906/0>")}, 5000ms);
    ASSERT_EQ(r.status, Reply::Status::ok) << status_name(r.status) << rd.output();
    EXPECT_EQ(code_name(r.response.code), "2.01");
    ASSERT_EQ(r.response.location_path.size(), 2u);
    EXPECT_EQ(r.response.location_path[0], "rd");
    const std::string where = "/rd/" + r.response.location_path[1];
    r = client.session().call({Method::get, "/.well-known/core"}, 5000ms);
    EXPECT_NE(text(r.response.payload).find("<" + where + ">"), std::string::npos) << text(r.response.payload);
    EXPECT_TRUE(rd.exited() == false) << rd.output();
    rd.terminate();
}

// An LwM2M client is the CoAP server of its DM server on the session it opened (LwM2M 1.1
// Transport §6.4): our Client serves a GET our Server sends back on that session.
TEST(CoapClient, ServesRequestsOnItsOwnSession) {
    Server server(Server::Options{"127.0.0.1", std::nullopt, 0, {{kId, kKey}}});
    std::atomic<bool> stop{false};
    std::optional<Reply> read_back;
    std::optional<Session> registered;
    server.on_request([&](const Request& r, Session& s) {
        if (r.method == Method::post && r.path_str() == "/rd") registered = s;
        return Response{kCreated, {}, {}};
    });
    std::thread t([&] {
        bool sent = false;
        server.run_until(
            [&] {
                if (registered && !sent) {
                    sent = true;
                    registered->send({Method::get, "/3/0/0", {}, std::nullopt, kTextPlain}, [&](const Reply& r) { read_back = r; });
                }
                return stop.load();
            },
            15000ms);
    });
    Client client(fmt::format("coaps://127.0.0.1:{}", server.dtls_port()), Psk{kId, kKey});
    std::vector<Request> seen;
    client.on_request([&](const Request& r, Session&) {
        seen.push_back(r);
        return Response{kContent, kTextPlain, bytes("Elvaco")};
    });
    const Reply reg = client.session().call({Method::post, "/rd", {"ep=cmi6110"}}, 5000ms);
    EXPECT_EQ(reg.status, Reply::Status::ok);
    EXPECT_EQ(code_name(reg.response.code), "2.01");
    client.run_until([&] { return !seen.empty(); }, 5000ms);
    client.run_for(300ms);  // the response goes out
    stop = true;
    t.join();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].path_str(), "/3/0/0");
    EXPECT_EQ(seen[0].accept, std::optional<std::uint16_t>(kTextPlain));
    ASSERT_TRUE(read_back.has_value());
    EXPECT_EQ(read_back->status, Reply::Status::ok);
    EXPECT_EQ(text(read_back->response.payload), "Elvaco");
    EXPECT_TRUE(registered->secure());
}

// A notification a client sends by itself with the token of an observation the server no longer
// has (RFC 7641 §3.6: the server answers RST) reaches on_unknown_response with its token, Observe,
// Content-Format and payload; a request's token is in Request::token.
TEST(CoapClient, NotificationWithAnUnknownTokenReachesTheServer) {
    Server server(Server::Options{"127.0.0.1", std::nullopt, 0, {{kId, kKey}}});
    std::atomic<bool> stop{false};
    std::vector<Bytes> request_tokens;
    std::vector<std::pair<Bytes, Reply>> strays;
    server.on_request([&](const Request& r, Session&) {
        request_tokens.push_back(r.token);
        return Response{kCreated, {}, {}};
    });
    server.on_unknown_response([&](Session&, const Bytes& token, const Reply& r) { strays.emplace_back(token, r); });
    std::thread t([&] { server.run_until([&] { return stop.load(); }, 15000ms); });
    Client client(fmt::format("coaps://127.0.0.1:{}", server.dtls_port()), Psk{kId, kKey});
    const Reply reg = client.session().call({Method::post, "/rd", {"ep=cmi6110"}}, 5000ms);
    EXPECT_EQ(reg.status, Reply::Status::ok);
    const Bytes token{0xCA, 0xFE, 0x01};
    client.session().send_notification(token, 0x10001, kTextPlain, bytes("60"));
    client.run_for(500ms);
    stop = true;
    t.join();
    ASSERT_EQ(request_tokens.size(), 1u);
    EXPECT_FALSE(request_tokens[0].empty());  // libcoap gives every request a token (RFC 7252 §5.3.1)
    ASSERT_EQ(strays.size(), 1u);
    EXPECT_EQ(strays[0].first, token);
    EXPECT_EQ(strays[0].second.observe, std::optional<std::uint32_t>(0x10001));
    EXPECT_EQ(code_name(strays[0].second.response.code), "2.05");
    EXPECT_EQ(strays[0].second.response.content_format, std::optional<std::uint16_t>(kTextPlain));
    EXPECT_EQ(text(strays[0].second.response.payload), "60");
}

// ---------------------------------------------------------------- secrets

TEST(CoapSecrets, ScrubReplacesBytesAndHex) {
    register_secret(kKey);
    std::string hex;
    for (auto b : kKey) hex += fmt::format("{:02x}", b);
    std::string upper = hex;
    for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    const std::string s = scrub("key " + kKeyText + " hex " + hex + " HEX " + upper + " end");
    EXPECT_EQ(s, "key <redacted> hex <redacted> HEX <redacted> end");
}

// Every log line libcoap writes at the most verbose level we allow, during good and failed
// handshakes on both sides, plus what the tools print: none holds the PSK (text or hex).
TEST(CoapSecrets, NoPskInAnyLog) {
    std::string log;
    std::mutex m;
    set_log_sink([&](int, std::string_view msg) {
        std::lock_guard lock(m);
        log.append(msg).push_back('\n');
    });
    set_log_level(9);  // capped at LOG_INFO
    {
        Server server(Server::Options{"127.0.0.1", 0, 0, {{kId, kKey}}});
        server.on_request([](const Request&, Session&) { return Response{kContent, kTextPlain, bytes("ok")}; });
        Child good({"coap-client-openssl", "-B", "5", "-u", kId, "-k", kKeyText, fmt::format("coaps://127.0.0.1:{}/x", server.dtls_port())},
                   "sgood");
        ASSERT_TRUE(serve_until_exit(server, good));
        Child bad({"coap-client-openssl", "-B", "3", "-u", "intruder", "-k", kKeyText, fmt::format("coaps://127.0.0.1:{}/x", server.dtls_port())},
                  "sbad");
        ASSERT_TRUE(serve_until_exit(server, bad));
        Client c1(fmt::format("coaps://127.0.0.1:{}", server.dtls_port()), Psk{kId2, kKey2});  // unknown identity
        std::thread t([&] { server.run_for(3000ms); });
        const Reply r = c1.session().call({Method::get, "/x"}, 2500ms);
        t.join();
        EXPECT_NE(r.status, Reply::Status::ok);
        {
            std::lock_guard lock(m);
            EXPECT_NE(log.find("unknown PSK identity"), std::string::npos) << log;  // libcoap's own lines reached the sink
        }
        const std::string tools = good.output() + bad.output();
        EXPECT_NE(good.output().find("ok"), std::string::npos) << tools;
        log += tools;  // the tools' own output: libcoap's, not ours, but no key there either
    }
    set_log_level(kLogWarning);
    set_log_sink(nullptr);
    EXPECT_FALSE(log.empty());
    for (const Bytes& key : {kKey, kKey2}) {
        std::string hex, upper;
        for (auto b : key) {
            hex += fmt::format("{:02x}", b);
            upper += fmt::format("{:02X}", b);
        }
        EXPECT_EQ(log.find(text(key)), std::string::npos);
        EXPECT_EQ(log.find(hex), std::string::npos);
        EXPECT_EQ(log.find(upper), std::string::npos);
    }
}

// Endpoints on different threads (the header's contract: an Endpoint is used from one thread) may
// register their observable resources at the same time: lwm2m_bench runs 100 reference clients on
// threads of one process, each registering the same ~700 paths. libcoap 4.3.1's
// coap_make_str_const() returns one of 2 process-wide static slots holding the caller's pointer,
// so building a resource's path with it from two threads at once gave one Endpoint another
// thread's path (libcoap then warns "Duplicate uri_path … old resource deleted" when the real one
// comes, and the lost path answers 4.04) or a pointer and length of two different strings.
TEST(CoapEndpoint, ObservablesFromManyThreadsAtOnce) {
    std::string log;
    std::mutex m;
    set_log_sink([&](int, std::string_view msg) {
        std::lock_guard lock(m);
        log.append(msg).push_back('\n');
    });
    constexpr int kThreads = 8, kPaths = 1500;
    for (int round = 0; round < 10; ++round) {  // a race: 10 rounds (the unfixed code failed about every other one)
        std::atomic<int> ready{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t)
            threads.emplace_back([&, t] {
                Client c("coap://127.0.0.1:9");
                ++ready;
                while (ready.load() < kThreads) std::this_thread::yield();
                for (int i = 0; i < kPaths; ++i) {
                    const int k = (i * 7 + t * 211) % kPaths;  // the same paths, in another order on each thread
                    c.add_observable(fmt::format("/33906/{}/{}", k / 40, k % 40));
                }
            });
        for (auto& th : threads) th.join();
    }
    set_log_sink(nullptr);
    EXPECT_EQ(log.find("Duplicate uri_path"), std::string::npos) << log.substr(0, 2000);
}
