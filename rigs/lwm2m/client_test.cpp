// The reference CMi6110 LwM2M client's bootstrap (OMA LwM2M TS 1.1 §6.1, §5.2.7) against a scripted
// Bootstrap-Server and DM server built on metercert_coap's Server (DTLS-PSK, loopback, bounded
// times). Expectations are the standard's and the manual's: Bootstrap-Request POST /bs?ep=NAME
// (§5.2.7.1) answered 2.04; Bootstrap-Delete "/" 2.02; Bootstrap-Write 2.04; Bootstrap-Discover a
// link format starting with "</>;lwm2m=1.1" (§5.2.7.3); Bootstrap-Finish 2.04; then Register POST /rd
// with ep, lt, lwm2m=1.1, b=U and the objects of CMi6110 manual §6.3 Tables 1/2 (never object 0),
// under the DM PSK identity Table 1 names (0/1/3 "DM PSK identity (DevEUI)").
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "metercert/mqttsn/gateway.hpp"
#include "metercert/rigs/clock.hpp"
#include "metercert/rigs/lwm2m/client.hpp"

namespace {

using namespace metercert::rigs;
using coap::Bytes;
using coap::Method;

Bytes bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }
std::string text(const Bytes& b) { return std::string(b.begin(), b.end()); }

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

TEST(Lwm2mClient, BootstrapsThenRegistersWithTheDmServerItWasGiven) {
    const Bytes bs_key = bytes("bootstrap-key-1"), dm_key = bytes("dm-key-2");
    const std::string dev_eui = "0000000000000000";  // the model's factory DevEUI: Table 1's DM PSK identity

    coap::Server::Options bo;
    bo.port = std::nullopt;
    bo.dtls_port = 0;
    bo.psks["bs-identity"] = bs_key;
    coap::Server bs(bo);
    coap::Server::Options dmo;
    dmo.port = std::nullopt;
    dmo.dtls_port = 0;
    dmo.psks[dev_eui] = dm_key;
    coap::Server dm(dmo);

    std::optional<coap::Session> bs_session;
    std::vector<std::string> bs_query;
    bs.on_request([&](const coap::Request& r, coap::Session& s) {
        if (r.method == Method::post && r.path_str() == "/bs") {
            bs_session = s;
            bs_query = r.query;
            return coap::Response{coap::kChanged};
        }
        return coap::Response{coap::kNotFound};
    });
    std::optional<coap::Session> dm_session;
    std::vector<std::string> reg_query;
    std::string reg_links;
    bool deregistered = false;
    dm.on_request([&](const coap::Request& r, coap::Session& s) {
        if (r.method == Method::post && r.path_str() == "/rd") {
            dm_session = s;
            reg_query = r.query;
            reg_links = text(r.payload);
            return coap::Response{coap::kCreated, std::nullopt, {}, {"rd", "42"}};
        }
        if (r.method == Method::del && r.path_str() == "/rd/42") {
            deregistered = true;
            return coap::Response{coap::kDeleted};
        }
        return coap::Response{coap::kNotFound};
    });

    lwm2m::ClientOptions o;
    o.bootstrap = "coaps://127.0.0.1:" + std::to_string(bs.dtls_port());
    o.endpoint = "cmi6110-bs-test";
    o.psk = coap::Psk{"bs-identity", bs_key};
    o.run_time = std::chrono::seconds(20);
    std::atomic<bool> stop{false};
    std::string failure;
    std::thread client_thread([&] {
        try {
            lwm2m::Client c(o, {});
            c.run(stop);
        } catch (const std::exception& e) {
            failure = e.what();
        }
    });

    ASSERT_TRUE(bs.run_until([&] { return bs_session.has_value(); }, std::chrono::seconds(10)));
    EXPECT_TRUE(has(bs_query, "ep=cmi6110-bs-test"));
    const auto t = std::chrono::seconds(5);
    auto r = bs_session->call(coap::Outgoing(Method::del, "/"), t);
    ASSERT_EQ(r.status, coap::Reply::Status::ok);
    EXPECT_EQ(r.response.code, coap::kDeleted);
    const std::string dm_uri = "coaps://127.0.0.1:" + std::to_string(dm.dtls_port());
    r = bs_session->call(coap::Outgoing(Method::put, "/0/1/0", {}, coap::kTextPlain, std::nullopt, bytes(dm_uri)), t);
    EXPECT_EQ(r.response.code, coap::kChanged);
    r = bs_session->call(coap::Outgoing(Method::put, "/0/1/2", {}, coap::kTextPlain, std::nullopt, bytes("0")), t);  // PSK mode
    EXPECT_EQ(r.response.code, coap::kChanged);
    r = bs_session->call(coap::Outgoing(Method::put, "/0/1/5", {}, coap::kOctetStream, std::nullopt, dm_key), t);
    EXPECT_EQ(r.response.code, coap::kChanged);
    // a write to 0/1/10 Short Server ID, R in Table 1: the Bootstrap interface refuses with 4.00 (E-92)
    r = bs_session->call(coap::Outgoing(Method::put, "/0/1/10", {}, coap::kTextPlain, std::nullopt, bytes("7")), t);
    EXPECT_EQ(r.response.code, coap::kBadRequest);
    r = bs_session->call(coap::Outgoing(Method::get, "/", {}, std::nullopt, coap::kLinkFormat), t);
    ASSERT_EQ(r.response.code, coap::kContent);
    EXPECT_EQ(text(r.response.payload).rfind("</>;lwm2m=1.1", 0), 0u) << text(r.response.payload);
    EXPECT_NE(text(r.response.payload).find("uri=\"" + dm_uri + "\""), std::string::npos) << text(r.response.payload);
    r = bs_session->call(coap::Outgoing(Method::post, "/bs"), t);
    EXPECT_EQ(r.response.code, coap::kChanged);

    // the client now registers with the DM server over DTLS with the DevEUI identity and the written key
    ASSERT_TRUE(dm.run_until([&] { return dm_session.has_value(); }, std::chrono::seconds(10))) << failure;
    EXPECT_TRUE(has(reg_query, "ep=cmi6110-bs-test"));
    EXPECT_TRUE(has(reg_query, "lwm2m=1.1"));
    EXPECT_TRUE(has(reg_query, "b=U"));
    for (const char* link : {"</1/1>", "</3/0>", "</33905/0>", "</33906/0>", "</33911/0>"})
        EXPECT_NE(reg_links.find(link), std::string::npos) << link << " in " << reg_links;
    EXPECT_EQ(reg_links.find("</0/"), std::string::npos) << reg_links;
    EXPECT_TRUE(dm_session->secure());
    // the DM server reads Table 1's manufacturer on the client's session
    r = dm_session->call(coap::Outgoing(Method::get, "/3/0/0", {}, std::nullopt, coap::kTextPlain), t);
    EXPECT_EQ(r.response.code, coap::kContent);
    EXPECT_EQ(text(r.response.payload), "Elvaco");
    // the DM server may not write a read-only resource (Table 1 3/0/0 R): 4.05
    r = dm_session->call(coap::Outgoing(Method::put, "/3/0/0", {}, coap::kTextPlain, std::nullopt, bytes("Acme")), t);
    EXPECT_EQ(r.response.code, coap::kMethodNotAllowed);

    stop = true;
    dm.run_until([&] { return deregistered; }, std::chrono::seconds(5));
    client_thread.join();
    EXPECT_TRUE(deregistered);
    EXPECT_EQ(failure, "");
}

TEST(Lwm2mClient, ObserveNotifiesAtPmax) {
    // TS 1.1 §5.1.2: with pmax 1 (s), a notification at the latest 1 s after the last one even when
    // the value did not change; here at time scale 1 over ~2.5 s: at least 2 notifications
    coap::Server::Options so;
    so.port = 0;
    coap::Server dm(so);
    std::optional<coap::Session> session;
    dm.on_request([&](const coap::Request& r, coap::Session& s) {
        if (r.method == Method::post && r.path_str() == "/rd") {
            session = s;
            return coap::Response{coap::kCreated, std::nullopt, {}, {"rd", "1"}};
        }
        return coap::Response{r.method == Method::del ? coap::kDeleted : coap::kChanged};
    });
    lwm2m::ClientOptions o;
    o.server = "coap://127.0.0.1:" + std::to_string(dm.port());
    o.endpoint = "cmi6110-obs";
    o.run_time = std::chrono::seconds(8);
    std::atomic<bool> stop{false};
    std::thread th([&] {
        lwm2m::Client c(o, {});
        c.run(stop);
    });
    ASSERT_TRUE(dm.run_until([&] { return session.has_value(); }, std::chrono::seconds(5)));
    auto r = session->call(coap::Outgoing(Method::put, "/3/0/1", {"pmax=1"}), std::chrono::seconds(3));
    EXPECT_EQ(r.response.code, coap::kChanged);
    int notes = 0;
    const auto token = session->observe(coap::Outgoing(Method::get, "/3/0/1", {}, std::nullopt, coap::kTextPlain), [&](const coap::Reply& rep) {
        if (rep.status == coap::Reply::Status::ok && text(rep.response.payload) == "CMi6110") ++notes;
    });
    dm.run_for(std::chrono::milliseconds(2600));
    EXPECT_GE(notes, 3);  // the first response and ≥ 2 notifications
    session->cancel_observe(token);
    dm.run_for(std::chrono::milliseconds(300));
    const int after_cancel = notes;
    dm.run_for(std::chrono::milliseconds(1500));
    EXPECT_EQ(notes, after_cancel);
    stop = true;
    dm.run_for(std::chrono::milliseconds(300));
    th.join();
}

TEST(Lwm2mClient, FaultWrongPskIdentityFailsTheDtlsHandshake) {
    // the DM server knows the client by its identity (RFC 4279 §5.1); the fault presents another
    const Bytes key = bytes("dm-key-3");
    for (bool fault : {false, true}) {
        coap::Server::Options so;
        so.port = std::nullopt;
        so.dtls_port = 0;
        so.psks["cmi6110-id"] = key;
        coap::Server dm(so);
        bool registered = false;
        dm.on_request([&](const coap::Request& r, coap::Session&) {
            if (r.method == Method::post && r.path_str() == "/rd") {
                registered = true;
                return coap::Response{coap::kCreated, std::nullopt, {}, {"rd", "9"}};
            }
            return coap::Response{coap::kDeleted};
        });
        lwm2m::ClientOptions o;
        o.server = "coaps://127.0.0.1:" + std::to_string(dm.dtls_port());
        o.endpoint = "cmi6110-psk";
        o.psk = coap::Psk{"cmi6110-id", key};
        o.run_time = std::chrono::milliseconds(500);
        o.faults.wrong_psk_identity = fault;
        std::atomic<bool> stop{false};
        std::string failure;
        std::atomic<bool> done{false};
        std::thread th([&] {
            try {
                lwm2m::Client c(o, {});
                // a short ACK timeout so that a failed handshake ends the Register within the test
                c.model().write({33906, 0, 30, std::nullopt}, std::int64_t{1}, metercert::devices::cmi6110::Origin::dm);
                c.run(stop);
            } catch (const std::exception& e) {
                failure = e.what();
            }
            done = true;
        });
        dm.run_until([&] { return done.load(); }, std::chrono::seconds(15));
        th.join();
        EXPECT_EQ(registered, !fault);
        if (fault) EXPECT_NE(failure.find("register with"), std::string::npos) << failure;
        else EXPECT_EQ(failure, "");
    }
}

TEST(Lwm2mClient, RegistersAgainWhenAnUpdateIsAnswered404) {
    // TS 1.1 §6.2.2 (OMA ETS LightweightM2M-1.1-int-105): an Update answered 4.04 Not Found — the
    // server no longer has the registration — is followed by a new Register; the fault
    // no_register_after_discarded_update keeps the old location and sends Updates to it again.
    // lifetime 2 s at time scale 4: an Update every 0.25 s real (lt/2)
    for (bool fault : {false, true}) {
        coap::Server::Options so;
        so.port = 0;
        coap::Server dm(so);
        std::vector<std::string> registers;       // the ep= of each Register
        std::vector<std::string> updates;         // the path of each Update
        dm.on_request([&](const coap::Request& r, coap::Session&) {
            if (r.method == Method::post && r.path_str() == "/rd") {
                for (const auto& q : r.query)
                    if (q.rfind("ep=", 0) == 0) registers.push_back(q.substr(3));
                return coap::Response{coap::kCreated, std::nullopt, {}, {"rd", std::to_string(registers.size())}};
            }
            if (r.method == Method::post) {
                updates.push_back(r.path_str());
                // the first registration is discarded: each Update to it is answered 4.04
                return coap::Response{r.path_str() == "/rd/1" ? coap::kNotFound : coap::kChanged};
            }
            return coap::Response{coap::kDeleted};
        });
        lwm2m::ClientOptions o;
        o.server = "coap://127.0.0.1:" + std::to_string(dm.port());
        o.endpoint = "cmi6110-105";
        o.lifetime = 2;
        o.time_scale = 4.0;
        o.run_time = std::chrono::milliseconds(1100);
        o.faults.no_register_after_discarded_update = fault;
        std::atomic<bool> done{false};
        std::thread th([&] {
            lwm2m::Client c(o, {});
            std::atomic<bool> stop{false};
            c.run(stop);
            done = true;
        });
        dm.run_until([&] { return done.load(); }, std::chrono::seconds(10));
        th.join();
        ASSERT_FALSE(updates.empty()) << "fault " << fault;
        EXPECT_EQ(updates.front(), "/rd/1");
        if (!fault) {
            ASSERT_EQ(registers.size(), 2u);
            EXPECT_EQ(registers[1], "cmi6110-105");
            EXPECT_EQ(std::count(updates.begin(), updates.end(), "/rd/1"), 1);
        } else {
            EXPECT_EQ(registers.size(), 1u);
            EXPECT_GE(std::count(updates.begin(), updates.end(), "/rd/1"), 2);
        }
    }
}

}  // namespace

TEST(Lwm2mClient, UplinksGoToTheGatewayTheDmServerWritesAndAreCounted) {
    // CMi6110 §6.3 Table 2 (ERRATA E-133, E-135, E-136): the DM server writes 33906/0/24 (MQTT-SN
    // timeout, model s) and 33905/0/0 (the gateway), then executes 33906/0/10; the client connects,
    // registers its topic, publishes QoS 1 and, its first PUBACK withheld, retransmits with DUP 1
    // (MQTT-SN 1.2 §6.13); 33910/0/1 and /2 then count what the gateway saw.
    coap::Server::Options so;
    so.port = 0;
    coap::Server dm(so);
    std::optional<coap::Session> session;
    dm.on_request([&](const coap::Request& r, coap::Session& s) {
        if (r.method == Method::post && r.path_str() == "/rd") {
            session = s;
            return coap::Response{coap::kCreated, std::nullopt, {}, {"rd", "1"}};
        }
        return coap::Response{r.method == Method::del ? coap::kDeleted : coap::kChanged};
    });
    const int gw_fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ASSERT_GE(gw_fd, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    ASSERT_EQ(::bind(gw_fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::getsockname(gw_fd, reinterpret_cast<sockaddr*>(&a), &alen), 0);
    metercert::mqttsn::GatewayConfig gc;
    gc.withhold_pubacks = 1;
    metercert::mqttsn::Gateway gw(gc);
    const auto pump = [&] {
        std::uint8_t buf[2048];
        for (;;) {
            sockaddr_in from{};
            socklen_t flen = sizeof from;
            const auto n = ::recvfrom(gw_fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
            if (n <= 0) break;
            for (const auto& reply : gw.on_datagram("client", std::span<const std::uint8_t>(buf, static_cast<std::size_t>(n)), monotonic_now()))
                ::sendto(gw_fd, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), flen);
        }
    };

    lwm2m::ClientOptions o;
    o.server = "coap://127.0.0.1:" + std::to_string(dm.port());
    o.endpoint = "cmi6110-up";
    o.time_scale = 20;  // 33906/0/24 = 2 s model: 100 ms
    o.run_time = std::chrono::seconds(10);
    std::atomic<bool> stop{false};
    std::thread th([&] {
        lwm2m::Client c(o, {});
        c.run(stop);
    });
    ASSERT_TRUE(dm.run_until([&] { return session.has_value(); }, std::chrono::seconds(5)));
    const auto t = std::chrono::seconds(3);
    EXPECT_EQ(session->call(coap::Outgoing(Method::put, "/33906/0/24", {}, coap::kTextPlain, std::nullopt, bytes("2")), t).response.code,
              coap::kChanged);
    const std::string uri = "mqttsn://127.0.0.1:" + std::to_string(ntohs(a.sin_port));
    EXPECT_EQ(session->call(coap::Outgoing(Method::put, "/33905/0/0", {}, coap::kTextPlain, std::nullopt, bytes(uri)), t).response.code,
              coap::kChanged);
    EXPECT_EQ(session->call(coap::Outgoing(Method::post, "/33906/0/10"), t).response.code, coap::kChanged);
    const auto publishes = [&] {
        std::vector<metercert::mqttsn::Uplink> p;
        for (const auto& u : gw.uplinks())
            if (u.type == metercert::mqttsn::MsgType::publish) p.push_back(u);
        return p;
    };
    for (int i = 0; i < 300 && publishes().size() < 2; ++i) {
        pump();
        dm.run_for(std::chrono::milliseconds(10));
    }
    for (int i = 0; i < 20; ++i) pump(), dm.run_for(std::chrono::milliseconds(10));  // the PUBACK reaches the client
    const auto pubs = publishes();
    ASSERT_EQ(pubs.size(), 2u);
    EXPECT_EQ(pubs[0].qos, metercert::mqttsn::QoS::qos1);
    EXPECT_FALSE(pubs[0].dup);
    EXPECT_TRUE(pubs[1].dup);
    EXPECT_EQ(pubs[0].msg_id, pubs[1].msg_id);
    EXPECT_EQ(pubs[0].data, pubs[1].data);
    EXPECT_EQ(pubs[0].topic, "cmi6110/cmi6110-up");  // no 33905/0/11: cmi6110/<endpoint>
    ASSERT_FALSE(pubs[0].data.empty());
    EXPECT_EQ(pubs[0].data[0] >> 5, 4);  // a CBOR array (RFC 8949 §3.1 major type 4): the SenML pack of 33906/0/1 = 0
    EXPECT_TRUE(gw.findings().empty());
    std::size_t connects = 0, registers = 0;
    for (const auto& u : gw.uplinks()) {
        connects += u.type == metercert::mqttsn::MsgType::connect;
        registers += u.type == metercert::mqttsn::MsgType::register_;
    }
    EXPECT_EQ(connects, 1u);
    EXPECT_EQ(registers, 1u);
    auto r = session->call(coap::Outgoing(Method::get, "/33910/0/1", {}, std::nullopt, coap::kTextPlain), t);
    EXPECT_EQ(text(r.response.payload), "3");  // CONNECT, REGISTER, PUBLISH
    r = session->call(coap::Outgoing(Method::get, "/33910/0/2", {}, std::nullopt, coap::kTextPlain), t);
    EXPECT_EQ(text(r.response.payload), "1");  // the DUP PUBLISH
    r = session->call(coap::Outgoing(Method::get, "/33906/0/14", {}, std::nullopt, coap::kTextPlain), t);
    EXPECT_EQ(text(r.response.payload), "0");  // nothing left to upload
    EXPECT_EQ(session->call(coap::Outgoing(Method::post, "/33910/0/0"), t).response.code, coap::kChanged);
    r = session->call(coap::Outgoing(Method::get, "/33910/0/2", {}, std::nullopt, coap::kTextPlain), t);
    EXPECT_EQ(text(r.response.payload), "0");
    stop = true;
    dm.run_for(std::chrono::milliseconds(300));
    th.join();
    ::close(gw_fd);
}

TEST(Lwm2mClient, NfcLockedIsLockedBeforeItConnects) {
    // CMi6110 §7.2 / §7.5 Table 8: the default is Open; ClientOptions::nfc_locked (--nfc-lock) locks
    // through NFC before the module connects (no PAK needed to lock an open module, ERRATA E-89); the
    // constructor applies it, no network needed to see it
    namespace cm = metercert::devices::cmi6110;
    for (bool lock : {false, true}) {
        lwm2m::ClientOptions o;
        o.server = "coap://127.0.0.1:9";
        o.endpoint = "cmi6110-lock";
        o.nfc_locked = lock;
        lwm2m::Client c(o, {});
        EXPECT_EQ(c.model().locked(), lock);
        const auto r = c.model().read(cm::Path{33906, 0, 5, std::nullopt});
        ASSERT_EQ(r.outcome, cm::Outcome::content);
        EXPECT_EQ(std::get<bool>(r.value), lock);
        // LwM2M device management is not subject to the lock (E-89): a DM Write of 33906/0/0 applies
        EXPECT_EQ(c.model().write(cm::Path{33906, 0, 0, std::nullopt}, cm::Value{std::int64_t{120}}, cm::Origin::dm), cm::Outcome::changed);
        // an NFC write without the PAK is refused on the locked module only (§7.2)
        EXPECT_EQ(c.model().nfc_write("readout_interval", cm::Value{std::int64_t{240}}), lock ? cm::Outcome::locked : cm::Outcome::changed);
    }
}
