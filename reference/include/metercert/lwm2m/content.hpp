// LwM2M content formats for resource values (OMA LwM2M TS 1.1 Core §7.4 "Data Formats for
// Transferring Resource Information"): text/plain (0, §7.4.1), opaque (42, §7.4.2), TLV (11542,
// §7.4.3, tlv.hpp), SenML-JSON (110, §7.4.4) and SenML-CBOR (112, §7.4.5), both RFC 8428 with
// LwM2M's naming. Pure: bytes in, entries out and back.
//
// Entries are resource values with full paths (depth 3, or 4 for an instance of a multiple-
// instance resource), all at or below the request path (types.hpp). Each format's shape:
//   * text/plain: exactly one value of a single-instance resource (or one resource instance):
//     Integer/Time/Unsigned decimal ("-12"), Float the shortest text that reads back the same
//     double ("0.5", "1e+300"), Boolean "0"/"1", String the UTF-8 text, Opaque base64 (RFC 4648
//     §4, with padding), Objlnk "object:instance" (TS 1.1 §7.4.1 Table 7.4.1-1);
//   * opaque: exactly one value of an Opaque resource, its bytes;
//   * TLV: by request depth — object: Object Instance TLVs; instance: Resource / Multiple Resource
//     TLVs; resource: one Resource with Value (single) or one Multiple Resource (multiple);
//     resource instance: one Resource Instance. Decoding also takes an instance read's
//     single Object Instance TLV and a multiple resource's bare Resource Instances;
//   * SenML-JSON / SenML-CBOR: one record per value, "bn" on the first record only: the request
//     path with a trailing "/" ("/3/0/"), names relative to it ("0", "6/0", "11/0"; TS 1.1 §7.4.4
//     example of /3/0); a single value read at its own path is {"bn": "/3/0/0", value} with no
//     "n" (ERRATA E-95). Values: "v" (Integer, Unsigned, Time, Float), "vb", "vs", "vd" (JSON:
//     base64url without padding, RFC 8428 §4.3; CBOR: a byte string), "vlo" ("66:0", TS 1.1
//     §7.4.4 Objlnk). CBOR labels are RFC 8428 Table 4's (bn −2, n 0, v 2, vs 3, vb 4, vd 8),
//     "vlo" a text label; integers in their shortest form, floats as binary64. Decoding takes
//     names as RFC 8428 §4.5.1 resolves them (bn + n, bn carried to later records), ignores time
//     ("t", "bt": a Write carries no history) and refuses must-understand labels ("…_").
//
// Decoding types each value by the model (`TypeOf`); a path the model lacks is unknown_resource
// (the operation layer answers 4.04), a value of the wrong kind wrong_type, a bad encoding the
// named error with its byte offset (SenML-JSON: the parser's byte for syntax, the record's index
// "record N" for value errors; SenML-CBOR: the record's byte offset).
#pragma once

#include <functional>
#include <span>
#include <vector>

#include "metercert/lwm2m/types.hpp"

namespace metercert::lwm2m {

using TypeOf = std::function<std::optional<ResourceInfo>(const Path& resource)>;

// The value formats this layer reads and writes: 0, 42, 110, 112, 11542
bool value_format(std::uint16_t content_format) noexcept;
std::string_view format_name(std::uint16_t content_format) noexcept;  // "application/vnd.oma.lwm2m+tlv", …

// Entries in `format` for a Read/Observe of `request`. Errors: unsupported_format (not a value
// format), not_representable (text/opaque of several values, opaque of a non-Opaque value, an
// entry outside the request path), bad_value (a String that is not UTF-8, an empty set for text).
bool encode_content(std::uint16_t format, const Path& request, std::span<const Entry> entries, Bytes& out, Error& err);
// A Write/Create/Bootstrap-Write payload addressed to `request`, typed by `type_of`
bool decode_content(std::uint16_t format, const Path& request, std::span<const std::uint8_t> payload, const TypeOf& type_of,
                    std::vector<Entry>& out, Error& err);

// RFC 4648: §4 base64 (with padding) and §5 base64url (without padding); decoding accepts padding
// or none, refuses other characters (false)
std::string base64(std::span<const std::uint8_t> b, bool url);
bool from_base64(std::string_view s, bool url, Bytes& out) noexcept;

}  // namespace metercert::lwm2m
