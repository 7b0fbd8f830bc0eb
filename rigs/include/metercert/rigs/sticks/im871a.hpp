// IMST iM871A (and iM170A) wireless M-Bus stick: the WM-Bus HCI protocol on its serial line
// (USB CDC/FTDI, 57600 baud 8N1: wmbusmeters src/wmbus_im871a.cc opens it so; IMST "WMBus HCI
// Spec" V1.6, whose constants wmbusmeters src/wmbus_im871a.h transcribes).
//
// Frame (HCI Spec §2.2; ioBroker.wmbus lib/receiver/HciMessage.js; wmbusmeters checkIM871AFrame):
//
//   offset 0  SOF        0xA5
//   offset 1  control    high nibble: 0x80 CRC-16 present, 0x40 RSSI present, 0x20 timestamp
//                        present, 0x10 reserved (must be 0); low nibble: endpoint ID
//   offset 2  message ID (per endpoint, below)
//   offset 3  length     of the payload, 0…255
//   offset 4  payload
//   then      timestamp  4 bytes, little-endian (when flagged)
//             RSSI       1 byte (when flagged)
//             CRC-16     2 bytes, little-endian (when flagged): CRC-16/X-25 (CCITT polynomial
//                        0x1021 reflected = 0x8408, initial 0xFFFF, result complemented; check
//                        value of "123456789" 0x906E) over the control field up to the byte before
//                        the CRC (the SOF excluded). Sources: ioBroker HciMessage.js (table of
//                        0x8408, init 0xFFFF, ~crc, from index 1; good residue 0x0F47) and
//                        wmbusmeters (crc16_CCITT over &data[1]).
//
// The host decides whether its requests carry a CRC (wmbusmeters sends none, ioBroker one); the
// stick answers in kind (ERRATA E-72).
//
// Received telegrams: RADIOLINK WMBUS_MSG_IND (endpoint 2, message 3). Its payload is the
// telegram from the C-field on, the CRCs checked and removed by the stick; the L-field is not
// sent: the payload length is L (wmbusmeters re-inserts the length byte as L; ioBroker
// prefixPayloadWithLength). RSSI and timestamp follow when the configuration's "auto RSSI" /
// "auto RX timestamp" attachment is on (wmbusmeters turns RSSI on and the timestamp off).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "metercert/rigs/sticks/stick.hpp"

namespace metercert::rigs::sticks::im871a {

inline constexpr unsigned kBaud = 57600;
inline constexpr std::uint8_t kSof = 0xA5;
inline constexpr std::uint8_t kFlagCrc = 0x80;
inline constexpr std::uint8_t kFlagRssi = 0x40;
inline constexpr std::uint8_t kFlagTimestamp = 0x20;
inline constexpr std::uint8_t kFlagReserved = 0x10;

// Endpoint IDs (HCI Spec; wmbus_im871a.h).
inline constexpr std::uint8_t kDevMgmt = 0x01;
inline constexpr std::uint8_t kRadioLink = 0x02;
inline constexpr std::uint8_t kRadioLinkTest = 0x03;
inline constexpr std::uint8_t kHwTest = 0x04;

// DEVMGMT message IDs: a request's response is request + 1.
inline constexpr std::uint8_t kPingReq = 0x01, kPingRsp = 0x02;
inline constexpr std::uint8_t kSetConfigReq = 0x03, kSetConfigRsp = 0x04;
inline constexpr std::uint8_t kGetConfigReq = 0x05, kGetConfigRsp = 0x06;
inline constexpr std::uint8_t kResetReq = 0x07, kResetRsp = 0x08;
inline constexpr std::uint8_t kFactoryResetReq = 0x09, kFactoryResetRsp = 0x0A;
inline constexpr std::uint8_t kGetDeviceInfoReq = 0x0F, kGetDeviceInfoRsp = 0x10;
inline constexpr std::uint8_t kGetFwInfoReq = 0x13, kGetFwInfoRsp = 0x14;
inline constexpr std::uint8_t kDevMgmtLast = 0x27;  // AES_DEC_ERROR_IND: the highest DEVMGMT ID
// RADIOLINK message IDs.
inline constexpr std::uint8_t kWmbusMsgReq = 0x01, kWmbusMsgRsp = 0x02, kWmbusMsgInd = 0x03;
inline constexpr std::uint8_t kDataReq = 0x04, kDataRsp = 0x05;

// Link mode codes of the configuration (HCI Spec; wmbus_im871a.h LIST_OF_IM871A_LINK_MODES:
// S1 0, S1m 1, S2 2, T1 3, T2 4, R2 5, C1a 6, C1b 7, C2a 8, C2b 9). The iM871A's "T1" / "C1a"
// modes are the collector's receive modes for T1 / C1 frame-format-A meters (wmbusmeters sets
// T1 → 3, C1 → 6; ioBroker T → 3, CA → 6).
std::uint8_t link_mode_code(RadioMode m) noexcept;
// The radio mode a link mode code receives; nullopt for codes we do not map (S2, T2, R2, C1b, …).
std::optional<RadioMode> radio_mode_of(std::uint8_t code) noexcept;

struct Frame {
    std::uint8_t endpoint = kDevMgmt;
    std::uint8_t msg = 0;
    std::vector<std::uint8_t> payload;
    std::optional<std::uint32_t> timestamp;  // the stick's RX timestamp (its own ticks)
    std::optional<std::uint8_t> rssi;        // raw RSSI byte (rssi_dbm below)
    bool crc = true;                         // with the CRC-16
};

// CRC-16/X-25 over `bytes` (as above).
std::uint16_t crc16(std::span<const std::uint8_t> bytes) noexcept;

// The bytes of `f` (SOF … CRC). Throws std::invalid_argument for a payload over 255 bytes or an
// endpoint over 15.
std::vector<std::uint8_t> encode(const Frame& f);

// One frame from the start of `bytes`: nullopt while the bytes end before the frame does (call
// again with more); `consumed` gets the frame's size. Throws StickError: bad_sof (offset 0),
// reserved_bit (1), unknown_message (1: endpoint not 1…4; 2: a message ID the endpoint does not
// define, the ranges wmbusmeters checks), bad_crc (the CRC's offset).
std::optional<Frame> parse(std::span<const std::uint8_t> bytes, std::size_t& consumed);

// RSSI: dBm = raw × 8/15 − 380/3, rounded to the nearest dBm (ioBroker HciMessage.js; ERRATA E-71:
// wmbusmeters' coarser fit differs by up to 3 dB), and its inverse (clamped to 0…255).
int rssi_dbm(std::uint8_t raw) noexcept;
std::uint8_t rssi_raw(int dbm) noexcept;

// GET_DEVICEINFO_RSP payload (wmbusmeters DeviceInfo): module type (0x33 iM871A, 0x36 iM170A),
// device mode (0 other, 1 meter), firmware version, HCI version, unique ID (4 bytes LE).
struct DeviceInfo {
    std::uint8_t module_type = 0x33;
    std::uint8_t device_mode = 0;
    std::uint8_t firmware = 0x15;
    std::uint8_t hci = 0x01;
    std::uint32_t uid = 0;
};
std::vector<std::uint8_t> encode_device_info(const DeviceInfo& d);
DeviceInfo decode_device_info(std::span<const std::uint8_t> payload);  // StickError bad_payload

// The configuration (GET_CONFIG_RSP payload; SET_CONFIG_REQ after its leading "store in NVM"
// byte): IIFlag1 then the fields it flags — 0x01 device mode, 0x02 link mode, 0x04 C-field,
// 0x08 manufacturer (2, LE), 0x10 identification (4, LE), 0x20 version, 0x40 device type,
// 0x80 radio channel — then IIFlag2 and its fields — 0x01 radio power level, 0x02 radio data
// rate, 0x04 radio RX window, 0x08 auto power saving, 0x10 auto RSSI attachment, 0x20 auto RX
// timestamp attachment, 0x40 LED control, 0x80 RTC control (wmbusmeters Config::decode; ioBroker
// sets 00 03 00 <mode> 08 00: temporary, device mode + link mode, IIFlag2 auto power saving off).
struct Config {
    std::optional<std::uint8_t> device_mode, link_mode, c_field;
    std::optional<std::uint16_t> manufacturer;
    std::optional<std::uint32_t> id;
    std::optional<std::uint8_t> version, device_type, radio_channel;
    std::optional<std::uint8_t> power_level, data_rate, rx_window, auto_power_saving, auto_rssi, auto_timestamp, led, rtc;
};
std::vector<std::uint8_t> encode_config(const Config& c);
// Reads a configuration starting at `payload[0]` (IIFlag1); StickError bad_payload (with the
// offset) when a flagged field is missing. IIFlag2 may be absent (nothing more flagged).
Config decode_config(std::span<const std::uint8_t> payload);

// WMBUS_MSG_IND payload of a telegram (from its L-field, CRCs stripped): C-field onward; and the
// telegram back from such a payload (the length re-inserted as L).
std::vector<std::uint8_t> indication_payload(std::span<const std::uint8_t> telegram);
std::vector<std::uint8_t> telegram_of_indication(std::span<const std::uint8_t> payload);

}  // namespace metercert::rigs::sticks::im871a
