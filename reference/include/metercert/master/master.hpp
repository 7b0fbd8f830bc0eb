// M-Bus master (EN 13757-2 link layer, EN 13757-3 selection) over any BusPort.
//
//   master::Master m(port, settings);
//   m.snd_nke(5);                               // initialise slave 5 (FCB expected 1 next)
//   auto r = m.read(5);                         // REQ_UD2 multi-telegram up to the read limit
//   m.select(mbus::SecondaryMask::exact(addr));  // then talk to address 253
//
// Timing and retries follow the CMe3100's M-Bus settings (CMe3100 manual §6.25.2, Table 7) and
// its multi-telegram read limit (§6.25.3). Every failure throws MasterError with a stable name
// and leaves the master usable: the next call starts from a clean state.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "metercert/master/port.hpp"
#include "metercert/mbus/secondary_address.hpp"

namespace metercert::master {

// CMe3100 manual §6.25.2 Table 7, §6.25.3.
struct MasterSettings {
    Duration response_timeout{};      // "Response timeout"; 0 = EN 13757-2 limit: 330 bit times + 50 ms
    unsigned readout_retries = 2;     // "Readout retries": further attempts after a failed REQ_UD2/REQ_UD1
    unsigned selection_retries = 2;   // "Selection retries": further attempts after a failed selection/SND_UD
    Duration init_idle = std::chrono::milliseconds(50);        // "Initialization idle time": after SND_NKE
    Duration collision_idle = std::chrono::milliseconds(100);  // "Collision idle time": before the next request after a collision
    Duration request_idle{};          // "Request idle time": between two requests
    unsigned multi_telegram_limit = 10;  // §6.25.3 "Multi telegram read limit" (1 = first telegram only)
};

// Counters over the master's life (or since reset_counters): what a search or a readout cost.
struct MasterCounters {
    std::uint64_t telegrams = 0;   // master frames sent
    std::uint64_t timeouts = 0;    // exchanges with no reply
    std::uint64_t collisions = 0;  // exchanges with a garbled reply
    std::uint64_t retries = 0;
    Duration bus{};                // bus time incl. timeouts and idle times, on the port's clock
};

// A failed master operation. name(): timeout, collision, bad_reply (garbled or not the expected
// frame; detail says which), nack (a reply other than ACK to SND_UD/SND_NKE), or the PortError
// name (connection_closed, port_lost, …) when the transport failed.
class MasterError : public std::runtime_error {
public:
    MasterError(std::string name, const std::string& what) : std::runtime_error(what), name_(std::move(name)) {}
    [[nodiscard]] const std::string& name() const noexcept { return name_; }

private:
    std::string name_;
};

// One telegram of a multi-telegram read, with its reply timing.
struct ReadTelegram {
    std::vector<std::uint8_t> frame;
    Duration reply_gap{};
};

// The telegrams of one multi-telegram read (REQ_UD2 until a telegram without DIF 0x1F).
struct ReadResult {
    std::vector<ReadTelegram> telegrams;
    bool truncated = false;  // the slave had more telegrams (DIF 0x1F) than the read limit allowed
};

enum class SelectResult : std::uint8_t { none, ack, collision };

class Master {
public:
    Master(BusPort& port, MasterSettings settings = {});

    // SND_NKE (C 0x40): link reset; ACK expected unless a == 255. Returns whether ACKed
    // (a timeout is not an error here: no slave at that address). Resets the FCB of `a`.
    bool snd_nke(std::uint8_t a);
    // REQ_UD2 multi-telegram readout (EN 13757-2 §5.5, FCB/FCV; EN 13757-3 DIF 0x1F): the first
    // request with FCV=1 and FCB toggled, the next ones toggled again, until a telegram without
    // 0x1F or the read limit. A timeout or garbled reply repeats the same FCB (readout retries).
    ReadResult read(std::uint8_t a);
    // One REQ_UD2 exchange with the FCB state of `a` (no retries); the reply frame.
    std::vector<std::uint8_t> req_ud2(std::uint8_t a);
    // REQ_UD1 (C 0x5A/0x7A): class 1 data; an ACK (no alarm) or an RSP_UD.
    std::vector<std::uint8_t> req_ud1(std::uint8_t a);
    // SND_UD (C 0x53/0x73) with CI and user data; ACK expected (none for 255). Selection retries.
    void snd_ud(std::uint8_t a, std::uint8_t ci, std::span<const std::uint8_t> data);
    // Selection (SND_UD to 253, CI 0x52): none (timeout), ack, or collision (garbled). No retries.
    SelectResult select(const mbus::SecondaryMask& mask);
    // Selection that must succeed (selection retries), for reading one meter by secondary address.
    void select_exact(const mbus::SecondaryMask& mask);
    // Baud switch (CI 0xB8+n, §6.7.3 / EN 13757-2): the ACK comes at the old rate, then the port
    // changes to `baud`. Throws std::invalid_argument for a rate without a CI code.
    void switch_baud(std::uint8_t a, unsigned baud);

    [[nodiscard]] const MasterCounters& counters() const noexcept { return counters_; }
    void reset_counters() noexcept { counters_ = {}; }
    [[nodiscard]] const MasterSettings& settings() const noexcept { return settings_; }
    MasterSettings& settings() noexcept { return settings_; }
    [[nodiscard]] BusPort& port() noexcept { return port_; }
    // The response timeout in force: the setting, or EN 13757-2's limit at the port's rate.
    [[nodiscard]] Duration response_timeout() const noexcept;
    // Low level: one request through the port with counting and idle times (no retries).
    Exchange exchange(std::span<const std::uint8_t> request);

private:
    ReadTelegram request_ud2(std::uint8_t a);  // one REQ_UD2 with the FCB state of `a`
    void broadcast(std::span<const std::uint8_t> request);  // to 255: no reply
    std::vector<std::uint8_t> expect_rsp_ud(const Exchange& ex, std::uint8_t a, const char* what);
    void expect_ack(const Exchange& ex, const char* what);
    BusPort& port_;
    MasterSettings settings_;
    MasterCounters counters_;
    std::map<std::uint8_t, bool> fcb_;  // last FCB sent per address (SND_NKE: next expected 1)
    bool after_collision_ = false;
};

}  // namespace metercert::master
