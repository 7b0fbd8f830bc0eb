// Reference model of the Elvaco CMe3000 transparent TCP/IP ↔ M-Bus gateway (Elvaco's CMe3000
// User's Manual): the connection policy, timers and statistics; pure logic, no I/O. The
// simulator (`metercert simulate cme3000`) moves the bytes and asks this model what to do.
//
// - One TCP client at a time on port 10001 (§6.3, Table 3). A second connection while one is open
//   is accepted and closed at once and counted as a "Dropped Accept" (Figure 6) — ERRATA E-22.
// - Keep alive 45 s (Table 3): TCP keep-alive probes after 45 s of silence on the connection.
// - Disconnect timeout 10 s (Table 3): the gateway closes a connection that carried no byte in
//   either direction for that long (ERRATA E-22).
// - Statistics of Figure 6 (aggregate counters) and Figure 9 (M-Bus serial line).
//
// Time is the one clock (metercert/time.hpp), handed in by the simulator; next_deadline() says
// when the model next acts on its own (the disconnect timeout of the open connection).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "metercert/time.hpp"

namespace metercert::devices {

struct Cme3000Settings {
    std::uint16_t port = 10001;               // Table 3 "M-Bus TCP/IP Port"
    unsigned keep_alive_s = 45;               // Table 3 "M-Bus TCP/IP Server Keep Alive"
    unsigned disconnect_timeout_s = 10;       // Table 3 "M-Bus TCP/IP Server disconnect timeout" (0 = never)
    unsigned baud = 2400;                     // Table 3 "M-Bus Serial local baud rate"
    // Deliberate deviations (cme3000_faults.hpp); all false in the reference.
    struct Deviations {
        bool dropped_counted_as_completed = false;  // Figure 6: a refused connection counts as Completed
        bool serial_octets_not_counted = false;     // Figure 6: serial → network octets not counted
    } deviations;
};

// Figure 6 (M-Bus TCP/IP statistics) and Figure 9 (M-Bus serial statistics).
struct Cme3000Statistics {
    std::uint64_t completed_accepts = 0;
    std::uint64_t disconnects = 0;
    std::uint64_t dropped_accepts = 0;
    std::uint64_t octets_from_serial = 0;   // forwarded serial → network
    std::uint64_t octets_from_network = 0;  // forwarded network → serial
    std::uint64_t accept_connection_ms = 0; // total time a client was connected (whole ms of each connection)
    // Figure 9
    std::uint64_t rx_bytes = 0, tx_bytes = 0;
    std::uint64_t rx_breaks = 0, tx_breaks = 0;
    std::uint64_t parity_errors = 0, framing_errors = 0, overrun_errors = 0;
    [[nodiscard]] std::string to_json() const;  // keys as the figures' labels, snake_case
};

class Cme3000 {
public:
    explicit Cme3000(Cme3000Settings s = {}) : settings_(s) {}

    enum class AcceptDecision : std::uint8_t { accept, drop };
    // A TCP connection arrives at `now`.
    AcceptDecision on_connect(TimePoint now);
    // The client closed (or was closed) at `now`.
    void on_disconnect(TimePoint now);
    // Bytes forwarded network → serial / serial → network at `now`.
    void on_network_bytes(std::size_t n, TimePoint now);
    void on_serial_bytes(std::size_t n, TimePoint now);
    // Line errors seen by the UART on received bytes.
    void on_parity_error(std::size_t n = 1) { stats_.parity_errors += n; }
    void on_framing_error(std::size_t n = 1) { stats_.framing_errors += n; }
    void on_overrun_error(std::size_t n = 1) { stats_.overrun_errors += n; }
    void on_break_received() { ++stats_.rx_breaks; }
    void on_break_sent() { ++stats_.tx_breaks; }
    // True when the open connection has been idle for the disconnect timeout at `now`: close it
    // now (the caller then reports on_disconnect).
    [[nodiscard]] bool should_disconnect(TimePoint now) const noexcept;
    // When should_disconnect becomes true: the last byte either way (or the accept) + the
    // disconnect timeout (Table 3, default 10 s); nullopt without a client or with timeout 0.
    [[nodiscard]] std::optional<TimePoint> next_deadline() const noexcept;

    [[nodiscard]] bool connected() const noexcept { return connected_; }
    [[nodiscard]] const Cme3000Statistics& statistics() const noexcept { return stats_; }
    [[nodiscard]] const Cme3000Settings& settings() const noexcept { return settings_; }

private:
    Cme3000Settings settings_;
    Cme3000Statistics stats_;
    bool connected_ = false;
    TimePoint connected_at_{};
    TimePoint last_activity_{};
};

}  // namespace metercert::devices
