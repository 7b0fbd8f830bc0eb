// Reference model of the Elvaco CMi1020 M-Bus slave (Elvaco's CMi1020 Users Manual).
//
// Pure logic, no I/O: the simulator (or a test) hands it whole frames as received and the time,
// and sends back what it returns. Every byte it answers decodes with metercert::mbus.
//
//   Cmi1020 slave(config, meter);            // meter: an E350 model the slave reads every 30 s
//   slave.advance_to(TimePoint{2000ms});     // the one clock (time.hpp), since power-on: first readout
//   auto reply = slave.on_frame(bytes);      // nullopt = no reply (as a real slave: silence)
//   slave.next_deadline();                   // when it next acts on its own (the next meter readout)
//
// Behaviour per §5–§8: addressing (primary, secondary with selection and wildcards, 253, 254,
// 255), REQ_UD2 with FCB multi-telegram, every SND_UD command of §6.7, status byte, error flags
// of Table 5, factory defaults of §8.2. Settings, disconnector and rate survive power cycles
// through state_json()/load_state(). Decisions where the manual is ambiguous: vectors/ERRATA.md.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "metercert/devices/e350.hpp"
#include "metercert/devices/faults.hpp"
#include "metercert/devices/telegram_sequence.hpp"
#include "metercert/obis/interpreter.hpp"
#include "metercert/time.hpp"

namespace metercert::devices {

struct Cmi1020Config {
    std::uint32_t fabrication_number = 0x00000001;  // 8 BCD digits (the label's serial number)
    std::uint8_t generation = 0x01;                 // §6.1: 01–09
    std::string software_version = "1.2.0";         // FD0F text, Major.Minor.Patchlevel
    std::uint8_t medium = 0x02;                     // ERRATA E-1
    Duration first_readout = std::chrono::seconds(2);  // first meter readout after power-on
};

// Everything the CMi1020 keeps in EEPROM (§5.1: "All configuration and parameterization are
// stored in EEPROM"; §5.2: disconnector and rate state are maintained during power cycling).
struct Cmi1020Settings {
    std::uint8_t primary_address = 0;                   // §8.2: 0
    std::optional<std::uint32_t> secondary_address;     // set by command (Table 4 "manually set")
    unsigned baud = 2400;                               // §8.2
    std::uint8_t disconnector = 0x54;                   // bits 7..2: EEPROM on, push-on/off enabled (§8.2)
    std::uint8_t rate = 0;                              // §6.7.11: 0 disabled, 1..6, 0xFF inputs
    std::array<std::uint8_t, 4> rate_map{1, 2, 3, 4};   // §4.2.1 Table 2: B/A = 00, 01, 10, 11
    std::string p1 = "88888888";                        // §8.2
    std::array<std::uint8_t, 16> p2{};                  // §8.2: 16 × 0x99
    obis::SelectionMask obis_mask = obis::kSelectAll;   // §8.2: all
    std::uint16_t signon_mask = 0;                      // §8.2: all commands P1
    Cmi1020Settings() { p2.fill(0x99); }
};

class Cmi1020 {
public:
    Cmi1020(Cmi1020Config config, E350& meter);

    // Handles one frame exactly as received (any bytes). Returns the reply, or nullopt when a
    // real slave stays silent: not addressed, broadcast 255, wrong L-field/checksum/stop, unknown
    // command (counted in rejected()).
    std::optional<std::vector<std::uint8_t>> on_frame(std::span<const std::uint8_t> frame);

    // Simulated time (the first power-on is at the epoch, TimePoint{}); runs the readouts due (2 s
    // after power-on, then every 30 s, §5.2.2) and the disconnector pulse once the drive capacitor
    // has charged (~10 s, §5.3). Time never goes back: an earlier `t` changes nothing.
    void advance_to(TimePoint t);
    [[nodiscard]] TimePoint now() const noexcept { return now_; }
    // The next time the slave acts on its own (advance_to runs it): the next meter readout or the
    // disconnector pulse still pending, whichever comes first. Always set: a CMi1020 reads its
    // meter forever.
    [[nodiscard]] std::optional<TimePoint> next_deadline() const noexcept;

    // Power cycle at now(): RAM is lost (selection, FCB, error flags, readout), EEPROM settings
    // kept; error flag bit 5 until the first readout (first_readout later); disconnector state
    // unknown until pulsed (the capacitor charges 10 s). The clock is not reset. Then the fault's
    // power cycle hook, if any (faults.hpp).
    void power_cycle();

    // The push button (Figure 1 item 5; §5.3, §5.4, §7.1, §7.3): its edges at now() (advance the
    // clock first). A press in normal operation toggles the disconnector — the meter's (0xFF21) and
    // the EEPROM setting, FD1A bits 7–6 (ERRATA E-108) — when the push-button enable of that
    // direction is set (FD1A bits 5–4 turn-on, 3–2 turn-off; §6.7.8) and the drive capacitor has
    // charged (~10 s after power-on or the last pulse); otherwise the press is ignored, not kept for
    // later. Held at power-up (pressed at power_cycle() or at the same instant) and released at least
    // 10 s after power-up: the §8.2 (Table 7) factory defaults and a restart (§5.4, ERRATA E-109);
    // released earlier: nothing. A meter without disconnector ignores every toggle.
    void press_button();
    void release_button();
    [[nodiscard]] bool button_pressed() const noexcept { return button_; }
    // The hold at power-up that resets to the factory defaults (§5.4: 10 s).
    static constexpr Duration kFactoryResetHold = std::chrono::seconds(10);

    // Baud rate to use for the *next* frame: a baud switch takes effect after its ACK (§6.7.3).
    [[nodiscard]] unsigned baud() const noexcept { return settings_.baud; }

    // Persistent state as JSON (settings + disconnector/rate state), and back. load_state throws
    // std::runtime_error on a malformed document.
    [[nodiscard]] std::string state_json() const;
    void load_state(const std::string& json);

    [[nodiscard]] const Cmi1020Settings& settings() const noexcept { return settings_; }
    // The fault this slave shows (faults.hpp; nullptr: the reference). The slave applies the hooks
    // of its own logic — power cycle, meter ID, Table 5 in every telegram, values the manual
    // excludes; the frame hooks are the bus's (Cmi1020Bus::on_frame), the reply delay the rig's.
    void set_fault(const Cmi1020FaultSpec* f) {
        fault_ = f;
        reinterpret();
    }
    [[nodiscard]] const Cmi1020FaultSpec* fault() const noexcept { return fault_; }
    [[nodiscard]] std::uint32_t error_flags() const noexcept { return error_flags_; }
    [[nodiscard]] std::uint8_t status_byte() const noexcept;
    [[nodiscard]] std::uint32_t secondary_address() const noexcept;  // Table 4 priority
    [[nodiscard]] bool selected() const noexcept { return selected_; }
    [[nodiscard]] std::size_t rejected() const noexcept { return rejected_; }
    [[nodiscard]] std::uint8_t access_number() const noexcept { return access_; }
    [[nodiscard]] std::uint8_t disconnector_status() const noexcept;  // the FD1A byte (Table 5)
    [[nodiscard]] const std::vector<obis::Diagnostic>& diagnostics() const noexcept { return diagnostics_; }
    // The telegrams a REQ_UD2 sequence returns right now (user data of each RSP_UD).
    [[nodiscard]] std::vector<std::vector<std::uint8_t>> telegrams() const;
    void set_rate_inputs(bool a, bool b);  // the 230 VAC rate inputs A and B

    // Error flag bits (Table 5, FD17).
    static constexpr std::uint32_t kIdTimeout = 1u << 0, kIdReceiveError = 1u << 1, kUnexpectedIdChar = 1u << 2,
                                   kReadoutTimeout = 1u << 3, kReadoutReceiveError = 1u << 4, kNotPolled = 1u << 5,
                                   kReadoutError = 1u << 8, kRateError = 1u << 9, kDisconnectorError = 1u << 10,
                                   kSignOnError = 1u << 23;
    static constexpr std::uint32_t lcd_error_bit(std::uint8_t command) { return 1u << (11 + (command - 0x22)); }

private:
    static constexpr Duration kCapacitorCharge = std::chrono::seconds(10);  // §5.3, §7.3: ~10 s between toggles
    static constexpr Duration kReadoutInterval = std::chrono::seconds(30);  // §5.2.2: read meter every 30 s
    std::optional<std::vector<std::uint8_t>> reject();
    std::optional<std::vector<std::uint8_t>> on_short(std::uint8_t c, std::uint8_t a);
    std::optional<std::vector<std::uint8_t>> on_long(std::uint8_t c, std::uint8_t a, std::uint8_t ci,
                                                     std::span<const std::uint8_t> ud);
    bool addressed(std::uint8_t a) const noexcept;
    bool matches_selection(std::span<const std::uint8_t> mask) const noexcept;
    bool elvaco_command(std::span<const std::uint8_t> ud, bool lax);
    void do_readout();
    void reinterpret();
    void meter_command(std::uint16_t code, unsigned signon_bit, std::uint32_t error_bit, std::vector<std::uint8_t> fields);
    void apply_rate();
    void pulse(bool on);
    void factory_defaults();
    std::vector<std::uint8_t> rsp_ud(std::size_t index);

    Cmi1020Config config_;
    E350& meter_;
    Cmi1020Settings settings_;
    // RAM
    TimePoint now_{};
    TimePoint next_readout_{};
    TimePoint capacitor_ready_{kCapacitorCharge};  // the drive capacitor charges after power-on / a pulse
    bool pulse_pending_ = true;              // pulse to the EEPROM state once charged (§6.7.8)
    std::optional<bool> disconnector_actual_;  // unknown after power-on until pulsed
    bool selected_ = false;
    TelegramSequence sequence_;  // FCB/FCV state of REQ_UD2 (ERRATA E-19)
    std::uint8_t access_ = 0;
    std::uint32_t error_flags_ = kNotPolled;
    bool comm_ok_ = false;  // last readout succeeded
    std::optional<std::uint32_t> meter_id_;
    std::vector<std::vector<std::uint8_t>> records_;  // interpreted records of the last good readout
    std::vector<obis::Diagnostic> diagnostics_;
    std::optional<obis::Readout> last_readout_;
    bool input_a_ = false, input_b_ = false;
    bool button_ = false;        // the push button is pressed
    bool reset_hold_ = false;    // …and has been since power-up (§5.4)
    TimePoint powered_at_{};     // the last power-on (or restart)
    std::size_t rejected_ = 0;
    const Cmi1020FaultSpec* fault_ = nullptr;
};

}  // namespace metercert::devices
