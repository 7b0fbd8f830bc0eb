// CoRE Link Format (RFC 6690, Content-Format 40) as LwM2M uses it — the Register/Update payload
// (TS 1.1 Core §5.3.1 "Register"), the Discover response (§5.4.2) and
// the Bootstrap-Discover response (§5.2.7) — and the Register/Update query parameters (TS 1.1
// §5.3.1 / §5.3.2 tables "Register"/"Update": ep, lt, lwm2m, b, sms, Q).
//
// Grammar (RFC 6690 §2): links separated by ","; each "<" URI-Reference ">" then ";"-separated
// parameters parmname [ "=" ( ptoken / quoted-string ) ]; parmname 1*(ALPHA / DIGIT / "!#$&+-.^_`|~"),
// quoted-string as RFC 2616 (backslash escapes). No white space anywhere (RFC 6690 has none).
// Parsing never throws: false and an Error (syntax, offset of the offending byte).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metercert/lwm2m/types.hpp"

namespace metercert::lwm2m {

struct LinkParam {
    std::string name;
    std::optional<std::string> value;  // without quotes/escapes; nullopt for a bare name ("Q"-like)
    bool quoted = false;               // written as a quoted-string
    friend bool operator==(const LinkParam&, const LinkParam&) = default;
};

struct Link {
    std::string target;  // the URI-Reference between < and > ("/3/0")
    std::vector<LinkParam> params;
    std::size_t offset = 0;  // of "<" in the parsed text
    [[nodiscard]] const LinkParam* param(std::string_view name) const noexcept;
};

bool parse_links(std::string_view text, std::vector<Link>& out, Error& err) noexcept;
// The links in the grammar above; a value is quoted when `quoted` or when it is not a ptoken
std::string format_links(std::span<const Link> links);

// The Register payload (TS 1.1 §5.3.1): "</>;rt="oma.lwm2m";ct=<format>" first when
// `content_format` is given (TS 1.1 §5.3.1: the root link announces the preferred format), then one
// link per object instance ("</1/0>,</3/0>"), an object without instances as "</33905>".
// Object 0 (Security) must not be listed (TS 1.1 §5.3.1) and is left out.
std::string register_payload(std::span<const Path> objects_and_instances, std::optional<std::uint16_t> content_format = std::nullopt);
// The object instances a Register payload lists (objects without instance as depth-1 paths);
// the root link and links that are not /object[/instance] are skipped; errors as parse_links
bool parse_register_payload(std::string_view text, std::vector<Path>& out, Error& err) noexcept;

// Register (and Update) query parameters, TS 1.1 §5.3.1 / §5.3.2
struct RegisterQuery {
    std::string endpoint;                    // ep: Endpoint Client Name (Register only, mandatory)
    std::optional<std::uint32_t> lifetime;   // lt: seconds (default 86400)
    std::optional<std::string> lwm2m;        // lwm2m: LwM2M version "1.0", "1.1" (Register only)
    std::optional<std::string> binding;      // b: "U", "UQ", "S", "N", "T", … (TS 1.0 UQ/SQ/UQS, TS 1.1 U S N T)
    std::optional<std::string> sms;          // sms: MSISDN
    bool queue_mode = false;                 // Q (TS 1.1: no value)
    std::vector<std::pair<std::string, std::string>> other;  // parameters LwM2M does not define (kept, ignored)
    friend bool operator==(const RegisterQuery&, const RegisterQuery&) = default;
};
// One Uri-Query option per parameter, in the order ep, lt, lwm2m, b, sms, Q
std::vector<std::string> build_register_query(const RegisterQuery& q);
// From the Uri-Query options. `update`: ep and lwm2m are not allowed (TS 1.1 §5.3.2). Errors
// (offset = index of the option): missing (Register without ep, empty ep), duplicate, bad_value
// (lt not a decimal uint32, lwm2m not "digit.digit", b with a letter other than U Q S N T or a
// letter twice, Q with a value, ep/lwm2m in an Update)
bool parse_register_query(std::span<const std::string> options, bool update, RegisterQuery& out, Error& err) noexcept;
// "ep=x&lt=60" (a URI query) split into its options
std::vector<std::string> split_query(std::string_view query);

}  // namespace metercert::lwm2m
