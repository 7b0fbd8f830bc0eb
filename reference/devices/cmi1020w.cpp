#include "metercert/devices/cmi1020w.hpp"

#include <algorithm>

#include "metercert/mbus/secondary_address.hpp"
#include "metercert/obis/interpreter.hpp"
#include "metercert/wmbus/crc.hpp"
#include "metercert/wmbus/encode.hpp"

namespace metercert::devices {

namespace {

// Format A (EN 13757-4 §5.3): a CRC after the first 10 bytes, then after every 16 bytes.
std::vector<std::uint8_t> with_format_a_crcs(const std::vector<std::uint8_t>& logical) {
    std::vector<std::uint8_t> out;
    std::size_t from = 0;
    while (from < logical.size()) {
        const std::size_t to = std::min(logical.size(), from == 0 ? std::size_t{10} : from + 16);
        out.insert(out.end(), logical.begin() + static_cast<std::ptrdiff_t>(from), logical.begin() + static_cast<std::ptrdiff_t>(to));
        const std::uint16_t c = wmbus::crc16(std::span(logical).subspan(from, to - from));
        out.push_back(static_cast<std::uint8_t>(c >> 8));
        out.push_back(static_cast<std::uint8_t>(c & 0xFF));
        from = to;
    }
    return out;
}

// C.1.0 (or C.1): 1…8 decimal digits, the A-field identification (manual "LED indications").
std::optional<std::uint32_t> meter_id(const obis::Readout& r) {
    const obis::DataLine* l = r.find("C.1.0");
    if (!l) l = r.find("C.1");
    if (!l || l->values.empty()) return std::nullopt;
    const std::string& v = l->values.front().value;
    if (v.empty() || v.size() > 8 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    return mbus::parse_identification(std::string(8 - v.size(), '0') + v);
}

}  // namespace

Cmi1020W::Cmi1020W(E350& meter, Cmi1020WOptions options)
    : meter_(&meter), options_(std::move(options)), access_(options_.first_access_number) {
    if (options_.interval <= Duration::zero()) options_.interval = kDefaultInterval;
    if (options_.fault == Cmi1020WFault::first_telegram_late) next_ = TimePoint{} + 2 * kFirstMeterRead;
    if (options_.fault == Cmi1020WFault::red_led_not_lit_at_power_up) red_led_ = false;
}

std::optional<std::vector<std::uint8_t>> Cmi1020W::on_time(TimePoint now) {
    if (now < next_) return std::nullopt;
    // deadlines missed while the caller slept are not made up for: one telegram for the last
    while (next_ <= now) next_ += options_.interval;
    return transmit();
}

void Cmi1020W::set_rate_inputs(bool a, bool b) {
    const bool changed = a != input_a_ || b != input_b_;
    input_a_ = a;
    input_b_ = b;
    const bool enabled = options_.rate_inputs_enabled || options_.fault == Cmi1020WFault::rate_inputs_enabled;
    if (!changed || !enabled) return;  // manual "rate inputs": disabled by default
    const std::uint8_t rate = static_cast<std::uint8_t>(1u + (b ? 2u : 0u) + (a ? 1u : 0u));
    const std::array<std::uint8_t, 16> no_p2{};
    tariff_set_failed = meter_->execute({0xFF05, SignOn::p1, {rate}}, options_.p1_password, no_p2) != E350::ExecStatus::ok;
}

std::optional<std::vector<std::uint8_t>> Cmi1020W::transmit() {
    const E350::ReadResult r = meter_->read();
    red_led_ = true;  // manual "LED indications": no meter or no C.1.0 → nothing transmitted
    if (r.status != E350::ReadStatus::ok || !r.readout) return std::nullopt;
    const auto id = meter_id(*r.readout);
    if (!id) return std::nullopt;
    red_led_ = false;
    id_ = id;

    obis::SelectionMask mask{};
    for (unsigned sel : kCmi1020WDefaultSel) mask[sel / 8] |= static_cast<std::uint8_t>(1u << (sel % 8));
    obis::Interpretation in = obis::interpret(*r.readout, mask);  // readout (meter) order, ERRATA E-52
    const Cmi1020WFault fault = options_.fault;
    if (fault == Cmi1020WFault::field_order_changed) std::reverse(in.records.begin(), in.records.end());
    if (fault == Cmi1020WFault::default_field_missing) {
        for (std::size_t i = 0; i < in.record_sel.size(); ++i)
            if (in.record_sel[i] == 0 || in.record_sel[i] == 7 || in.record_sel[i] == 28) {
                in.records.erase(in.records.begin() + static_cast<std::ptrdiff_t>(i));
                break;
            }
    }

    wmbus::FrameSpec s;
    s.crc = wmbus::CrcFormat::none;  // the CRCs are added below (a fault may change bytes first)
    s.link = {0, kSndNr, kElvManufacturer, *id, kCmi1020WVersion,
              fault == Cmi1020WFault::wrong_device_type ? std::uint8_t{0x07} : kMediumElectricity};
    s.tpl.ci = 0x7A;  // short header: the link layer's M and A are the meter's (ERRATA E-53)
    s.tpl.header.kind = mbus::Header::Kind::short_header;
    s.tpl.header.access_number = access_;
    s.tpl.header.status = tariff_set_failed ? kStatusTariffFailed : 0;
    for (const auto& rec : in.records) s.apl.insert(s.apl.end(), rec.begin(), rec.end());

    const bool encrypt = options_.key && fault != Cmi1020WFault::plain_while_encrypted;
    std::optional<wmbus::KeyLookup> keys;
    if (encrypt) {
        wmbus::Key k = *options_.key;
        if (fault == Cmi1020WFault::wrong_key)
            for (auto& b : k.bytes) b = static_cast<std::uint8_t>(~b);
        s.apl.insert(s.apl.begin(), {0x2F, 0x2F});
        const std::size_t blocks = (s.apl.size() + 15) / 16;
        s.apl.resize(blocks * 16, 0x2F);  // idle fillers to the block (ERRATA E-56)
        s.tpl.header.signature = wmbus::config_field(5, static_cast<unsigned>(blocks));
        if (fault == Cmi1020WFault::access_number_not_in_iv) s.tpl.header.access_number = 0;
        keys = wmbus::single_key(k);
    }
    std::vector<std::uint8_t> logical = wmbus::encode(s, keys ? &*keys : nullptr);
    if (fault == Cmi1020WFault::access_number_not_in_iv) logical[11] = access_;  // L C M M A×6 CI ACC
    std::vector<std::uint8_t> frame = with_format_a_crcs(logical);
    if (fault == Cmi1020WFault::bad_crc) frame[11] ^= 0xFF;

    if (fault != Cmi1020WFault::access_number_frozen) ++access_;
    ++sent_;
    return frame;
}

}  // namespace metercert::devices
