// The pieces every part of metercert's LwM2M layer shares (OMA LwM2M TS 1.1 Core, "OMA-TS-
// LightweightM2M_Core-V1_1_1"; TS 1.0 where it says the same): paths, the one value type, the
// content-format numbers and the one error type. Pure: no I/O, no clock, no libcoap type.
//
// Values are the CMi6110 model's (metercert::devices::cmi6110::Value / Lwm2mType, objects.hpp):
// Integer/Time → int64 (Time: seconds since the Unix epoch, TS 1.1 Appendix C), Unsigned Integer →
// int64 (values above INT64_MAX are refused as out_of_range), Float → double, Boolean → bool,
// String → std::string (UTF-8), Opaque → Bytes, Objlnk → ObjectLink (object:instance).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <compare>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "metercert/devices/cmi6110/objects.hpp"

namespace metercert::lwm2m {

using devices::cmi6110::Bytes;
using devices::cmi6110::ObjectLink;
using devices::cmi6110::Value;
using Type = devices::cmi6110::Lwm2mType;

// An LwM2M path as the interfaces of TS 1.1 §5 address objects (/Object ID/Object Instance
// ID/Resource ID/Resource Instance ID), of depth 0 ("/", the root the Bootstrap-Server deletes and
// discovers, §5.2.7) to 4.
struct Path {
    std::uint8_t depth = 0;
    std::array<std::uint16_t, 4> ids{};

    static Path root() noexcept { return {}; }
    static Path object(std::uint16_t o) noexcept { return {1, {o, 0, 0, 0}}; }
    static Path instance(std::uint16_t o, std::uint16_t i) noexcept { return {2, {o, i, 0, 0}}; }
    static Path resource(std::uint16_t o, std::uint16_t i, std::uint16_t r) noexcept { return {3, {o, i, r, 0}}; }
    static Path resource_instance(std::uint16_t o, std::uint16_t i, std::uint16_t r, std::uint16_t ri) noexcept {
        return {4, {o, i, r, ri}};
    }
    [[nodiscard]] std::uint16_t object_id() const noexcept { return ids[0]; }
    [[nodiscard]] std::uint16_t instance_id() const noexcept { return ids[1]; }
    [[nodiscard]] std::uint16_t resource_id() const noexcept { return ids[2]; }
    [[nodiscard]] std::uint16_t resource_instance_id() const noexcept { return ids[3]; }
    // the first `n` ids of this path (n ≤ depth)
    [[nodiscard]] Path prefix(std::uint8_t n) const noexcept;
    // true when `other` lies at or below this path
    [[nodiscard]] bool contains(const Path& other) const noexcept;
    // this path one level down
    [[nodiscard]] Path child(std::uint16_t id) const noexcept;
    friend auto operator<=>(const Path&, const Path&) = default;
};
// "/", "/3", "/3/0", "/3/0/1", "/3/0/6/0" (a leading "/" optional, no trailing "/"; ids 0…65535,
// decimal without sign). nullopt for anything else. 65535 is a valid id in a path (TS 1.1 §7.4.3
// reserves it only as the "null" Objlnk).
std::optional<Path> parse_path(std::string_view text) noexcept;
std::string to_string(const Path& p);  // "/3/0/1"; "/" for the root

// CoAP Content-Format numbers LwM2M uses (TS 1.1 §7 "Data Formats"; the IANA CoRE Parameters registry)
namespace content_format {
inline constexpr std::uint16_t text = 0;          // text/plain;charset=utf-8 (§7.4.1)
inline constexpr std::uint16_t link = 40;         // application/link-format (RFC 6690)
inline constexpr std::uint16_t opaque = 42;       // application/octet-stream (§7.4.2)
inline constexpr std::uint16_t senml_json = 110;  // application/senml+json (§7.4.4, RFC 8428)
inline constexpr std::uint16_t senml_cbor = 112;  // application/senml+cbor (§7.4.5, RFC 8428 §6)
inline constexpr std::uint16_t tlv = 11542;       // application/vnd.oma.lwm2m+tlv (§7.4.3)
inline constexpr std::uint16_t lwm2m_json = 11543;  // application/vnd.oma.lwm2m+json (1.0 JSON: not supported)
}  // namespace content_format

// A resource or resource-instance value with its full path (depth 3 or 4)
struct Entry {
    Path path;
    Value value;
    friend bool operator==(const Entry&, const Entry&) = default;
};

// What a decoder needs to know of a resource (depth-3 path): its type and whether it is a
// multiple-instance resource. nullopt: no such resource (decoders fail with unknown_resource).
struct ResourceInfo {
    Type type = Type::opaque;
    bool multiple = false;
};

// Errors of every parser of this layer; `offset` is a byte offset into the input (SenML: of the
// record's item where the parser knows it, see senml.hpp)
enum class ErrorCode : std::uint8_t {
    truncated,          // the input ends inside an item (offset: where the missing bytes start)
    bad_length,         // a length that does not fit its container or its type (TLV integer of 3 bytes)
    bad_nesting,        // a TLV of a kind its container cannot hold, a path of the wrong depth
    duplicate,          // the same id / name twice
    path_mismatch,      // an id that is not the one the request addresses
    unknown_resource,   // a path the model does not have (the operation layer answers 4.04)
    wrong_type,         // a value of another type than the resource has
    bad_value,          // a value its type does not allow (boolean 2, base64 with a stray character)
    out_of_range,       // a number that does not fit (integer beyond int64, id beyond 65535)
    bad_utf8,           // a String that is not UTF-8
    syntax,             // a JSON / CBOR / link-format / query text that does not parse
    trailing_data,      // bytes after the end of the item
    not_representable,  // the content format cannot hold these values (text/plain of two resources)
    unsupported_format, // a Content-Format this layer does not read or write
    missing,            // a mandatory item is absent (Register without ep)
};
std::string_view error_name(ErrorCode c) noexcept;

struct Error {
    ErrorCode code = ErrorCode::syntax;
    std::size_t offset = 0;
    std::string detail;
    // "bad_length at byte 7: Integer of 3 bytes (1, 2, 4 or 8)"
    [[nodiscard]] std::string message() const;
};

// UTF-8 as RFC 3629 §4 defines it (no overlongs, no surrogates, nothing above U+10FFFF); the
// offset of the first bad byte, or nullopt when valid
std::optional<std::size_t> invalid_utf8(std::string_view s) noexcept;

}  // namespace metercert::lwm2m
