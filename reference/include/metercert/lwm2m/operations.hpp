// The LwM2M operation layer of the CMi6110 (OMA LwM2M TS 1.1 Core §5.2 Bootstrap interface, §5.4
// Device Management and Service Enablement interface; Elvaco CMi6110 manual §6.3 Tables 1 and 2)
// on the model metercert::devices::cmi6110::DeviceConfig (objects.hpp). Pure: a request is
// (operation, path, request Content-Format, payload, Accept, origin, Uri-Query options); the answer
// is (CoAP response code, Content-Format, payload). No CoAP message, no libcoap type, no clock: the
// caller (a libcoap I/O loop) maps CoAP methods to operations:
//   GET → read (discover when Accept is 40), PUT → write_replace or, with Uri-Query, write_attributes,
//   POST → write_partial on an instance / execute on a resource / create on an object,
//   DELETE → delete; from the Bootstrap-Server: PUT → bootstrap_write, DELETE → bootstrap_delete,
//   GET with Accept 40 → bootstrap_discover, GET otherwise → read (TS 1.1 Bootstrap-Read).
//
// Response codes (TS 1.1 §5.2.7 and §5.4 tables; model outcomes per ERRATA E-92; the choices
// LwM2M leaves open per ERRATA E-95 … E-97):
//   read          2.05 with the value(s); 4.04 no such object/instance/resource (or no value yet);
//                 4.05 not readable (E, W, (W), "-", secret keys); 4.06 an Accept this layer does
//                 not write or that cannot hold the values (text/opaque of an instance, opaque of a
//                 non-Opaque resource). An object or instance read holds every readable resource
//                 that has a value. No Accept: TLV (E-95).
//   write         2.04; 4.04 unknown path (a DM server); 4.05 not writable by that server (R from
//                 the DM server, …); 4.00 a value out of range / of the wrong type / a payload that
//                 does not decode; 4.15 no Content-Format or one this layer does not read, or a
//                 format that cannot address that path (text/opaque to an instance). All values of
//                 one request are applied or none (E-96). From the Bootstrap-Server only 2.04, 4.00
//                 and 4.15 (E-92).
//   execute       2.04 and the Action the model names; 4.04; 4.05 not executable or from the
//                 Bootstrap-Server. Arguments (TS 1.1 §5.4.5) are returned in `arguments`.
//   discover      2.05 link format (§5.4.2): the object/instance/resources with dim for a
//                 multiple-instance resource and the attributes written there (a resource: its
//                 effective, inherited attributes); 4.04; 4.05 on the root; 4.06 Accept not 40.
//   write_attributes 2.04; 4.00 bad attributes (attributes.hpp); 4.04; 4.05 root or Bootstrap-Server.
//   create        4.04 unknown object, else 4.05: no CMi6110 object takes new instances (E-97).
//   delete        4.04 unknown instance, else 4.05: the instances of Tables 1 and 2 are fixed (E-97).
//   bootstrap_write  as write, origin Bootstrap-Server (R(W) and (W) resources writable).
//   bootstrap_delete 2.02 on "/", an object or an instance (the fixed instances stay, with their
//                 values: E-97); 4.00 on a resource path or an unknown object/instance.
//   bootstrap_discover 2.05 (§5.2.7): "</>;lwm2m=1.1", every object instance with ssid and uri
//                 on the Security instances of DM servers and ssid on Server instances; 4.00 for
//                 a path below an object; 4.06 Accept not 40.
//   An operation of one interface from the other's server: 4.05.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "metercert/devices/cmi6110/objects.hpp"
#include "metercert/lwm2m/attributes.hpp"
#include "metercert/lwm2m/content.hpp"
#include "metercert/lwm2m/types.hpp"

namespace metercert::lwm2m {

using devices::cmi6110::Origin;

enum class Operation : std::uint8_t {
    read, write_replace, write_partial, execute, discover, write_attributes, create, delete_,
    bootstrap_write, bootstrap_delete, bootstrap_discover,
};
std::string_view operation_name(Operation o) noexcept;  // "read", "write-replace", …

// A CoAP response code class.detail (RFC 7252 §12.1.2)
struct Code {
    std::uint8_t cls = 2, detail = 5;
    [[nodiscard]] std::uint8_t byte() const noexcept { return static_cast<std::uint8_t>(cls << 5 | detail); }
    [[nodiscard]] std::string str() const;  // "2.05", "4.15"
    friend bool operator==(const Code&, const Code&) = default;
};
namespace code {
inline constexpr Code created{2, 1}, deleted{2, 2}, changed{2, 4}, content{2, 5};
inline constexpr Code bad_request{4, 0}, unauthorized{4, 1}, not_found{4, 4}, method_not_allowed{4, 5}, not_acceptable{4, 6},
    unsupported_content_format{4, 15};
}  // namespace code

struct Request {
    Operation op = Operation::read;
    Path path;
    std::optional<std::uint16_t> content_format;  // of the payload (Write, Create)
    Bytes payload;
    std::optional<std::uint16_t> accept;          // Read, Discover
    Origin origin = Origin::dm;
    std::vector<std::string> query;               // Uri-Query options (Write-Attributes)
};

struct Response {
    Code code = code::content;
    std::optional<std::uint16_t> content_format;  // set when there is a payload
    Bytes payload;
    devices::cmi6110::Action action = devices::cmi6110::Action::none;  // what an Execute asks for
    Bytes arguments;                                                     // an Execute's payload
    std::string diagnostic;  // why a request was refused (one line, never a value of a secret)
};

// The CMi6110's LwM2M objects as an LwM2M client serves them: the model plus the attributes
// written by the DM server. Holds a reference: the model outlives it.
class ClientObjects {
public:
    explicit ClientObjects(devices::cmi6110::DeviceConfig& model) : model_(model) {}
    Response handle(const Request& r);

    // Every object instance of Tables 1 and 2 (depth-2 paths, object order), Security included
    [[nodiscard]] std::vector<Path> object_instances() const;
    // The Register payload (TS 1.1 §5.3.1): every instance but the Security object's
    [[nodiscard]] std::string register_payload(std::optional<std::uint16_t> content_format = std::nullopt) const;
    // Attributes written at `p` (empty when none)
    [[nodiscard]] Attributes attributes(const Path& p) const;
    [[nodiscard]] Attributes effective_attributes(const Path& resource) const;
    // The model's type lookup (executable resources read as Opaque so that a Write reaches the
    // model's 4.05)
    [[nodiscard]] static std::optional<ResourceInfo> type_of(const Path& resource);

private:
    Response read(const Request& r) const;
    Response write(const Request& r);
    Response discover(const Request& r) const;
    Response bootstrap_discover(const Request& r) const;
    Response write_attributes(const Request& r);
    [[nodiscard]] bool exists(const Path& p) const;

    devices::cmi6110::DeviceConfig& model_;
    std::map<Path, Attributes> attributes_;
};

}  // namespace metercert::lwm2m
