// An emulated receiver stick (`metercert simulate cmi1020w --dongle im871a|amb8465 --pty PATH`):
// the stick's side of its serial protocol, so that receiver software written for the real stick
// (wmbusmeters, ioBroker.wmbus, our own wmbus+im871a:// / wmbus+amb8465:// links) reads the
// simulated CMi1020W through it. Pure logic: bytes from the host in, bytes to the host out; the
// caller owns the pty and the clock.
//
// What it answers (the start-up of wmbusmeters and ioBroker.wmbus, the sources of im871a.hpp and
// amb8465.hpp):
//  - iM871A: PING, GET_DEVICEINFO (module type 0x33 iM871A, firmware 0x15: C1 and T1 together),
//    GET_CONFIG, SET_CONFIG (link mode, auto RSSI / RX timestamp attachment; the "store in NVM"
//    byte is honoured only for this run), RESET (status 0); a response carries a CRC when its
//    request did (ERRATA E-72). Any other DEVMGMT request gets its response ID with status 0x01
//    ("not supported" in the HCI's status codes is outside our sources: ERRATA E-72).
//  - AMB8465: CMD_FWV_REQ, CMD_SERIALNO_REQ, CMD_SET_MODE_REQ (volatile mode), CMD_GET_REQ /
//    CMD_SET_REQ on the parameter memory (a real stick's, amb8465::factory_parameters(), with
//    UART_CMD_Out_Enable and RSSI_Enable set: ERRATA E-73; writes take effect at CMD_RESET_REQ, as
//    the manual §7.5 says), CMD_RESET_REQ, CMD_RSSI_REQ, CMD_SET_CHANNEL_REQ. A frame with a bad
//    checksum is ignored (manual §2.2: the module checks it).
// Bytes that start no frame are skipped one at a time (a real stick resynchronises on its start
// byte); counted in ignored().
//
// Received telegrams (on_air): a real stick receives from power-up in its stored mode, before any
// host command (ERRATA E-73). The emulated stick's stored mode is the one that hears the module
// (--mode T1 → iM871A link mode T1 / AMB8465 T2-Other), so it delivers from the start; after the
// host sets a mode that does not hear the module it delivers nothing. A telegram whose CRCs are
// wrong is dropped, as a stick drops it; a good one goes out from its L-field, CRCs removed, with
// the RSSI byte when enabled.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "metercert/rigs/sticks/stick.hpp"

namespace metercert::rigs::sticks {

class Emulator {
public:
    virtual ~Emulator() = default;
    // Bytes from the host; returns what the stick sends back (zero or more whole frames).
    virtual std::vector<std::uint8_t> on_host_bytes(std::span<const std::uint8_t> bytes) = 0;
    // A telegram on air, as the module sent it (frame format A with CRCs), at `rssi_dbm`;
    // returns the stick's frame to the host, or nothing (not heard, or CRCs wrong).
    virtual std::vector<std::uint8_t> on_air(std::span<const std::uint8_t> wire, int rssi_dbm) = 0;
    [[nodiscard]] virtual bool hears_module() const noexcept = 0;
    [[nodiscard]] std::uint64_t commands() const noexcept { return commands_; }
    [[nodiscard]] std::uint64_t ignored() const noexcept { return ignored_; }
    [[nodiscard]] std::uint64_t delivered() const noexcept { return delivered_; }
    [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_; }

protected:
    std::uint64_t commands_ = 0, ignored_ = 0, delivered_ = 0, dropped_ = 0;
};

// `kind`: "im871a" or "amb8465" (std::invalid_argument otherwise); `module_mode`: the mode the
// module transmits in; `serial`: the stick's serial number / unique ID.
std::unique_ptr<Emulator> make_emulator(std::string_view kind, RadioMode module_mode, std::uint32_t serial = 0x00A1B2C3);
inline constexpr std::string_view kStickNames = "im871a, amb8465";

}  // namespace metercert::rigs::sticks
