// Model of the Elvaco CMi1020W: the wireless M-Bus module in an L+G E350 (CMi1020W manual,
// seeds/000). It reads the meter (the E350 model) through its IEC 62056-21 port and transmits
// the default fields of the readout as a wireless M-Bus telegram (EN 13757-4 / OMS), plain or
// encrypted (security mode 5, AES-128-CBC), every interval. No I/O and no clock: the caller
// passes the one clock's time (`on_time(now)`) and asks when the module next acts
// (`next_deadline()`).
//
//   devices::E350 meter(readout);
//   devices::Cmi1020W w(meter, {.key = key});
//   while (…) { now = w.next_deadline(); if (auto t = w.on_time(now)) radio.send(*t); }
//
// Decisions the manual leaves open are vectors/ERRATA.md E-52 … E-57.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metercert/devices/e350.hpp"
#include "metercert/devices/cmi1020w_faults.hpp"
#include "metercert/time.hpp"
#include "metercert/wmbus/key.hpp"

namespace metercert::devices {

enum class RadioMode : std::uint8_t { t1, c1 };  // ERRATA E-54: both frame format A

// Identity and coding (ERRATA E-53, E-54).
inline constexpr std::uint16_t kElvManufacturer = 0x1596;  // "ELV" (EN 13757-3 packed letters)
inline constexpr std::uint8_t kCmi1020WVersion = 0x01;
inline constexpr std::uint8_t kMediumElectricity = 0x02;
inline constexpr std::uint8_t kSndNr = 0x44;               // C-field SND_NR
inline constexpr std::uint8_t kStatusTariffFailed = 0x40;  // manual "LED indications": bit 6
// The manual: the red LED is lit for around 15 s after power-up; the first meter read then.
inline constexpr Duration kFirstMeterRead = std::chrono::seconds(15);
inline constexpr Duration kDefaultInterval = std::chrono::seconds(900);  // ERRATA E-54

struct Cmi1020WOptions {
    std::optional<wmbus::Key> key;  // encrypted (mode 5) with it; plain without
    RadioMode mode = RadioMode::t1;
    Duration interval = kDefaultInterval;
    Cmi1020WFault fault = Cmi1020WFault::none;
    std::uint8_t first_access_number = 0;  // ERRATA E-55
    // The manual ("rate inputs"): disabled in the default configuration, so that a misconfigured
    // module cannot change the tariff. Enabled (a custom configuration), a change of inputs A/B
    // sets the meter's rate (ERRATA E-64).
    bool rate_inputs_enabled = false;
    std::string p1_password = "88888888";  // signs on for the rate command (the E350's factory P1)
};

class Cmi1020W {
public:
    // `meter` must outlive the module; it is read at every transmission.
    Cmi1020W(E350& meter, Cmi1020WOptions options);

    // When the module next acts on its own: the first meter read (15 s after power-up,
    // TimePoint{}), then every interval.
    [[nodiscard]] TimePoint next_deadline() const noexcept { return next_; }
    // Acts on every deadline up to `now`: reads the meter and returns the telegram (format A,
    // CRCs included) of the last deadline passed; nullopt when none passed, when the meter could
    // not be read or its readout has no C.1.0 / C.1 (the red LED: nothing is transmitted).
    std::optional<std::vector<std::uint8_t>> on_time(TimePoint now);

    // The status byte's bit 6 (a new tariff could not be set: manual "LED indications", red LED
    // flashing). Set by a failed rate command (set_rate_inputs with the rate inputs enabled) or a
    // caller.
    bool tariff_set_failed = false;

    // The two rate inputs A and B (manual "rate inputs"). Disabled (the default configuration):
    // nothing happens. Enabled: on a change, the meter's rate is set to 1 + (B ? 2 : 0) + (A ? 1 : 0)
    // (E350 command 0xFF05, P1 sign-on); a refused sign-on or command sets tariff_set_failed, a
    // good one clears it (ERRATA E-64).
    void set_rate_inputs(bool a, bool b);
    [[nodiscard]] bool rate_input_a() const noexcept { return input_a_; }
    [[nodiscard]] bool rate_input_b() const noexcept { return input_b_; }

    [[nodiscard]] const Cmi1020WOptions& options() const noexcept { return options_; }
    [[nodiscard]] std::uint8_t access_number() const noexcept { return access_; }  // of the next telegram
    // The red LED (manual "LED indications"): lit from power-up (construction) until a meter read
    // gives a telegram (~15 s, "during product initialization"), lit again after a read that gives none.
    [[nodiscard]] bool red_led() const noexcept { return red_led_; }
    [[nodiscard]] std::size_t sent() const noexcept { return sent_; }
    // The A-field identification of the last telegram (C.1.0 as 8 BCD digits).
    [[nodiscard]] std::optional<std::uint32_t> identification() const noexcept { return id_; }

private:
    std::optional<std::vector<std::uint8_t>> transmit();
    E350* meter_;
    Cmi1020WOptions options_;
    TimePoint next_ = TimePoint{} + kFirstMeterRead;
    std::uint8_t access_;
    bool red_led_ = true;
    std::size_t sent_ = 0;
    std::optional<std::uint32_t> id_;
    bool input_a_ = false, input_b_ = false;
};

// The Table 6 selection bits of the default fields (C.1.0, C.5.0, C.7.0, 1.8.0, 2.8.0, 15.8.0,
// 16.7.0): the CMi1020's interpretation codes each (ERRATA E-52).
inline constexpr unsigned kCmi1020WDefaultSel[] = {56, 52, 47, 0, 7, 28, 29};

}  // namespace metercert::devices
