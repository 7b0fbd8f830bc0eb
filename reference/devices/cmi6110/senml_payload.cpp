#include "metercert/devices/cmi6110/senml_payload.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace metercert::devices::cmi6110 {

std::string_view error_name(SenmlErrorCode c) noexcept {
    switch (c) {
        case SenmlErrorCode::pack: return "pack";
        case SenmlErrorCode::empty_pack: return "empty_pack";
        case SenmlErrorCode::no_base_name: return "no_base_name";
        case SenmlErrorCode::no_base_time: return "no_base_time";
        case SenmlErrorCode::second_meter: return "second_meter";
        case SenmlErrorCode::bad_version_record: return "bad_version_record";
        case SenmlErrorCode::unsupported_encoder: return "unsupported_encoder";
        case SenmlErrorCode::bad_record_name: return "bad_record_name";
        case SenmlErrorCode::unit_not_allowed: return "unit_not_allowed";
        case SenmlErrorCode::no_data_value: return "no_data_value";
        case SenmlErrorCode::time_not_integer: return "time_not_integer";
        case SenmlErrorCode::bad_data_value: return "bad_data_value";
    }
    return "unknown";
}

std::string_view SenmlError::name() const noexcept {
    return code == SenmlErrorCode::pack ? senml::error_name(pack_error) : error_name(code);
}

std::string SenmlError::message() const {
    return detail.empty() ? fmt::format("{} at byte {}", name(), offset) : fmt::format("{} at byte {}: {}", name(), offset, detail);
}

namespace {

bool fail(SenmlError& err, SenmlErrorCode c, std::size_t off, std::string detail) {
    err.code = c;
    err.offset = off;
    err.detail = std::move(detail);
    return false;
}

bool is_hex_only(std::string_view s) {
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
    return true;
}

bool integer_time(const senml::Number& n, std::int64_t& out) {
    if (n.is_float) return false;
    out = n.i;
    return true;
}

}  // namespace

bool decode_senml(std::span<const std::uint8_t> payload, SenmlPayload& out, SenmlError& err) noexcept {
    try {
        out = SenmlPayload{};
        senml::Pack pack;
        senml::PackError pe;
        if (!senml::decode_pack(payload, pack, pe)) {
            err.pack_error = pe.code;
            return fail(err, SenmlErrorCode::pack, pe.offset, pe.detail);
        }
        if (pack.records.empty()) return fail(err, SenmlErrorCode::empty_pack, 0, "a pack without records holds no readout");
        const senml::Record& first = pack.records.front();
        if (!first.base_name)
            return fail(err, SenmlErrorCode::no_base_name, first.offset, "the first record has no base name (-2): the meter ID (§7.4.2.3)");
        if (!first.base_time)
            return fail(err, SenmlErrorCode::no_base_time, first.offset, "the first record has no base time (-3) (§7.4.2.3)");
        out.meter_id = *first.base_name;
        if (!integer_time(*first.base_time, out.base_time))
            return fail(err, SenmlErrorCode::time_not_integer, first.offset, "the base time is not an integer number of seconds");
        for (const senml::Record& r : pack.records) {
            if (r.base_name && *r.base_name != out.meter_id)
                return fail(err, SenmlErrorCode::second_meter, r.offset,
                            fmt::format("base name \"{}\" after \"{}\": one meter per pack (§7.4.2.3)", *r.base_name, out.meter_id));
            if (r.unit || r.base_unit)
                return fail(err, SenmlErrorCode::unit_not_allowed, r.offset, "a (base) unit: the M-Bus data says the unit (§7.4.2.3)");
            if (r.name) {
                const std::string& n = *r.name;
                if (n.empty() || is_hex_only(n))
                    return fail(err, SenmlErrorCode::bad_record_name, r.offset,
                                fmt::format("record name \"{}\" has no character outside [A-Fa-f0-9] (§7.4.2.3)", n));
                if (n != "V") {
                    out.ignored.push_back(n);
                    continue;
                }
                if (out.version_record)
                    return fail(err, SenmlErrorCode::bad_version_record, r.offset, "a second \"V\" record");
                std::int64_t v = -1;
                if (!r.value || !integer_time(*r.value, v) || v < 0 || v > 0xFFFF || r.time || r.data_value)
                    return fail(err, SenmlErrorCode::bad_version_record, r.offset,
                                "the \"V\" record holds one value v, a UINT16, and no time or data value (§7.4.2.3)");
                out.version_record = true;
                out.encoder = static_cast<std::uint16_t>(v);
                if (out.encoder != kEncoderMbus)
                    return fail(err, SenmlErrorCode::unsupported_encoder, r.offset,
                                fmt::format("encoder type {} version {}: the manual defines type 0 version 0 (M-Bus) only",
                                            out.encoder >> 8, out.encoder & 0xFF));
                continue;
            }
            if (!r.data_value)
                return fail(err, SenmlErrorCode::no_data_value, r.offset, "a readout record without a data value (8)");
            std::int64_t t = 0;
            if (r.time && !integer_time(*r.time, t))
                return fail(err, SenmlErrorCode::time_not_integer, r.offset, "the time (6) is not an integer number of seconds");
            mbus::Telegram tg;
            mbus::DecodeError me;
            if (!mbus::decode_records(*r.data_value, tg, me))
                return fail(err, SenmlErrorCode::bad_data_value, r.data_value_offset + me.offset, me.message());
            auto& ro = out.readouts.emplace_back();
            ro.time = out.base_time + t;
            ro.dibs = *r.data_value;
            ro.offset = r.offset;
            ro.dibs_offset = r.data_value_offset;
        }
        return true;
    } catch (const std::exception& e) {
        return fail(err, SenmlErrorCode::pack, 0, fmt::format("out of memory: {}", e.what()));
    }
}

std::vector<std::uint8_t> encode_senml(const SenmlPayload& p) {
    if (p.readouts.empty()) throw std::invalid_argument("a CMi6110 SenML payload needs at least one readout");
    senml::Pack pack;
    const std::int64_t base = p.readouts.front().time;
    auto& first = pack.records.emplace_back();
    first.base_name.emplace(p.meter_id);
    first.base_time = senml::Number::integer(base);
    first.data_value = p.readouts.front().dibs;
    if (p.version_record) {
        auto& v = pack.records.emplace_back();
        v.name.emplace(1, 'V');
        v.value = senml::Number::integer(p.encoder);
    }
    for (std::size_t i = 1; i < p.readouts.size(); ++i) {
        auto& r = pack.records.emplace_back();
        r.time = senml::Number::integer(p.readouts[i].time - base);
        r.data_value = p.readouts[i].dibs;
    }
    return senml::encode_pack(pack);
}

}  // namespace metercert::devices::cmi6110
