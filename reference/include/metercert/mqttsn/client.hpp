// The CMi6110's MQTT-SN client (meter data upload, "MDM") as a pure state machine: no socket, no
// clock. The caller hands it payloads (`publish`), every datagram from the gateway (`on_datagram`)
// and the time; `poll(now)` answers with the datagrams to send and when to call again; events say
// which payload was delivered (PUBACK) or failed after its attempts, so that the readout backlog
// (devices/cmi6110/backlog.hpp) marks it sent or leaves it unsent for the next transmission
// (CMi6110 manual §7.3.4 "Data retransmission"): the caller keeps tag → Telegram of each
// transmission's plan() and calls Backlog::mark_sent with the delivered ones.
//
// Sources:
//   * MQTT-SN 1.2 (the spec): §6.2 connection set-up (CONNECT → CONNACK), §6.5 topic name
//     registration (REGISTER with TopicId 0x0000 → REGACK with the topic id), §6.6 publish QoS 1
//     (PUBLISH → PUBACK; PUBACK "Rejected: invalid topic ID" → register again), §6.12 disconnect
//     (DISCONNECT → DISCONNECT), §6.13 retransmission (a reply not received in time: the message
//     is sent again, PUBLISH with DUP = 1 and the same MsgId, §5.3.4; after the last attempt the
//     procedure is aborted and the connection considered lost), §5.3.7 MsgId.
//   * CMi6110 manual §6.3 Table 2 and §7.5 Tables 11–12:
//       33905/x/10 Connection config "0 = Optimized 1 = Compliant", default Optimized (Table 11);
//       33905/x/11 Topic (the topic REGISTER names);
//       33906/x/24 MQTT-SN Communication Timeout, s, "1.. 92": minimum 1, default 92 (ERRATA E-87)
//         — how long the client waits for each reply (CONNACK, REGACK, PUBACK, DISCONNECT);
//       33906/x/25 MQTT-SN Communication Attempts, "Total number of attempts", default 2 — the
//         sends of one message, the first included (ERRATA E-101);
//       33906/x/41 MDM Re-connect Back-off Intervals "min0-max0,min1-max1,… in minutes", default
//         "0-5,5-15,15-60,60-360,360-1440,1300-1600" — after the n-th failed connection in a row
//         the client waits a random time drawn from interval n (the last one repeats) before it
//         connects again (ERRATA E-102);
//       33906/x/51 Enable RAI "1 = RAI=2 for MQTT-SN QoS=1": the QoS 1 PUBLISH datagrams are
//         marked for the modem's release assistance (3GPP TS 24.301 RAI "only a single downlink
//         data transmission … expected": the PUBACK) — `Datagram::rai`.
//   * Optimized vs Compliant (the manual names them, never defines them; ERRATA E-100, an
//     implementation-defined reading):
//       Compliant: every upload is a complete MQTT-SN session — CONNECT (CleanSession = 1),
//         REGISTER, PUBLISH QoS 1 per payload, DISCONNECT — one message outstanding at a time;
//       Optimized: the client keeps the session after an upload (no DISCONNECT, no PINGREQ) and
//         publishes the next upload straight with the topic id it registered; it connects and
//         registers again only when it has none (first upload, after a failure) or when the
//         gateway answers PUBACK "Rejected: invalid topic ID" (the gateway has dropped the session).
//   * Keep-alive: the manual gives none; CONNECT carries `keep_alive` (default 0: no supervision,
//     ERRATA E-100).
//
// Faults (for the conformance cases' fault-injected simulators): `qos0` publishes QoS 0 (MsgId
// 0x0000, no PUBACK awaited: "delivered" at once), `no_retransmission` sends each message once,
// `wrong_dup` retransmits PUBLISH with DUP = 0, `no_register` publishes without REGISTER on topic id
// `unregistered_topic_id`.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metercert/mqttsn/packet.hpp"
#include "metercert/time.hpp"

namespace metercert::mqttsn {

// 33905/x/10 (manual Table 2, §7.5 Table 11)
enum class ConnectionConfig : std::uint8_t { optimized = 0, compliant = 1 };

// One back-off interval of 33906/x/40–42: "min-max" minutes, min ≤ max
struct BackoffInterval {
    std::chrono::minutes min{0};
    std::chrono::minutes max{0};
    friend bool operator==(const BackoffInterval&, const BackoffInterval&) = default;
};
// "0-5,5-15,…" → intervals; nullopt for anything else (empty, a missing '-', min > max, not digits,
// above 525600 minutes = a year)
std::optional<std::vector<BackoffInterval>> parse_backoff_intervals(std::string_view text);
inline constexpr std::string_view kDefaultReconnectBackoff = "0-5,5-15,15-60,60-360,360-1440,1300-1600";  // §7.5 Table 12

struct ClientFaults {
    bool qos0 = false;               // PUBLISH QoS 0 instead of 1
    bool no_retransmission = false;  // one send per message, whatever `attempts` says
    bool wrong_dup = false;          // a retransmitted PUBLISH keeps DUP = 0
    bool no_register = false;        // no REGISTER: publishes on `unregistered_topic_id`
    std::uint16_t unregistered_topic_id = 1;
};

struct ClientConfig {
    std::string client_id = "cmi6110";                      // CONNECT ClientId (1–23 characters, spec §5.3.1)
    std::string topic;                                      // 33905/x/11
    ConnectionConfig connection = ConnectionConfig::optimized;  // 33905/x/10, default Optimized
    Duration timeout = std::chrono::seconds(92);            // 33906/x/24, default 92 s
    unsigned attempts = 2;                                  // 33906/x/25, total sends per message (≥ 1)
    std::vector<BackoffInterval> reconnect_backoff = *parse_backoff_intervals(kDefaultReconnectBackoff);  // 33906/x/41
    bool rai = false;                                       // 33906/x/51
    std::uint16_t keep_alive = 0;                           // CONNECT Duration, s (not in the manual)
    std::uint64_t seed = 1;                                 // the back-off draw (deterministic per seed)
    ClientFaults faults;
};

// A datagram to send to the gateway. `rai`: the last uplink before a single expected reply
// (33906/x/51 = 1 and a QoS 1 PUBLISH); the transport passes it to the modem or ignores it.
struct Datagram {
    Bytes bytes;
    bool rai = false;
};

enum class EventKind : std::uint8_t { delivered, failed };
struct Event {
    EventKind kind = EventKind::delivered;
    std::uint64_t tag = 0;  // what publish() returned
    TimePoint at{};
    std::string reason;     // failed: "no PUBACK after 2 attempts", "REGACK: Rejected: not supported", …
};

struct PollResult {
    std::vector<Datagram> send;          // in order
    std::optional<TimePoint> wake_at;    // call poll again at this time (nullopt: only on input)
};

// Where the client is (for tests and the report)
enum class ClientState : std::uint8_t {
    idle,            // nothing queued (Optimized: a session may be kept; see has_session())
    backing_off,     // waiting out the reconnect back-off
    connecting,      // CONNECT sent, CONNACK awaited
    registering,     // REGISTER sent, REGACK awaited
    publishing,      // PUBLISH QoS 1 sent, PUBACK awaited
    disconnecting,   // DISCONNECT sent, DISCONNECT awaited (Compliant)
};
std::string_view state_name(ClientState s) noexcept;

class Client {
public:
    // Throws std::invalid_argument for attempts 0, a timeout ≤ 0, an empty topic (unless
    // faults.no_register) or an empty back-off list
    explicit Client(ClientConfig config);

    [[nodiscard]] const ClientConfig& config() const noexcept { return config_; }
    // Queue a payload for upload; returns its tag (1, 2, …). Sending starts at the next poll.
    std::uint64_t publish(Bytes payload, TimePoint now);
    // A datagram from the gateway. Undecodable or unexpected ones are ignored and counted.
    void on_datagram(std::span<const std::uint8_t> datagram, TimePoint now);
    // Timeouts due at `now`, new messages to start; the datagrams to send and the next wake-up
    PollResult poll(TimePoint now);
    // End a kept session (Optimized) or the current one: DISCONNECT, and no retries
    void disconnect(TimePoint now);
    // Events since the last call
    std::vector<Event> take_events();

    [[nodiscard]] ClientState state() const noexcept { return state_; }
    [[nodiscard]] bool has_session() const noexcept { return topic_id_.has_value() && connected_; }
    [[nodiscard]] std::size_t queued() const noexcept { return queue_.size(); }
    [[nodiscard]] std::size_t ignored_datagrams() const noexcept { return ignored_; }
    [[nodiscard]] unsigned consecutive_failures() const noexcept { return failures_; }

private:
    struct Item {
        std::uint64_t tag;
        Bytes payload;
    };
    void start_next(TimePoint now);
    void send_current(TimePoint now, bool retransmission);
    void fail_all(TimePoint now, const std::string& reason);
    void finish_message(TimePoint now);
    void begin_connect(TimePoint now);
    void begin_register(TimePoint now);
    void begin_publish(TimePoint now);
    std::uint16_t next_msg_id() noexcept;
    Duration draw_backoff();
    unsigned max_attempts() const noexcept;

    ClientConfig config_;
    ClientState state_ = ClientState::idle;
    std::deque<Item> queue_;
    std::vector<Datagram> outbox_;
    std::vector<Event> events_;
    std::uint64_t next_tag_ = 1;
    std::uint16_t msg_id_ = 0;
    std::uint16_t current_msg_id_ = 0;   // of the REGISTER or PUBLISH in flight
    Message current_{Pingreq{}};         // the message in flight
    unsigned sent_ = 0;                  // sends of the current message
    std::optional<TimePoint> deadline_;  // reply due (or back-off end)
    std::optional<std::uint16_t> topic_id_;
    bool connected_ = false;
    bool reregistered_ = false;          // one re-registration per payload after "invalid topic ID"
    unsigned failures_ = 0;
    std::size_t ignored_ = 0;
    std::uint64_t rng_;
};

}  // namespace metercert::mqttsn
