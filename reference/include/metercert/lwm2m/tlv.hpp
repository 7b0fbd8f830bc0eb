// LwM2M TLV, Content-Format 11542 "application/vnd.oma.lwm2m+tlv" (OMA LwM2M TS 1.0 §6.4.3,
// TS 1.1 Core §7.4.3 "TLV"). An item is
//
//   Type (1 byte):  bits 7-6  kind of identifier: 00 Object Instance, 01 Resource Instance,
//                             10 Multiple Resource, 11 Resource with Value
//                   bit  5    length of the identifier: 0 = 8 bits, 1 = 16 bits
//                   bits 4-3  length of the Length field: 00 = none (the length is bits 2-0),
//                             01 = 8 bits, 10 = 16 bits, 11 = 24 bits
//                   bits 2-0  the length of the value when bits 4-3 are 00, else ignored
//   Identifier (1 or 2 bytes, network byte order), Length (0-3 bytes, network byte order), Value.
//
// An Object Instance holds Resources (Resource with Value or Multiple Resource); a Multiple
// Resource holds Resource Instances; the other two hold a value.
//
// Value encodings (TS 1.1 §7.4.3 / Appendix C "Data Types", TLV column):
//   Integer, Time    signed two's complement, network byte order, 1, 2, 4 or 8 bytes
//   Unsigned Integer unsigned, network byte order, 1, 2, 4 or 8 bytes (TS 1.1)
//   Float            IEEE 754 binary32 (4 bytes) or binary64 (8 bytes), network byte order
//   Boolean          1 byte, 0 or 1
//   String           UTF-8 bytes;  Opaque: the bytes
//   Objlnk           4 bytes: Object ID (16 bits) then Object Instance ID (16 bits); 65535:65535
//                    is the null link
//   none (Execute)   no TLV value
//
// Decoding never throws and never reads out of bounds: decode_tlv() fills a tree or returns false
// with an Error naming what and where (byte offset of the item or of the missing bytes).
// Encoding writes the shortest forms (8-bit identifier when the id < 256, the length in the type
// byte when ≤ 7, else the shortest Length field; integers in the fewest of 1/2/4/8 bytes; a float
// in 4 bytes when binary32 holds it exactly, else 8): the forms of the specification's examples.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "metercert/lwm2m/types.hpp"

namespace metercert::lwm2m {

enum class TlvKind : std::uint8_t { object_instance = 0, resource_instance = 1, multiple_resource = 2, resource_value = 3 };
std::string_view kind_name(TlvKind k) noexcept;  // "Object Instance", … (TS 1.1 §7.4.3 Table 7.4.3-1)

struct Tlv {
    TlvKind kind = TlvKind::resource_value;
    std::uint16_t id = 0;
    Bytes value;                // Resource with Value, Resource Instance
    std::vector<Tlv> children;  // Object Instance, Multiple Resource
    std::size_t offset = 0;     // of the type byte in the decoded input (0 for items built by hand)
};

// The whole input as a sequence of top-level TLVs. Refusals: truncated (header or value beyond
// the input or beyond its container), bad_nesting (an Object Instance inside anything, a Resource
// Instance outside a Multiple Resource, a Resource outside the top level / an Object Instance),
// duplicate (two siblings with the same id, TS 1.1 §7.4.3: ids identify them).
bool decode_tlv(std::span<const std::uint8_t> in, std::vector<Tlv>& out, Error& err) noexcept;
// Throws std::invalid_argument for a value longer than 2^24 − 1 bytes or a container with a value
// (or a value item with children)
Bytes encode_tlv(std::span<const Tlv> items);

// One value in the encoding of its type (above). Throws std::invalid_argument when the variant
// does not hold the type's alternative (Integer ↔ int64, …) or for Type::none.
Bytes encode_tlv_value(const Value& v, Type t);
// The bytes of one TLV value read as `t`. `offset` is where they start in the input (for the
// error). Refusals: bad_length (Integer not 1/2/4/8 bytes, Float not 4/8, Boolean not 1, Objlnk
// not 4), bad_value (Boolean other than 0/1), out_of_range (Unsigned Integer above INT64_MAX),
// bad_utf8 (String).
bool decode_tlv_value(std::span<const std::uint8_t> bytes, Type t, std::size_t offset, Value& out, Error& err) noexcept;

}  // namespace metercert::lwm2m
