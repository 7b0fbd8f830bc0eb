// Amber Wireless (Würth Elektronik) AMB8465(-M) wireless M-Bus USB stick: its serial protocol
// (9600 baud 8N1: wmbusmeters src/wmbus_amb8465.cc openAmber; the manual's factory UART setting).
// Sources: the AMB8426-M/AMB8626-M manual V2.4 ch. 2.2 and 7 (the AMB8xx5-M command set, the same
// commands and codes: manualshive.com pages 7, 12–14, 16), wmbusmeters src/wmbus_amb8465.cc,
// ioBroker.wmbus lib/receiver/AmberReceiver.js and its recorded start-up exchanges
// (lib/receiver/test/validation/Amber.init-*.json), jmbus WMBusConnectionAmber.java.
//
// Command mode frame (manual §2.2): 0xFF, command, length, payload, checksum = XOR of every
// preceding byte including the 0xFF. A request's confirmation has the command | 0x80
// (CMD_SET_MODE_REQ 0x04 → 0x84).
//
// Received telegrams, two output forms chosen by the parameter UART_CMD_Out_Enable (0x05):
//  - 1: CMD_DATA_IND: FF 03 <length> <C-field … end> [RSSI] <checksum>;
//  - 0 (transparent, the factory setting of a real stick: the GET_REQ capture in wmbusmeters):
//    <length> <C-field … end> [RSSI], no start byte, no checksum.
// In both the stick has checked and removed the CRCs and sent no L-field; RSSI follows when
// RSSI_Enable (0x45) is 1 and the length counts it (ERRATA E-70: the newer wmbusmeters, ioBroker
// and FHEM count it; the older wmbusmeters did not).
//
// RSSI (manual §7.9, the same byte as CMD_RSSI_REQ's): two's complement; dBm = value/2 − 74
// (value ≥ 128: (value − 256)/2 − 74), integer division truncating toward zero as wmbusmeters,
// ioBroker and jmbus compute it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "metercert/rigs/sticks/stick.hpp"

namespace metercert::rigs::sticks::amb8465 {

inline constexpr unsigned kBaud = 9600;
inline constexpr std::uint8_t kSof = 0xFF;
inline constexpr std::uint8_t kConfirm = 0x80;

// Commands (manual §2.2.1).
inline constexpr std::uint8_t kDataReq = 0x00;
inline constexpr std::uint8_t kDataInd = 0x03;
inline constexpr std::uint8_t kSetModeReq = 0x04;
inline constexpr std::uint8_t kResetReq = 0x05;
inline constexpr std::uint8_t kSetChannelReq = 0x06;
inline constexpr std::uint8_t kSetReq = 0x09;
inline constexpr std::uint8_t kGetReq = 0x0A;
inline constexpr std::uint8_t kSerialNoReq = 0x0B;
inline constexpr std::uint8_t kFwvReq = 0x0C;
inline constexpr std::uint8_t kRssiReq = 0x0D;
inline constexpr std::uint8_t kSetUartSpeedReq = 0x10;
inline constexpr std::uint8_t kFactoryResetReq = 0x11;

// Parameter memory positions (manual Table 4; wmbusmeters ConfigAMB8465AMB3665; ioBroker).
inline constexpr std::uint8_t kUartCmdOutEnable = 0x05;
inline constexpr std::uint8_t kAutoSleep = 0x3F;
inline constexpr std::uint8_t kRssiEnable = 0x45;
inline constexpr std::uint8_t kModePreselect = 0x46;
inline constexpr std::size_t kParameterBytes = 0x78;  // what a GET_REQ 00 80 returns (the capture)

// The real AMB8465's parameter memory as returned to GET_REQ 00 80 (the 0x78 bytes of
// wmbusmeters' comment in detectAMB8465AMB3665: FF 8A 7A 00 78 … 17): UART_CMD_Out_Enable 0,
// RSSI_Enable 0, Mode_Preselect 0x03 (S2).
std::vector<std::uint8_t> factory_parameters();

// Receive-mode codes (CMD_SET_MODE_REQ, Mode_Preselect): T1 meters are heard in T2-Other 0x08, C1
// in C2-Other 0x0E, both in C2/T2-Other 0x09, S1 in S2 0x03 (wmbusmeters
// setupAmberBusDeviceToReceiveTelegrams; ioBroker getMode; jmbus uses 0x08 / 0x0E / 0x03).
std::uint8_t mode_code(RadioMode m) noexcept;
// Whether a stick in receive mode `code` hears a meter sending in `m`.
bool hears(std::uint8_t code, RadioMode m) noexcept;

struct Frame {
    std::uint8_t cmd = 0;
    std::vector<std::uint8_t> payload;
};

std::uint8_t checksum(std::span<const std::uint8_t> bytes) noexcept;  // XOR of all of them
// FF cmd len payload checksum. Throws std::invalid_argument for a payload over 255 bytes.
std::vector<std::uint8_t> encode(const Frame& f);

// One command-mode frame from the start of `bytes`: nullopt while more bytes are needed;
// `consumed` gets its size. Throws StickError: bad_sof (offset 0), bad_checksum (the checksum's
// offset), unknown_message (offset 1: a command byte the manual does not define, neither as
// request nor as confirmation).
std::optional<Frame> parse(std::span<const std::uint8_t> bytes, std::size_t& consumed);

int rssi_dbm(std::uint8_t raw) noexcept;
std::uint8_t rssi_raw(int dbm) noexcept;  // the inverse (an even value; clamped to −138…−11 dBm)

// The data bytes of a received telegram (from its L-field, CRCs stripped): C-field onward, then
// the RSSI byte when given — the payload of CMD_DATA_IND and the body of the transparent form.
std::vector<std::uint8_t> indication_payload(std::span<const std::uint8_t> telegram, std::optional<std::uint8_t> rssi);
// The telegram (L re-inserted) and RSSI from such a payload; `with_rssi` as RSSI_Enable says.
// StickError bad_payload (offset 3) for a payload too short to hold a telegram.
struct Indication {
    std::vector<std::uint8_t> telegram;
    std::optional<std::uint8_t> rssi;
};
Indication decode_indication(std::span<const std::uint8_t> payload, bool with_rssi);

// The transparent form: nullopt while more bytes are needed. Throws StickError bad_payload
// (offset 0) for a length below 10 (C, M, A and CI need 10 bytes; wmbusmeters resynchronises
// on it, we report it).
std::optional<Indication> parse_transparent(std::span<const std::uint8_t> bytes, bool with_rssi, std::size_t& consumed);

}  // namespace metercert::rigs::sticks::amb8465
