// libFuzzer target (run by ci/fuzz): SenML-CBOR packs (RFC 8428 §6) and the CMi6110's
// SenML/CBOR/M-Bus payload (manual §7.4.2.3, ERRATA E-45/E-46).
// Properties:
//  - decode_pack / decode_senml never throw, crash or read out of bounds; a refusal's offset lies
//    inside the payload (or at its end for a truncation);
//  - an accepted pack re-encodes (encode_pack) to a payload that decodes to the same records: the
//    encoder's preferred serialization is accepted by the decoder;
//  - an accepted CMi6110 payload re-encodes (encode_senml) to one that decodes to the same meter,
//    readout times and data values.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>

#include "metercert/devices/cmi6110/senml_payload.hpp"
#include "metercert/senml/senml.hpp"

using namespace metercert;

namespace {

// Equal numbers; a NaN equals a NaN (its payload is not kept: preferred serialization writes a
// half-precision NaN).
bool eq(const std::optional<senml::Number>& a, const std::optional<senml::Number>& b) {
    if (!a || !b) return !a && !b;
    if (a->is_float && b->is_float && a->d != a->d) return b->d != b->d;
    return *a == *b;
}

bool same_fields(const senml::Record& a, const senml::Record& b) {
    return a.base_version == b.base_version && a.base_name == b.base_name && eq(a.base_time, b.base_time) &&
           a.base_unit == b.base_unit && eq(a.base_value, b.base_value) && eq(a.base_sum, b.base_sum) && a.name == b.name &&
           a.unit == b.unit && eq(a.value, b.value) && a.string_value == b.string_value && a.bool_value == b.bool_value &&
           eq(a.sum, b.sum) && eq(a.time, b.time) && eq(a.update_time, b.update_time) && a.data_value == b.data_value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> in(data, size);
    senml::Pack pack;
    senml::PackError pe;
    if (!senml::decode_pack(in, pack, pe)) {
        if (pe.offset > size) std::abort();
    } else {
        bool empty_record = false;
        for (const auto& r : pack.records)
            if (same_fields(r, senml::Record{})) empty_record = true;  // only unknown labels: nothing to write
        if (!empty_record) {
            const auto again = senml::encode_pack(pack);
            senml::Pack q;
            if (!senml::decode_pack(again, q, pe) || q.records.size() != pack.records.size()) std::abort();
            for (std::size_t i = 0; i < q.records.size(); ++i)
                if (!same_fields(q.records[i], pack.records[i])) std::abort();
        }
    }
    devices::cmi6110::SenmlPayload p;
    devices::cmi6110::SenmlError se;
    if (!devices::cmi6110::decode_senml(in, p, se)) {
        if (se.offset > size || se.name().empty()) std::abort();
        return 0;
    }
    if (p.readouts.empty()) return 0;
    const auto again = devices::cmi6110::encode_senml(p);
    devices::cmi6110::SenmlPayload q;
    if (!devices::cmi6110::decode_senml(again, q, se)) std::abort();
    if (q.meter_id != p.meter_id || q.readouts.size() != p.readouts.size() || q.encoder != p.encoder) std::abort();
    for (std::size_t i = 0; i < q.readouts.size(); ++i)
        if (q.readouts[i].time != p.readouts[i].time || q.readouts[i].dibs != p.readouts[i].dibs) std::abort();
    return 0;
}
