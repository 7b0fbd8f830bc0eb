// The CMi6110's SenML/CBOR/M-Bus payload (CMi6110 manual §7.4.2.3 "SenML/CBOR"): one pack per
// telegram, holding readouts of one meter. On top of the SenML-CBOR pack (senml/senml.hpp, RFC 8428
// §6 with RFC 8949 preferred serialization) the manual's rules:
//
//   * the first record carries the base name bn (−2, text: the meter ID, "12345678" in the
//     manual's example) and the base time bt (−3, UNIX time, s): `no_base_name`, `no_base_time`;
//     only one meter per pack: a later bn that differs is `second_meter`;
//   * an "Encoder Version field" record {n: "V", v: type << 8 | version} with no time; "If, when
//     parsing, an invalid version is encountered the parsing shall stop with an error": a value
//     that is not a UINT16 is `bad_version_record`, a type/version other than 0/0 (M-Bus, the only
//     one the manual's table defines) is `unsupported_encoder`; without the record the encoder is
//     0/0;
//   * other named records: a name must hold at least one character outside [A-Fa-f0-9]
//     (`bad_record_name`); a valid name the parser does not know is ignored (listed in `ignored`);
//   * "(Base) Unit is not used": `unit_not_allowed` for u (1) or bu (−4);
//   * every other record is one readout: its data value vd (8) holds M-Bus data records (DIF/VIF/
//     data, LSB first; `no_data_value` without one, `bad_data_value` with the M-Bus error at its
//     byte in the payload) and its time is bt + t (t 6 defaults to 0; both integers here:
//     `time_not_integer`).
//
// Times are UNIX seconds (UTC), as SenML's. Decoding never throws; errors name the byte offset in
// the payload.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metercert/mbus/telegram.hpp"
#include "metercert/senml/senml.hpp"

namespace metercert::devices::cmi6110 {

inline constexpr std::uint16_t kEncoderMbus = 0x0000;  // §7.4.2.3 encoder table: type 0 (M-Bus), version 0

struct SenmlReadout {
    std::int64_t time = 0;             // UNIX s (UTC): bt + t
    std::vector<std::uint8_t> dibs;    // the data value: M-Bus data records
    std::size_t offset = 0;            // of the record in the payload
    std::size_t dibs_offset = 0;       // of the data value's first byte in the payload
};

struct SenmlPayload {
    std::string meter_id;              // bn
    std::int64_t base_time = 0;        // bt, UNIX s
    bool version_record = false;       // the "V" record is present
    std::uint16_t encoder = kEncoderMbus;  // its value: type << 8 | version
    std::vector<SenmlReadout> readouts;
    std::vector<std::string> ignored;  // names of named records the manual lets a parser ignore
};

enum class SenmlErrorCode {
    pack,                 // the SenML-CBOR layer refused it: `pack_error` says why
    empty_pack,
    no_base_name,
    no_base_time,
    second_meter,
    bad_version_record,
    unsupported_encoder,
    bad_record_name,
    unit_not_allowed,
    no_data_value,
    time_not_integer,
    bad_data_value,
};

std::string_view error_name(SenmlErrorCode c) noexcept;

struct SenmlError {
    SenmlErrorCode code = SenmlErrorCode::pack;
    senml::PackErrorCode pack_error = senml::PackErrorCode::empty_input;  // when code == pack
    std::size_t offset = 0;
    std::string detail;
    // "unsupported_encoder at byte 40: …"; for code pack the SenML-CBOR error's own name
    [[nodiscard]] std::string_view name() const noexcept;
    [[nodiscard]] std::string message() const;
};

// Decodes one payload; never throws. Each readout's data value is checked as M-Bus data records.
bool decode_senml(std::span<const std::uint8_t> payload, SenmlPayload& out, SenmlError& err) noexcept;

// The payload of `p` as the CMi6110 writes it (§7.4.2.3 example): the first readout's record
// {bn, bt, vd} with bt = that readout's time, then the "V" record when `p.version_record`, then
// one {t, vd} per further readout with t relative to bt. `p.base_time` is ignored (the first
// readout's time is the base). Throws std::invalid_argument for a payload without readouts.
std::vector<std::uint8_t> encode_senml(const SenmlPayload& p);

}  // namespace metercert::devices::cmi6110
