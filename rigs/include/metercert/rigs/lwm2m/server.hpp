// The suite's LwM2M servers and MQTT-SN gateway (the certification side of the CMi6110's network
// half, issue 15): a Bootstrap-Server, a Device Management (DM) server with a registration table,
// and an MQTT-SN gateway over UDP, all served by one background I/O thread.
//
// Sources:
//   OMA LwM2M TS 1.1 Core §6.1 (Bootstrap: Request POST /bs?ep=, then Bootstrap-Delete, -Write,
//     -Discover, -Read, and Bootstrap-Finish POST /bs from the server, §5.2.7), §6.2 / §5.3
//     (Registration: Register POST /rd?ep=&lt=&lwm2m=&b= with a link-format payload, answered 2.01
//     with Location-Path /rd/<id>; Update POST /rd/<id>; De-register DELETE /rd/<id>), §5.4 (DM
//     operations: Read GET with Accept, Write PUT replace / POST partial, Execute POST with
//     arguments, Discover GET Accept 40, Write-Attributes PUT with Uri-Query), §5.5 (Observe/Cancel,
//     RFC 7641). Register query and payload, TLV and the other formats: metercert::lwm2m.
//   LwM2M 1.1 Transport §5: CoAP over UDP, NoSec or DTLS 1.2 PSK (rigs/coap).
//   MQTT-SN 1.2 (the gateway's answers and named violations: metercert::mqttsn::Gateway).
//
// Every datagram passes a UDP tap (rigs/coap/udp_tap.hpp): clients send to the tap's port (the
// ports this class reports), the tap relays to the server and records each datagram in memory
// and, when `pcap_dir` is set, to <pcap_dir>/bootstrap.pcap, dm.pcap and mqttsn.pcap
// (LINKTYPE_IPV4; tshark dissects CoAP, DTLS, MQTT-SN). PSKs go only to libcoap: never into a log,
// an error, a record or a capture (DTLS records are encrypted; a keylog only when asked,
// coap::set_keylog_file).
//
// Threads: every public method may be called from any thread. The I/O (libcoap, the gateway's
// socket) runs on the one background thread; a DM operation is queued to it and the caller
// waits for its reply or its timeout. Times: `at_us` monotonic (rigs::monotonic_now, µs),
// `wall_us` µs since the Unix epoch.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "metercert/lwm2m/links.hpp"
#include "metercert/lwm2m/types.hpp"
#include "metercert/mqttsn/gateway.hpp"
#include "metercert/rigs/coap/coap.hpp"
#include "metercert/rigs/coap/udp_tap.hpp"

namespace metercert::rigs::lwm2m {

using coap::Bytes;
using coap::Millis;

// One step of the Bootstrap-Server's sequence towards a client that sent Bootstrap-Request
// (TS 1.1 §5.2.7, §6.1).
struct BootstrapStep {
    enum class Kind : std::uint8_t {
        delete_,   // Bootstrap-Delete: DELETE `path` ("/" by default)
        write,     // Bootstrap-Write: PUT `path` ("/0/1", "/1/0") with `payload` in `content_format` (TLV by default)
        discover,  // Bootstrap-Discover: GET `path` with Accept 40
        read,      // Bootstrap-Read: GET `path` with `accept` (TS 1.1 §5.2.7.2: /1 and /2 only)
        finish,    // Bootstrap-Finish: POST /bs
    };
    Kind kind = Kind::finish;
    std::string path = "/";
    std::uint16_t content_format = 11542;
    Bytes payload;
    std::optional<std::uint16_t> accept;
};
const char* step_name(BootstrapStep::Kind k) noexcept;  // "bootstrap-delete", "bootstrap-write", …

// One request and its answer, as the suite saw them. `direction` "from_client" (a request the
// client sent: Bootstrap-Request, Register, Update, De-register; `code` what the suite answered)
// or "to_client" (a request the suite sent; `code` the client's response, 0 with `status` when none
// came: timeout, no_ack, reset, tls_failed, not_deliverable).
struct Exchange {
    std::string server;      // "bootstrap" or "dm"
    std::string endpoint;    // the client's endpoint name ("" when the request named none)
    std::string direction;
    std::string operation;   // "bootstrap-request", "register", "update", "deregister", "bootstrap-delete", …, "read", "write", …
    std::string method;      // "GET", "POST", …
    std::string path;
    std::vector<std::string> query;
    std::optional<std::uint16_t> request_format;  // Content-Format of the request
    Bytes request_payload;
    std::string status = "ok";
    std::uint8_t code = 0;   // the response code byte (RFC 7252 §3 c.dd); 0: none
    std::optional<std::uint16_t> content_format;  // of the response
    Bytes payload;           // of the response
    std::int64_t at_us = 0, wall_us = 0;          // the request's time
    std::int64_t reply_at_us = 0;                 // the response's time (0: none)
    std::string peer;        // the client's address as the server saw it (the tap's socket)
    std::string psk_identity;  // the DTLS identity of the session ("" NoSec)
};

// A client's registration with the DM server (TS 1.1 §5.3; RFC 9176's registration resource).
struct Registration {
    std::string id;                   // the Location-Path "/rd/<id>" the suite gave
    std::string endpoint;             // ep
    metercert::lwm2m::RegisterQuery query;  // of the Register, with lt/b of the last Update applied
    std::string links;                // the link-format payload of the Register (or of the last Update that had one)
    std::vector<std::string> objects; // the object instances it lists ("/1/0", "/3/0", "/33905")
    std::int64_t registered_at_us = 0, registered_wall_us = 0;
    std::vector<std::int64_t> updates_at_us;  // each Update's time
    std::int64_t last_at_us = 0;      // the Register's or last Update's time
    std::uint32_t lifetime_s = 86400; // lt (TS 1.1 default 86400)
    bool deregistered = false;
    std::int64_t deregistered_at_us = 0;
    std::string peer, psk_identity;
    // Servers::discard() (ETS LightweightM2M-1.1-int-105): when the suite discarded it (0: never),
    // and each Update to its location answered 4.04 Not Found from then on (the first one ends it)
    std::int64_t discarded_at_us = 0;
    std::vector<std::int64_t> refused_updates_at_us;
    // lifetime expiry (TS 1.1 §6.2.2: the registration ends when no Update comes within lt):
    // now_us > last_at_us + lifetime_s, and not deregistered
    [[nodiscard]] bool expired(std::int64_t now_us) const noexcept;
};

// The answer to a DM operation. `code` 0 when no response came (`status` says why).
struct OperationResult {
    std::string status = "ok";
    std::uint8_t code = 0;
    std::optional<std::uint16_t> content_format;
    Bytes payload;
    std::optional<std::uint32_t> observe;
    std::int64_t at_us = 0, wall_us = 0;
    // payload decoded by metercert::lwm2m (TLV, SenML, text, opaque) against the CMi6110 model's
    // types, when it decodes; `decode_error` says why not otherwise ("" when not attempted)
    std::vector<metercert::lwm2m::Entry> entries;
    bool decoded = false;
    std::string decode_error;
    std::vector<metercert::lwm2m::Link> links;  // Content-Format 40 (Discover)
};

// A client's LwM2M 1.1 Send (TS 1.1 Core §5.6.3 "Send", Transport §6.4: CON POST /dp, SenML-CBOR
// 112 or SenML-JSON 110) is an Exchange with server "dm", direction "from_client", operation "send",
// its Content-Format in `request_format` and its body in `request_payload`, `endpoint` the client
// registered on the session it came on; answered 2.04 Changed, or 4.00 Bad Request from a session
// no live registration holds (`endpoint` ""; Leshan answers so). The body is recorded as it came.
//
// An observation (RFC 7641) the suite holds on a client: its notifications with their times.
struct Observation {
    std::string endpoint, path;
    Bytes token;
    bool active = true;
    std::vector<OperationResult> notifications;  // the first response included
    // notifications with this observation's token that came after cancel_observe (RFC 7641 §3.6:
    // a client must stop; the suite answered each RST)
    std::vector<OperationResult> after_cancel;
};

// An MQTT-SN datagram from a client, the gateway's record (metercert::mqttsn::Uplink) with times.
struct GatewayUplink {
    metercert::mqttsn::Uplink uplink;
    std::int64_t wall_us = 0;
    // Options::mqttsn_dtls: the PSK identity of the DTLS session the datagram came in ("" plain UDP)
    std::string psk_identity;
};

// Options::mqttsn_dtls: one client's DTLS session with the gateway (rigs/dtls PeerInfo) or what
// happened to one (established, handshake_failed, handshake_timeout, closed, not_dtls: a clear
// datagram the gateway dropped, cookie_sent). Never a key.
struct GatewayDtlsEvent {
    std::string event;     // dtls::event_name
    std::string peer, identity, cipher, reason;
    double handshake_ms = 0;
    std::int64_t at_us = 0;
};

// Exact running totals since the servers started, whether or not Options::record_limit caps the
// records kept in memory: "nothing lost" over a long soak is checked from these.
struct ServerCounters {
    std::uint64_t datagrams_bootstrap = 0, datagrams_dm = 0, datagrams_mqttsn = 0;  // reached each tap, both directions
    std::uint64_t exchanges = 0;        // Exchange records made (exchanges())
    std::uint64_t registers = 0;        // Register requests answered 2.01 (registrations made)
    std::uint64_t updates = 0;          // Update requests answered 2.04
    std::uint64_t deregisters = 0;      // De-register requests answered 2.02
    std::uint64_t uplinks = 0;          // MQTT-SN datagrams from clients (the gateway's records)
    std::uint64_t publishes = 0;        // of them PUBLISH, DUP 0 (first sends, MQTT-SN 1.2 §5.3.4)
    std::uint64_t publish_dups = 0;     // of them PUBLISH, DUP 1 (retransmissions)
    std::int64_t last_register_at_us = 0;  // the latest registration's time (monotonic µs; 0: none yet)
    std::uint64_t sends = 0;            // LwM2M Send requests (POST /dp), answered 2.04 or 4.00
    // Options::mqttsn_dtls: the gateway's DTLS sessions (exact, unlike the trimmed mqttsn_dtls_events()):
    // handshakes completed, failed (alert / error) or timed out, clear datagrams dropped (not_dtls),
    // HelloVerifyRequests sent (RFC 6347 §4.2.1)
    std::uint64_t mqttsn_dtls_established = 0, mqttsn_dtls_failed = 0, mqttsn_dtls_timeouts = 0, mqttsn_dtls_not_dtls = 0,
                  mqttsn_dtls_cookies = 0;
};

class ServersError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Servers {
public:
    struct Options {
        std::string address = "127.0.0.1";   // where the taps listen (loopback unless told)
        bool bootstrap = true, dm = true, mqttsn = false;
        bool dtls = false;                    // DTLS-PSK (else NoSec) for both LwM2M servers
        std::map<std::string, Bytes> psks;    // identity → key, accepted by both (dtls)
        std::uint16_t bootstrap_port = 0, dm_port = 0, mqttsn_port = 0;  // public (tap) ports; 0 = free
        std::vector<BootstrapStep> bootstrap_sequence;  // empty: Bootstrap-Finish only
        metercert::mqttsn::GatewayConfig gateway;
        std::string pcap_dir;                 // "" = no capture
        // DTLS keylog for decrypting the captures (NSS key log format, coap::set_keylog_file: process-
        // wide, created 0600; turned off again by stop()), ONLY when asked; "" = none (the default)
        std::string keylog_path;
        Millis lifetime{600000};              // everything stops by itself after this
        Millis step_timeout{20000};           // per bootstrap step
        // The first `refuse_registers` Register requests are answered 4.03 Forbidden (TS 1.1 §5.3.1
        // response codes): a module with a Bootstrap-Server account falls back to bootstrap (int-7)
        unsigned refuse_registers = 0;

        // each tap's UdpTap::Options::peer_idle (0: a client's relay socket is kept for the servers'
        // life); lwm2m_bench sets it so that 200 new clients a round do not pile up descriptors
        Millis tap_peer_idle{0};
        // 0: keep every record for the servers' life (the default; the conformance cases read them).
        // Else a bound for long soaks (rigs/bench/lwm2m_bench): datagrams() per tap, exchanges(),
        // uplinks() (and the gateway's own, GatewayConfig::uplink_limit; its ended sessions likewise,
        // GatewayConfig::ended_session_limit, unless `gateway` sets them) keep at least the last
        // `record_limit` and at most 2 × record_limit (the oldest go in batches); registrations()
        // keeps every live registration and at least the last `record_limit` ended ones (de-registered
        // or replaced). counters() stays exact; the captures (pcap_dir) still get every datagram.
        // Not bounded: observations(), findings(), the bootstrap state per endpoint.
        std::size_t record_limit = 0;
        // MQTT-SN over DTLS 1.2 PSK (rigs/dtls; CMi6110 Table 2 33905/x/2 = 0 "PSK mode", ERRATA E-134,
        // E-147): the gateway accepts only DTLS sessions whose identity is in `psks` (its keys); a clear
        // datagram is dropped (a `not_dtls` event). The tap still records every datagram as sent, so
        // mqttsn.pcap holds the encrypted records (tshark: DTLS). false: plain UDP (33905/x/2 = 3).
        bool mqttsn_dtls = false;
        Millis mqttsn_handshake_timeout{10000};  // per client session
    };
    // Throws ServersError (no server asked for, dtls without psks) or coap::CoapError (bind).
    explicit Servers(Options o);
    ~Servers();
    Servers(const Servers&) = delete;
    Servers& operator=(const Servers&) = delete;

    [[nodiscard]] std::uint16_t bootstrap_port() const noexcept;
    [[nodiscard]] std::uint16_t dm_port() const noexcept;
    [[nodiscard]] std::uint16_t mqttsn_port() const noexcept;
    [[nodiscard]] bool dtls() const noexcept;

    // Waits until `endpoint` is registered (not deregistered); nullopt on timeout
    std::optional<Registration> wait_registration(const std::string& endpoint, Millis timeout);
    // Waits until the bootstrap sequence for `endpoint` has ended (Finish answered or a step failed)
    bool wait_bootstrap(const std::string& endpoint, Millis timeout);
    [[nodiscard]] std::vector<Registration> registrations() const;
    [[nodiscard]] std::vector<Exchange> exchanges() const;

    // DM operations on the client's registration session (TS 1.1 §5.4). Throw ServersError when
    // `endpoint` is not registered, `path` is not an LwM2M path or the servers have stopped.
    OperationResult read(const std::string& endpoint, const std::string& path, std::optional<std::uint16_t> accept, Millis timeout);
    // replace: PUT, else POST (partial update)
    OperationResult write(const std::string& endpoint, const std::string& path, std::uint16_t content_format, const Bytes& payload,
                          bool replace, Millis timeout);
    OperationResult execute(const std::string& endpoint, const std::string& path, const std::string& arguments, Millis timeout);
    OperationResult discover(const std::string& endpoint, const std::string& path, Millis timeout);
    // options: "pmin=10", "gt=20.5", "pmax" (§5.4.4)
    OperationResult write_attributes(const std::string& endpoint, const std::string& path, const std::vector<std::string>& options,
                                     Millis timeout);
    // Returns the observation's id (index into observations()); waits for the first response
    std::size_t observe(const std::string& endpoint, const std::string& path, std::optional<std::uint16_t> accept, Millis timeout);
    bool cancel_observe(std::size_t id);
    [[nodiscard]] std::vector<Observation> observations() const;

    // Disturbs the datagrams of one server's tap ("bootstrap", "dm", "mqttsn") from now on (RFC 7252
    // §4.2 retransmission cases: drop the module's first transmission). Throws ServersError for a
    // server not running.
    void add_tap_fault(const std::string& server, coap::TapFault fault);

    // Every datagram the taps saw: (server name, datagram)
    [[nodiscard]] std::vector<std::pair<std::string, coap::TapDatagram>> datagrams() const;
    [[nodiscard]] std::vector<GatewayUplink> uplinks() const;
    [[nodiscard]] std::vector<metercert::mqttsn::Finding> findings() const;
    // Options::mqttsn_dtls: the gateway's DTLS events so far, in order (empty on plain UDP)
    [[nodiscard]] std::vector<GatewayDtlsEvent> mqttsn_dtls_events() const;
    // The gateway's PUBACK knobs from the next datagram on (GatewayConfig::withhold_pubacks,
    // withhold_all_pubacks; the other settings stay): applied on the I/O thread, returns once they
    // are (false: the servers have stopped)
    bool set_puback_withholding(unsigned withhold_pubacks, bool withhold_all_pubacks);

    // The next `n` Bootstrap-Requests are answered 4.03 Forbidden (any thread): the suite's stand-in
    // for a module that reaches no Bootstrap-Server, e.g. with a wrong APN (CMi6110 §6.4; ERRATA E-128)
    void refuse_bootstraps(unsigned n);

    // The DM server discards `endpoint`'s live registration (as a server that lost its state would;
    // OMA ETS LightweightM2M-1.1-int-105 "Discarded Register Update"): the next Update to its location
    // is answered 4.04 Not Found (TS 1.1 §6.2.2, the Update's response codes) and the registration
    // ends there (deregistered, at that time); every later Update to it likewise 4.04. Until that
    // Update the registration's session still carries DM operations, so a case can trigger it
    // (Execute 1/1/8). Recorded: Registration::discarded_at_us, refused_updates_at_us; the Update's
    // Exchange (operation "update", code 4.04, the endpoint). False when `endpoint` is not registered.
    bool discard(const std::string& endpoint);

    // exact totals (see ServerCounters), also with Options::record_limit
    [[nodiscard]] ServerCounters counters() const;

    void stop();  // idempotent; the destructor calls it

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace metercert::rigs::lwm2m
