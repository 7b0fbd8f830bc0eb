// The reference CMi6110 LwM2M client's I/O (issue 15): the pure operation layer
// (reference/include/metercert/lwm2m/operations.hpp) on the CMi6110 model, over libcoap 3
// (rigs/include/metercert/rigs/coap/coap.hpp). What `metercert simulate cmi6110 --server/--bootstrap`
// runs.
//
// Interfaces (OMA LwM2M TS 1.1 Core):
//   §6.1 / §5.2 Bootstrap (client-initiated): POST /bs?ep=NAME to the Bootstrap-Server, then serve its
//        Bootstrap-Delete (DELETE), Bootstrap-Write (PUT), Bootstrap-Discover (GET, Accept 40),
//        Bootstrap-Read (GET) on the same session, until Bootstrap-Finish (POST /bs) answered 2.04;
//        then register with the DM server the Security instance (Bootstrap-Server false) names:
//        0/x/0 its URI, 0/x/3 the PSK identity, 0/x/5 the PSK (kept in this object only, never shown).
//        A Bootstrap-Delete of "/", /0 or /0/x removes the DM server accounts (Security instances with
//        Bootstrap-Server false) until a Bootstrap-Write gives them again; a Bootstrap-Finish that
//        leaves no DM server account is answered 4.06 Not Acceptable (TS 1.1 §5.2.7, §6.1;
//        ERRATA E-126) and the client ends with ClientError. A Register refused or unanswered falls
//        back to bootstrap (TS 1.1 §6.2.1, int-7; three rounds at most).
//   §6.2 / §5.3 Registration: POST /rd?ep=&lt=&lwm2m=1.1&b=U, Content-Format 40, the link-format of
//        every object instance but Security's (links.hpp register_payload); the 2.01's Location-Path
//        kept; Update (POST /rd/<loc>, no payload) at half the lifetime (the lifetime in model time:
//        real time × time_scale); De-register (DELETE /rd/<loc>) on stop().
//   §5.4 DM and Service Enablement: GET → Read (Discover with Accept 40), PUT → Write-Replace or,
//        with Uri-Query, Write-Attributes, POST → Write-Partial (instance) / Execute (resource) /
//        Create (object), DELETE → Delete; answered by ClientObjects::handle.
//   §5.5 Observe/Notify: every object, instance and resource path is observable (RFC 7641); a
//        notification is sent when decide_notify (attributes.hpp) says so from the effective pmin /
//        pmax of the observed path and whether its representation changed, evaluated every tick.
//        Notifications are confirmable (RFC 7641 §4.5; ERRATA E-156): a lost one is retransmitted with
//        the DM session's ACK timeout and max retransmit (33906/0/30-31).
// The same handler serves requests arriving on the DM session and, when `listen_port` is set, on a
// local listener (loopback; DTLS-PSK with the DM PSK when one is known, else NoSec): libcoap's
// client session socket is connected to its server, so a third party (coap-client-openssl) reaches
// the client only through that listener.
//
// §6.4 APN change: 33906/0/15 (the model stages 11/1 as the APN in use) resets the client: it
// de-registers, bootstraps (with --bootstrap) and registers again; success keeps the new APN
// (DeviceConfig::apn_bootstrap_result(true)), no success within `apn_rollback` rolls back to the old
// one and resets again (ERRATA E-86, E-128).
// A Write of 3/0/13 Current Time sets the module's clock (ERRATA E-129) and is a time synchronisation:
// a readout at once, uploaded as Execute 33906/0/10's (§7.3.2; E-158); readouts carry that clock.
// Executes reach the model: 33906/0/10 readout now, /13 resend history, /14 queue length (read),
// 33910/0/0 statistics reset, 3/0/4 reboot (a re-registration), 1/1/8 registration update trigger.
// The actions are reported on the event log.
//
// MQTT-SN uplinks (manual §7.3.4, §7.5, §6.3 Table 2; ERRATA E-133, E-134, E-147): the gateway is --gateway
// at the start and, whenever the DM server writes it, 33905/0/0 ("mqttsn://HOST:PORT", "udp://HOST:PORT",
// "mqttsns://…", "dtls://…" or "HOST:PORT"). The transport is 33905/0/2's, whatever the scheme: 3 (No
// security) or unset plain UDP; 0 (PSK mode) DTLS 1.2 PSK (rigs/dtls) with the key 33905/0/5 the DM
// server wrote (kept in this object only) and the identity of the module's DM PSK (0/1/3, the DevEUI;
// else 3/0/2): E-147. PSK mode without a written key sends nothing (logged); a failed handshake is
// logged and tried again with the next datagram. A change of 33905/0/0, /2 or /5 reconnects.
// Each new URI opens a new UDP socket (or DTLS session) and a new metercert::mqttsn::Client configured
// from the model as it is then — topic 33905/0/11 (else cmi6110/<endpoint>), connection 33905/0/10,
// timeout 33906/0/24 (s), attempts /25, reconnect back-off /41, RAI /51 — all model time (time_scale).
// The meter is a UH50 model (uh50.hpp) seeded as the uplink simulation: Execute 33906/0/10 reads it at
// the current model time and publishes that one readout, encoded per 33906/0/1 and /2 (SenML pack,
// M-Bus DIBs or JSON; encode_payload); every payload published is kept, and Execute /13 publishes
// them all again in order (the module's stored history); /14 reads the messages queued for upload
// and not yet acknowledged (the one in flight included). 33910/0 counts the MQTT-SN exchanges the
// client started (CONNECT, REGISTER, PUBLISH with DUP 0, DISCONNECT: /1), their retransmissions (a
// PUBLISH with DUP 1, a CONNECT/REGISTER/DISCONNECT sent again unanswered: /2) and the payloads that
// failed after their attempts (/3); /4-/6 the average, minimum and maximum response time in ms of
// real time from a transaction's first request to the gateway's answer (CONNACK, REGACK, PUBACK,
// DISCONNECT; E-157), 0 before any; Execute 33910/0/0 sets /1-/6 to 0 (E-135).
//
// LwM2M 1.1 Send (TS 1.1 Core §5.6.3 "Send", Transport §6.4; CMi6110 Table 2 33906/x/48 "Upload
// Protocol 0 = MQTT-SN 1 = LwM2M"; ERRATA E-151): while 33906/0/48 is 1 the meter-data uplinks —
// the scheduled ones and Execute 33906/0/10's readout — go to the DM server as a CON POST /dp,
// Content-Format 112 (SenML-CBOR), instead of MQTT-SN PUBLISHes. The pack is the Elvaco Meter Data
// object instance /33911/0 (bn "/33911/0/"): 0 Message Type (the frame type 33906/0/2: 42 Standard,
// 43 Extended), 1 Message Encoding (33906/0/1: 0 SenML/CBOR, 1 JSON, 2 M-Bus), 2 Message Data (opaque:
// the payload the MQTT-SN uplink would carry, byte for byte); the three resources read the last
// upload's values too. The Send leaves from the run loop (never inside a request's handler); its
// answer (2.04, another code, or none within the CoAP retransmissions) is on the event log. A Send
// is not counted in 33910 (E-135: MQTT-SN); Execute /13 resends over MQTT-SN only.
//
// §7.3.4 "Data retransmission" (ERRATA E-152): the meter-data telegrams published over MQTT-SN (the
// scheduled ones and Execute /10's; not /13's history resends) are the module's backlog until their
// PUBACK; one given up after its 33906/0/25 attempts stays unsent and goes again at the next
// transmission (a scheduled uplink or Execute /10), with that transmission's new telegram: the
// unsent ones older than 33906/0/44 (min) dropped, in the order of 33906/0/45 (FIFO oldest first,
// LIFO newest first), at most 33906/0/21 telegrams per transmission (the others stay unsent). A new
// gateway URI makes the telegrams in flight unsent. The telegrams are resent as they were (the
// schedule's packs are planned for a network that is up; a failure does not re-plan the readouts).
//
// CoAP transmission parameters: the DM session's ACK timeout and max retransmit are 33906/0/30 and
// /31 of the model (libcoap's retransmission, real time).
//
// Time: real time from rigs::monotonic_now(); model time = real time × time_scale.
// Secrets: PSKs go to libcoap (which registers them with the scrubbing log handler) and nowhere else.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "metercert/devices/cmi6110/module.hpp"
#include "metercert/devices/cmi6110/objects.hpp"
#include "metercert/rigs/coap/coap.hpp"

namespace metercert::rigs::lwm2m {

// Faults of the reference client (deliberate deviations for the network cases; the simulator's
// --fault names them): see faults.hpp of the CMi6110 for the names.
struct ClientFaults {
    bool no_elvaco_objects = false;     // Register payload without 33905…33911
    bool no_update = false;             // never sends an Update before the lifetime ends
    bool writable_read_only = false;    // a DM Write the model refuses with 4.05 answered 2.04, the value kept
    bool wrong_content_format = false;  // a Read with Accept 110 answered in TLV labelled 110
    bool wrong_psk_identity = false;    // the DM session's PSK identity gets a trailing "-x"
    bool update_trigger_ignored = false;      // Execute 1/1/8 answered 2.04, no Update follows
    bool range_not_checked = false;           // a DM Write refused 4.00 for its range/enumeration answered 2.04, the value kept
    bool execute_not_checked = false;         // an Execute of a non-E resource answered 2.04 (nothing done)
    bool instance_read_drops_last_resource = false;  // a Read of an object instance leaves its last resource out
    bool discover_without_attributes = false; // Discover answers without pmin/pmax/gt/lt/st/epmin/epmax
    bool pmax_ignored = false;                // notifications only on a change of value
    bool ignores_observe_cancel = false;      // after a Cancel Observation, notifications go on with the old token
    bool current_time_write_ignored = false;  // a Write of 3/0/13 answered 2.04, the clock not set
    bool no_retransmission = false;           // a CON request is sent once: the ACK timeout 65535 s, libcoap's most (its call still gives up after 33906/30-31's wait)
    bool ack_timeout_doubled = false;         // the session's ACK timeout is twice 33906/0/30

    // bootstrap (TS 1.1 §5.2.7, §6.1; test_6_2_bootstrap.py)
    bool register_before_bootstrap_finish = false;  // registers once a DM account is written, without waiting for Finish
    bool ignores_bootstrap_delete = false;          // answers Bootstrap-Delete 2.02 but keeps the Security accounts
    bool bootstrap_writable_by_dm = false;          // a DM Write to an R(W)/(W) resource (Table 1) answered 2.04, the value kept
    bool no_bootstrap_fallback = false;             // a refused Register is retried at the DM server, never via bootstrap
    bool apn_not_rolled_back = false;               // §6.4: keeps the new APN when no bootstrap succeeds with it

    // the MQTT-SN uplinks' (issue 15, §7.3.4 / §7.5)
    bool qos0_uplink = false;            // PUBLISH QoS 0 (no PUBACK awaited) instead of QoS 1
    bool no_mqttsn_retransmission = false;  // one send per MQTT-SN message whatever 33906/0/25 says
    bool stale_readout_now = false;      // Execute 33906/0/10 uploads the first readout it ever made again, not a new one
    bool statistics_without_retransmissions = false;  // 33910/0/2 never counts a retransmission

    // CoAP retransmission timing (issue 15, RFC 7252 §4.2, RFC 7641 §4.5; test_7_5_timing.py)
    bool max_retransmit_off_by_one = false;  // the DM session's max retransmit is 33906/0/31 + 1
    bool notification_not_resent = false;   // notifications NON (the reference's are CON: ERRATA E-156)
    bool response_time_not_measured = false;  // 33910/0/4-6 stay 0 whatever the transactions
    bool time_sync_write_without_readout = false;  // a Write of 3/0/13 sets the clock, no §7.3.2 readout follows

    // LwM2M 1.1 Send of the meter data (33906/0/48 = 1; ERRATA E-151)
    bool send_ignored_upload_protocol = false;  // meter data still published over MQTT-SN when 33906/0/48 = 1
    bool send_wrong_path = false;               // the Send carries the readout's own SenML pack (names not LwM2M paths)
    // §7.3.4 backlog (ERRATA E-152)
    bool backlog_drops_unacked = false;         // a telegram given up after its attempts is dropped, never resent

    bool radio_band_writable = false;    // a DM Write to 33907/0/11 (R, Table 2) answered 2.04, the value kept (only that one)

    bool mqttsn_plain_despite_psk = false;  // the uplinks go over plain UDP although 33905/0/2 = 0 (PSK mode)

    bool no_register_after_discarded_update = false;  // an Update answered 4.04: the old location kept, Updates go on (int-105)
    bool connection_mode_ignored = false;   // 33905/0/10 ignored: always Optimized (ERRATA E-100, E-161)
    bool lock_state_not_reported = false;   // a Read of 33906/0/5 answers false whatever the NFC lock (§7.2, E-164)
};

struct ClientOptions {
    std::string server;                 // coap[s]://HOST:PORT of the DM server (empty with bootstrap)
    std::string bootstrap;              // coap[s]://HOST:PORT of the Bootstrap-Server (empty: register straight)
    std::string endpoint;               // Endpoint Client Name (ep)
    std::optional<coap::Psk> psk;       // for the first server contacted (bootstrap or DM)
    std::uint32_t lifetime = 86400;     // s, model time (1/1/1 is set to it)
    double time_scale = 1.0;            // model seconds per real second (≥ 1)
    std::optional<std::uint16_t> listen_port;  // a local listener (0: any free port) for third parties
    std::chrono::milliseconds run_time{0};     // 0: until stop()
    ClientFaults faults;
    // Uplinks over MQTT-SN 1.2 (plain UDP) to `gateway` ("HOST:PORT"; empty: none) on topic `topic`
    // (empty: 33905/0/11, else "cmi6110/<endpoint>"): the module's uplinks (module.hpp simulate()
    // from the start, on the scaled clock, `uplinks` the §7.5 settings) each published QoS 1 by
    // metercert::mqttsn::Client when its transmit time comes; delivered / failed on the event log.
    std::string gateway;
    std::string topic;
    devices::cmi6110::ModuleConfig uplinks;
    std::uint64_t seed = 1;
    // The module's DevEUI (Table 1: 3/0/2 and the PSK identities 0/0/3, 0/1/3); empty: the model's
    // factory default "0000000000000000"
    std::string dev_eui;
    // CMi6110 §6.4 "If a successful bootstrapping has not happened for some time, the device will
    // roll back to the old APN and reset again": that time, real (ERRATA E-128); the client tries
    // again every quarter of it
    std::chrono::milliseconds apn_rollback{300000};
    // CMi6110 §7.2 / §7.5 Table 8 "Configuration Lock": true locks the module through its NFC path
    // before it connects (DeviceConfig::nfc_write("configuration_lock", Locked); locking an open
    // module needs no PAK, ERRATA E-89). LwM2M device management is not subject to the lock; the
    // DM server sees it in 33906/0/5 "NFC Config-locked" (ERRATA E-164)
    bool nfc_locked = false;
    // The uplinks to `gateway` inside DTLS 1.2 PSK from the start (rigs/dtls), as though the DM server
    // had written 33905/0/2 = 0 (PSK mode) and 33905/0/5 = this key before the first uplink (ERRATA
    // E-134, E-147: the identity is the module's DM PSK identity). Empty: plain UDP until the DM server
    // writes them. A secret: never shown. (lwm2m_bench --mqttsn-dtls)
    std::vector<std::uint8_t> gateway_key;
};

class ClientError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// One line per event (registered, updated, request, notification, execute, deregistered) for the
// caller's log; never a secret.
using EventSink = std::function<void(const std::string&)>;

class Client {
public:
    Client(ClientOptions o, EventSink events);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // Bootstraps (when told), registers, serves until stop() / run_time, de-registers. Throws
    // ClientError naming the step that failed (bootstrap request refused, registration refused or
    // timed out, no DM server after Bootstrap-Finish).
    void run(const std::atomic<bool>& stop);

    [[nodiscard]] devices::cmi6110::DeviceConfig& model() noexcept;
    [[nodiscard]] std::string location() const;   // "/rd/5a3f", empty before registration
    [[nodiscard]] std::uint16_t listen_port() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace metercert::rigs::lwm2m
