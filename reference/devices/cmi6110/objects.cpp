// The CMi6110's LwM2M objects and §7.5 settings as one table, and the configuration model over it
// (objects.hpp). Every row quotes where it comes from; ERRATA E-85 … E-92 give the readings chosen.
#include "metercert/devices/cmi6110/objects.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <type_traits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace metercert::devices::cmi6110 {
namespace {

using T = Lwm2mType;
using O = Operations;
using N = NfcAccess;
using A = Action;
using F = StringFormat;

// ---------------------------------------------------------------- enumerations (the manual's words)
constexpr Enumerator kEncoding[] = {{0, "SenML/CBOR"}, {1, "JSON"}, {2, "MBus"}};                // Table 2 33906/./1
constexpr Enumerator kFrameType[] = {{42, "CMi6110_Standard"}, {43, "CMi6110_Extended"}};      // Table 2 33906/./2
constexpr Enumerator kUploadOrder[] = {{0, "FIFO"}, {1, "LIFO"}};                               // Table 2 33906/./45
constexpr Enumerator kTimeSyncSource[] = {{0, "Manual"}, {1, "Network"}};                      // Table 2 33906/./46
constexpr Enumerator kUploadProtocol[] = {{0, "MQTT-SN"}, {1, "LwM2M"}};                       // Table 2 33906/./48
constexpr Enumerator kPowerSaving[] = {{0, "Disabled"}, {1, "eDRX"}, {2, "PSM"}, {3, "PSM + eDRX"}};  // 33906/./49
constexpr Enumerator kEdrxMode[] = {{0, "Automatic"}, {1, "Manual"}};                          // 33906/./50
constexpr Enumerator kRai[] = {{0, "RAI Disabled"}, {1, "RAI=2 for MQTT-SN QoS=1"}};            // 33906/./51
constexpr Enumerator kPowerSource[] = {{0, "Battery"}, {1, "PSU"}};                            // 33906/./52
constexpr Enumerator kMeterIdSource[] = {{0, "Fabrication nbr"}, {1, "Customer nbr"}};         // 33906/./54
constexpr Enumerator kMdmProtocol[] = {{0, "MQTT-SN"}};                                         // 33905/./1 "0.."
constexpr Enumerator kConnectionConfig[] = {{0, "Optimized"}, {1, "Compliant"}};               // 33905/./10
constexpr Enumerator kMeterCommStatus[] = {{0, "OK"}, {1, "No meter detected"}, {2, "Error"}};  // 33908/./2
constexpr Enumerator kNetworkClass[] = {{0, "Excellent"}, {1, "Good"}, {2, "Fair"}, {3, "Poor"}};  // 33907/./2
constexpr Enumerator kMdmConnStatus[] = {{0, "OK"}, {1, "Connecting"}, {2, "No credentials"}, {3, "DTLS failed"},
                                         {4, "Communication failed"}, {6, "Socket failed"}, {7, "Idle"}};  // 33907/./10
constexpr Enumerator kModemFotaResult[] = {{0, "Initial value"}, {1, "Modem Firmware updated successfully"},
                                           {2, "Error during download"}, {3, "Error during update"}};  // 33909/./8
constexpr Enumerator kFwState[] = {{0, "Idle"}, {1, "Downloading"}, {2, "Downloaded"}, {3, "Updating"}};  // 5/0/3
constexpr Enumerator kPowerMode[] = {{0, "Passive"}, {1, "Active"}};                           // Table 8 Power mode
constexpr Enumerator kLock[] = {{0, "Open"}, {1, "Locked"}};                                   // Table 8 Configuration Lock

constexpr std::string_view kBackoff6 = "0-5,5-15,15-60,60-360,360-1440,1300-1600";  // Tables 11, 12 default

// ---------------------------------------------------------------- the table
// clang-format off
constexpr ResourceSpec kTable[] = {
    // ===== Table 1: Standard LwM2M objects ===================================================
    // LwM2M Security, instance 0: the Bootstrap-Server
    {.key = "bootstrap_server_uri", .object = 0, .resource = 0, .printed = "0/0/0", .name = "LWM2M Server URI", .type = T::string, .ops = O::r, .source = "Table 1 'Bootstrap URI'", .erratum = "E-85", .implementation_defined = true},
    {.key = "bootstrap_server_flag", .object = 0, .resource = 1, .printed = "0/0/1", .name = "Bootstrap server", .type = T::boolean, .ops = O::r, .has_default = true, .default_int = 1, .source = "Table 1 'TRUE'", .erratum = "E-85", .implementation_defined = true},
    {.key = "bootstrap_security_mode", .object = 0, .resource = 2, .printed = "0/0/2", .name = "Security Mode", .type = T::integer, .ops = O::r, .has_min = true, .has_max = true, .min = 0, .max = 4, .has_default = true, .default_int = 0, .source = "Table 1 '0..4 BS Security mode 0 = PSK mode 3 = No security'; §7.5 Table 9 'Bootstrap security' DTLS / no security, default DTLS", .setting = "Bootstrap security", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87", .implementation_defined = true},
    {.key = "bootstrap_psk_identity", .object = 0, .resource = 3, .printed = "0/0/3", .name = "PSK Identity", .type = T::opaque, .ops = O::r, .source = "Table 1 'DevEUI'", .erratum = "E-85", .implementation_defined = true},
    {.key = "bootstrap_psk", .object = 0, .resource = 5, .printed = "0/0/4", .name = "Secret Key", .type = T::opaque, .ops = O::none, .source = "Table 1 '- Bootstrap PSK'; LwM2M TS 1.1 Appendix E.1: Secret Key is resource 5", .secret = true, .erratum = "E-85", .implementation_defined = true},
    {.key = "bootstrap_short_server_id", .object = 0, .resource = 10, .printed = "0/0/10", .name = "Short Server ID", .type = T::integer, .ops = O::r, .has_min = true, .has_max = true, .min = 1, .max = 65534, .source = "Table 1"},
    // LwM2M Server, instance 0
    {.key = "server0_short_server_id", .object = 1, .resource = 0, .printed = "1/0/0", .name = "Short Server ID", .type = T::integer, .ops = O::r, .has_min = true, .has_max = true, .min = 1, .max = 65534, .source = "Table 1"},
    {.key = "server0_lifetime", .object = 1, .resource = 1, .printed = "1/0/1", .name = "Lifetime", .type = T::integer, .ops = O::r, .unit = "s", .source = "Table 1"},
    {.key = "bootstrap_request_trigger", .object = 1, .resource = 9, .printed = "1/0/9", .name = "Bootstrap-Request Trigger", .type = T::none, .ops = O::e, .source = "Table 1", .action = A::bootstrap_request},
    // LwM2M Security, instance 1: the DM server
    {.key = "dm_server_uri", .object = 0, .first_instance = 1, .last_instance = 1, .resource = 0, .printed = "0/1/0", .name = "LWM2M Server URI", .type = T::string, .ops = O::r_bootstrap_w, .source = "Table 1 'DM ServerURI Writable by Bootstrap server'", .erratum = "E-85", .implementation_defined = true},
    {.key = "dm_bootstrap_server_flag", .object = 0, .first_instance = 1, .last_instance = 1, .resource = 1, .printed = "0/1/1", .name = "Bootstrap server", .type = T::boolean, .ops = O::r, .has_default = true, .default_int = 0, .source = "Table 1 'FALSE'", .erratum = "E-85", .implementation_defined = true},
    {.key = "dm_security_mode", .object = 0, .first_instance = 1, .last_instance = 1, .resource = 2, .printed = "0/1/2", .name = "Security Mode", .type = T::integer, .ops = O::r_bootstrap_w, .has_min = true, .has_max = true, .min = 0, .max = 4, .source = "Table 1 'Int 0..4 DM Security mode Writable by Bootstrap server'", .erratum = "E-85", .implementation_defined = true},
    {.key = "dm_psk_identity", .object = 0, .first_instance = 1, .last_instance = 1, .resource = 3, .printed = "0/1/3", .name = "PSK Identity", .type = T::opaque, .ops = O::r, .source = "Table 1 'DM PSK identity (DevEUI)'", .erratum = "E-85", .implementation_defined = true},
    {.key = "dm_psk", .object = 0, .first_instance = 1, .last_instance = 1, .resource = 5, .printed = "0/1/4", .name = "Secret Key", .type = T::opaque, .ops = O::bootstrap_w, .source = "Table 1 '(W) DM PSK Writable by Bootstrap server'; LwM2M TS 1.1 Appendix E.1: Secret Key is resource 5", .secret = true, .erratum = "E-85", .implementation_defined = true},
    {.key = "dm_short_server_id", .object = 0, .first_instance = 1, .last_instance = 1, .resource = 10, .printed = "0/1/10", .name = "Short Server ID", .type = T::integer, .ops = O::r, .has_min = true, .has_max = true, .min = 1, .max = 65534, .source = "Table 1"},
    // LwM2M Server, instance 1
    {.key = "server1_short_server_id", .object = 1, .first_instance = 1, .last_instance = 1, .resource = 0, .printed = "1/1/0", .name = "Short Server ID", .type = T::integer, .ops = O::r, .has_min = true, .has_max = true, .min = 1, .max = 65534, .source = "Table 1"},
    {.key = "dm_lifetime", .object = 1, .first_instance = 1, .last_instance = 1, .resource = 1, .printed = "1/1/1", .name = "Lifetime", .type = T::integer, .ops = O::r, .unit = "s", .source = "Table 1 'DM lifetime'"},
    {.key = "registration_update_trigger", .object = 1, .first_instance = 1, .last_instance = 1, .resource = 8, .printed = "1/1/8", .name = "Registration Update Trigger", .type = T::none, .ops = O::e, .source = "Table 1", .action = A::registration_update},
    // Device
    {.key = "manufacturer", .object = 3, .resource = 0, .printed = "3/0/0", .name = "Manufacturer", .type = T::string, .ops = O::r, .has_default = true, .default_str = "Elvaco", .source = "Table 1 'Manufacturer (\"Elvaco\")'"},
    {.key = "model_number", .object = 3, .resource = 1, .printed = "3/0/1", .name = "Model Number", .type = T::string, .ops = O::r, .has_default = true, .default_str = "CMi6110", .source = "Table 1 'Product model (\"CMi6110\")'"},
    {.key = "serial_number", .object = 3, .resource = 2, .printed = "3/0/2", .name = "Serial Number", .type = T::string, .ops = O::r, .source = "Table 1 'DevEUI' (FactoryData)"},
    {.key = "firmware_version", .object = 3, .resource = 3, .printed = "3/0/3", .name = "Firmware Version", .type = T::string, .ops = O::r, .source = "Table 1 (FactoryData)"},
    {.key = "reboot", .object = 3, .resource = 4, .printed = "3/0/4", .name = "Reboot", .type = T::none, .ops = O::e, .source = "Table 1", .action = A::reboot},
    {.key = "available_power_sources", .object = 3, .resource = 6, .multiple = true, .printed = "3/0/6/0", .name = "Available Power Sources", .type = T::integer, .ops = O::r, .has_min = true, .has_max = true, .min = 0, .max = 7, .source = "Table 1 '0..7 1: Internal battery 2: External battery 6: AC (Mains) power'"},
    {.key = "power_source_voltage", .object = 3, .resource = 7, .multiple = true, .printed = "3/0/7/0", .name = "Power Source Voltage", .type = T::integer, .ops = O::r, .unit = "mV", .source = "Table 1 'Power source voltage (Millivolt)'"},
    {.key = "battery_level", .object = 3, .resource = 9, .printed = "3/0/9", .name = "Battery level", .type = T::integer, .ops = O::r, .has_min = true, .has_max = true, .min = 0, .max = 100, .unit = "%", .source = "Table 1 (type column empty: Integer per LwM2M TS 1.1 Appendix E.4)", .erratum = "E-91"},
    {.key = "error_code", .object = 3, .resource = 11, .multiple = true, .printed = "3/0/11/0", .name = "Error Code", .type = T::integer, .ops = O::r, .has_min = true, .has_max = true, .min = 0, .max = 8, .source = "Table 1 '0..8 Error codes, according to LwM2M' (type column empty: Integer)", .erratum = "E-91"},
    {.key = "current_time", .object = 3, .resource = 13, .printed = "3/0/13", .name = "Current Time", .type = T::time, .ops = O::rw, .unit = "s", .source = "Table 1"},
    {.key = "utc_offset_iso", .object = 3, .resource = 14, .printed = "3/0/14", .name = "UTC Offset", .type = T::string, .ops = O::rw, .format = F::utc_offset, .has_default = true, .default_str = "+00:00", .source = "Table 1 'UTC Offset UTC+X (ISO 8601)'; the same value as §7.5 Table 8 'UTC offset' (minutes, -720 - 720, default 0)", .erratum = "E-90", .implementation_defined = true},
    {.key = "hardware_version", .object = 3, .resource = 18, .printed = "3/0/18", .name = "Hardware version", .type = T::string, .ops = O::r, .source = "Table 1 (FactoryData)"},
    // Connectivity Monitoring
    {.key = "network_bearer", .object = 4, .resource = 0, .printed = "4/0/0", .name = "Network Bearer", .type = T::integer, .ops = O::r, .has_min = true, .has_max = true, .min = 0, .max = 50, .has_default = true, .default_int = 7, .source = "Table 1 '0..50 7 = NB-IoT'"},
    {.key = "available_network_bearer", .object = 4, .resource = 1, .multiple = true, .printed = "4/0/1/0", .name = "Available Network Bearer", .type = T::integer, .ops = O::r, .has_min = true, .has_max = true, .min = 0, .max = 50, .has_default = true, .default_int = 7, .source = "Table 1 '0..50 7 = NB-IoT'"},
    {.key = "radio_signal_strength", .object = 4, .resource = 2, .printed = "4/0/2", .name = "Radio Signal Strength", .type = T::integer, .ops = O::r, .unit = "dBm", .source = "Table 1 'RSRP (NRSRP)'"},
    {.key = "apn_in_use", .object = 4, .resource = 7, .multiple = true, .printed = "4/0/7/0", .name = "APN", .type = T::string, .ops = O::r, .source = "Table 1", .erratum = "E-86"},
    {.key = "cell_id", .object = 4, .resource = 8, .printed = "4/0/8", .name = "Cell ID", .type = T::integer, .ops = O::r, .source = "Table 1"},
    {.key = "smnc", .object = 4, .resource = 9, .printed = "4/0/9", .name = "SMNC", .type = T::integer, .ops = O::r, .has_min = true, .has_max = true, .min = 0, .max = 999, .source = "Table 1 '0..999 MNC'"},
    {.key = "smcc", .object = 4, .resource = 10, .printed = "4/0/10", .name = "SMCC", .type = T::integer, .ops = O::r, .has_min = true, .has_max = true, .min = 0, .max = 999, .source = "Table 1 '0..999 MCC'"},
    // Firmware Update
    {.key = "firmware_package_uri", .object = 5, .resource = 1, .printed = "5/0/1", .name = "Package URI", .type = T::string, .ops = O::w, .source = "Table 1 (type column empty: String per LwM2M TS 1.1 Appendix E.6)", .erratum = "E-91"},
    {.key = "firmware_update", .object = 5, .resource = 2, .printed = "5/0/2", .name = "Update", .type = T::none, .ops = O::e, .source = "Table 1 'Firmware Update Trigger'", .action = A::firmware_update},
    {.key = "firmware_state", .object = 5, .resource = 3, .printed = "5/0/3", .name = "State", .type = T::integer, .ops = O::r, .has_min = true, .has_max = true, .min = 0, .max = 3, .enumeration = kFwState, .source = "Table 1 '0..3 0: Idle 1: Downloading 2: Downloaded 3: Updating'"},
    {.key = "firmware_update_result", .object = 5, .resource = 5, .printed = "5/0/5", .name = "Update result", .type = T::integer, .ops = O::r, .source = "Table 1"},
    {.key = "firmware_protocol_support", .object = 5, .resource = 8, .multiple = true, .printed = "5/0/8/0", .name = "Firmware Update Protocol Support", .type = T::integer, .ops = O::r, .has_min = true, .has_max = true, .min = 0, .max = 5, .has_default = true, .default_int = 0, .source = "Table 1 '0..5 0 = CoAP'"},
    {.key = "firmware_delivery_method", .object = 5, .resource = 9, .printed = "5/0/9", .name = "Firmware Update Delivery Method", .type = T::integer, .ops = O::r, .has_min = true, .has_max = true, .min = 0, .max = 2, .has_default = true, .default_int = 0, .source = "Table 1 '0..2 0 = Pull only'"},
    // LwM2M Cellular Connectivity (Table 1 prints the first row's Op. as "’R")
    {.key = "psm_timer", .object = 10, .resource = 4, .printed = "10/0/4", .name = "PSM Timer", .type = T::integer, .ops = O::r, .has_min = true, .min = 0, .has_default = true, .default_int = 252000, .unit = "s", .source = "Table 1 'NB-IoT T3412'; §7.5 Table 10 'T3412 timer' 0-… 252000", .setting = "T3412 timer", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87"},
    {.key = "active_timer", .object = 10, .resource = 5, .printed = "10/0/5", .name = "Active Timer", .type = T::integer, .ops = O::r, .has_min = true, .min = 0, .has_default = true, .default_int = 120, .unit = "s", .source = "Table 1 'NB-IoT T3324'; §7.5 Table 10 'T3324 timer' 0-… 120", .setting = "T3324 timer", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87"},
    {.key = "edrx_parameters", .object = 10, .resource = 9, .printed = "10/0/9", .name = "eDRX parameters for NB-S1 mode", .type = T::opaque, .ops = O::r, .has_min = true, .has_max = true, .min = 1, .max = 1, .source = "Table 1 'Opaque 8 bit NB-IoT eDRX'", .erratum = "E-91"},
    {.key = "activated_profile_names", .object = 10, .resource = 11, .printed = "10/0/11", .name = "Activated Profile names", .type = T::objlnk, .ops = O::r, .source = "Table 1 'Link to APN Connection Profile object'"},
    // LwM2M APN Connection Profile: 0 the profile in use, 1 the staging profile of §6.4
    {.key = "apn_profile_name", .object = 11, .first_instance = 0, .last_instance = 1, .resource = 0, .printed = "11/[0,1]/0", .name = "Profile name", .type = T::string, .ops = O::rw, .source = "Table 1"},
    {.key = "apn_active", .object = 11, .resource = 1, .printed = "11/[0,1]/1", .name = "APN", .type = T::string, .ops = O::r, .source = "Table 1 'Manual APN Writable in object resource 1.' (instance 0: read only)", .erratum = "E-86", .implementation_defined = true},
    {.key = "apn", .object = 11, .first_instance = 1, .last_instance = 1, .resource = 1, .printed = "11/[0,1]/1", .name = "APN", .type = T::string, .ops = O::rw, .source = "Table 1 'Manual APN Writable in object resource 1.'; §6.4 '/10/1/1'; §7.5 Table 10 'APN' (no default)", .setting = "APN", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-86", .implementation_defined = true},
    {.key = "apn_auto_select_active", .object = 11, .resource = 2, .printed = "11/[0,1]/2", .name = "Auto select APN by device", .type = T::boolean, .ops = O::r, .has_default = true, .default_int = 1, .source = "Table 1 'Auto APN Mode Writable in object resource 1.' (instance 0: read only); §7.5 Table 10 'APN mode' default Auto", .erratum = "E-86", .implementation_defined = true},
    {.key = "apn_mode", .object = 11, .first_instance = 1, .last_instance = 1, .resource = 2, .printed = "11/[0,1]/2", .name = "Auto select APN by device", .type = T::boolean, .ops = O::rw, .has_default = true, .default_int = 1, .source = "Table 1 'Auto APN Mode Writable in object resource 1.'; §6.4 '/10/1/2' manual = false; §7.5 Table 10 'APN mode' Auto, Manual; default Auto", .setting = "APN mode", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-86", .implementation_defined = true},
    {.key = "apn_authentication_type", .object = 11, .first_instance = 0, .last_instance = 1, .resource = 4, .printed = "11/[0,1]/4", .name = "Authentication Type", .type = T::integer, .ops = O::r, .has_min = true, .has_max = true, .min = 0, .max = 3, .source = "Table 1 'RW … 0..3 3 = None, Writing currently not supported'", .erratum = "E-86", .implementation_defined = true},

    // ===== Table 2: Elvaco objects ("./" = instance 0, ERRATA E-91) ===========================
    // Elvaco MCM Config
    {.key = "readout_interval", .object = 33906, .resource = 0, .printed = "33906/./0", .name = "Meter Readout Interval", .ops = O::rw, .has_min = true, .has_max = true, .min = 5, .max = 1440, .has_default = true, .default_int = 60, .unit = "min", .source = "Table 2; §7.5 Table 11 'Readout interval' 5-1440 60", .setting = "Readout interval", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87"},
    {.key = "message_encoding", .object = 33906, .resource = 1, .printed = "33906/./1", .name = "Report data encoding", .ops = O::rw, .enumeration = kEncoding, .has_default = true, .default_int = 0, .source = "Table 2 '0 = SenML/CBOR 1 = JSON 2 = MBus'; §7.5 Table 11 'Message encoding' default SenML/CBOR", .setting = "Message encoding", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87"},
    {.key = "message_format", .object = 33906, .resource = 2, .printed = "33906/./2", .name = "Report frame type", .ops = O::rw, .enumeration = kFrameType, .has_default = true, .default_int = 42, .source = "Table 2 '42 = CMi6110_Standard 43 = CMi6110_Extended'; §7.5 Table 11 'Message format' default Standard", .setting = "Message format", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87"},
    {.key = "eco_mode_enabled", .object = 33906, .resource = 3, .printed = "33906/./3", .name = "Eco mode enabled", .type = T::boolean, .ops = O::rw, .source = "Table 2"},
    {.key = "nfc_enabled", .object = 33906, .resource = 4, .printed = "33906/./4", .name = "NFC Enabled", .type = T::boolean, .ops = O::rw, .source = "Table 2"},
    {.key = "nfc_config_locked", .object = 33906, .resource = 5, .printed = "33906/./5", .name = "NFC Config-locked", .type = T::boolean, .ops = O::r, .source = "Table 2; mirrors §7.5 Table 8 'Configuration Lock'", .erratum = "E-89", .implementation_defined = true},
    {.key = "adjust_time", .object = 33906, .resource = 6, .printed = "33906/./6", .name = "Adjust time", .ops = O::w, .unit = "s", .source = "Table 2 'Adjustment in seconds'"},
    {.key = "readout_trigger", .object = 33906, .resource = 10, .printed = "33906/./10", .name = "Instantaneous readout trigger", .type = T::none, .ops = O::e, .source = "Table 2 'Trigger a meter readout.'", .action = A::readout_now},
    {.key = "historic_resend_trigger", .object = 33906, .resource = 13, .printed = "33906/./13", .name = "Historic resend trigger", .type = T::none, .ops = O::e, .source = "Table 2 'Trigger upload of all historic data'", .action = A::resend_history},
    {.key = "historic_resend_status", .object = 33906, .resource = 14, .printed = "33906/./14", .name = "Historic resend status", .ops = O::r, .source = "Table 2 'Number of messages in uplink queue'"},
    {.key = "apply_apn_staging", .object = 33906, .resource = 15, .printed = "33906/./15", .name = "Apply APN staging profile", .type = T::none, .ops = O::e, .source = "Table 2; §6.4", .action = A::apply_apn_staging, .erratum = "E-86"},
    {.key = "config_write_status", .object = 33906, .resource = 16, .printed = "33906/./16", .name = "Config write status", .type = T::boolean, .ops = O::r, .source = "Table 2 'Result of last config write to flash'"},
    {.key = "report_interval", .object = 33906, .resource = 17, .printed = "33906/./17", .name = "Meter Report Interval", .ops = O::rw, .has_min = true, .has_max = true, .min = 5, .max = 1440, .has_default = true, .default_int = 60, .unit = "min", .source = "Table 2; §7.5 Table 11 'Report interval' 5-1440 60", .setting = "Report interval", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87"},
    {.key = "transmit_interval", .object = 33906, .resource = 18, .printed = "33906/./18", .name = "Meter Transmit Interval", .ops = O::rw, .has_min = true, .has_max = true, .min = 5, .max = 1440, .has_default = true, .default_int = 1440, .unit = "min", .source = "Table 2; §7.5 Table 11 'Transmit interval' 5-1440 1440", .setting = "Transmit interval", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87"},
    {.key = "transmit_offset", .object = 33906, .resource = 19, .printed = "33906/./19", .name = "Meter Transmit Offset", .ops = O::rw, .has_min = true, .min = 1, .has_default = true, .default_int = 30, .unit = "min", .source = "Table 2 'Offset in minutes'; §7.5 Table 11 'Transmit offset … (in seconds)' 1.. 30", .setting = "Transmit offset", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87", .implementation_defined = true},
    {.key = "transmit_delay", .object = 33906, .resource = 20, .printed = "33906/./20", .name = "Meter Transmit Delay", .ops = O::rw, .has_min = true, .min = 1, .has_default = true, .default_int = 240, .unit = "min", .source = "Table 2 'Delay in minutes'; §7.5 Table 11 'Transmit delay' 1.. 240", .setting = "Transmit delay", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87"},
    {.key = "max_uploads_per_tx", .object = 33906, .resource = 21, .printed = "33906/./21", .name = "Meter Uploads Per Tx", .ops = O::rw, .has_min = true, .min = 1, .has_default = true, .default_int = 4, .source = "Table 2 'Max number of messages per tx interval'; §7.5 Table 11 'Max uploads per transmission' 1.. 4", .setting = "Max uploads per transmission", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87", .implementation_defined = true},
    {.key = "mdm_dtls_min_timeout", .object = 33906, .resource = 22, .printed = "33906/./22", .name = "DTLS Min Timeout", .ops = O::rw, .has_min = true, .min = 1, .has_default = true, .default_int = 60, .unit = "s", .source = "Table 2; §7.5 Table 12 'DTLS min timeout' 1.. 60", .setting = "DTLS min timeout", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87"},
    {.key = "mdm_dtls_max_timeout", .object = 33906, .resource = 23, .printed = "33906/./23", .name = "DTLS Max Timeout", .ops = O::rw, .has_min = true, .min = 1, .has_default = true, .default_int = 90, .unit = "s", .source = "Table 2; §7.5 Table 12 'DTLS max timeout' 1.. 90", .setting = "DTLS max timeout", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87"},
    {.key = "mqttsn_communication_timeout", .object = 33906, .resource = 24, .printed = "33906/./24", .name = "MQTT-SN Communication Timeout", .ops = O::rw, .has_min = true, .min = 1, .has_default = true, .default_int = 92, .unit = "s", .source = "Table 2; §7.5 Table 12 'Communication timeout' 1.. 92", .setting = "Communication timeout", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87"},
    {.key = "mqttsn_communication_attempts", .object = 33906, .resource = 25, .printed = "33906/./25", .name = "MQTT-SN Communication Attempts", .ops = O::rw, .has_min = true, .min = 1, .has_default = true, .default_int = 2, .source = "Table 2; §7.5 Table 12 'Communication attempts' 1.. 2", .setting = "Communication attempts", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87"},
    {.key = "mqttsn_register_timeout", .object = 33906, .resource = 26, .printed = "33906/./26", .name = "MQTT-SN Register Timeout", .ops = O::rw, .unit = "s", .source = "Table 2 'OBSOLETE!'"},
    {.key = "mqttsn_register_attempts", .object = 33906, .resource = 27, .printed = "33906/./27", .name = "MQTT-SN Register Attempts", .ops = O::rw, .source = "Table 2 'OBSOLETE!'"},
    {.key = "mqttsn_publish_timeout", .object = 33906, .resource = 28, .printed = "33906/./28", .name = "MQTT-SN Publish Timeout", .ops = O::rw, .unit = "s", .source = "Table 2 'OBSOLETE!'"},
    {.key = "mqttsn_publish_attempts", .object = 33906, .resource = 29, .printed = "33906/./29", .name = "MQTT-SN Publish Attempts", .ops = O::rw, .source = "Table 2 'OBSOLETE!'"},
    {.key = "coap_ack_timeout", .object = 33906, .resource = 30, .printed = "33906/./30", .name = "CoAP ACK Timeout", .ops = O::rw, .has_default = true, .default_int = 60, .unit = "s", .source = "Table 2; §7.5 Table 9 'CoAP ack timeout' 60", .setting = "CoAP ack timeout", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87"},
    {.key = "coap_max_retransmit", .object = 33906, .resource = 31, .printed = "33906/./31", .name = "CoAP Max Retransmit", .ops = O::rw, .has_default = true, .default_int = 1, .source = "Table 2; §7.5 Table 9 'CoAP max retransmit' 1", .setting = "CoAP max retransmit", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87"},
    {.key = "lwm2m_dtls_min_timeout", .object = 33906, .resource = 32, .printed = "33906/./32", .name = "IOWA DTLS Min Timeout", .ops = O::rw, .has_default = true, .default_int = 60, .unit = "s", .source = "Table 2; §7.5 Table 9 'DTLS min timeout' 60", .setting = "DTLS min timeout", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87"},
    {.key = "lwm2m_dtls_max_timeout", .object = 33906, .resource = 33, .printed = "33906/./33", .name = "IOWA DTLS Max Timeout", .ops = O::rw, .has_default = true, .default_int = 90, .unit = "s", .source = "Table 2; §7.5 Table 9 'DTLS max timeout' 90", .setting = "DTLS max timeout", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87"},
    {.key = "lwm2m_retry_count", .object = 33906, .resource = 34, .printed = "33906/./34", .name = "IOWA Communication Retry Count", .ops = O::rw, .has_min = true, .min = 0, .has_default = true, .default_int = 1, .source = "Table 2; §7.5 Table 9 'Communication retry count' 0.. 1", .setting = "Communication retry count", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87"},
    {.key = "lwm2m_retry_delay", .object = 33906, .resource = 35, .printed = "33906/./35", .name = "IOWA Communication Retry Delay", .ops = O::rw, .has_min = true, .min = 1, .has_default = true, .default_int = 3600, .unit = "s", .source = "Table 2; §7.5 Table 9 'Communication retry delay' 1.. 3600", .setting = "Communication retry delay", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87"},
    {.key = "lwm2m_sequence_retry_count", .object = 33906, .resource = 36, .printed = "33906/./36", .name = "IOWA Communication Sequence Retry Count", .ops = O::rw, .has_min = true, .min = 1, .has_default = true, .default_int = 2, .source = "Table 2; §7.5 Table 9 'Sequence retry count' 1.. 2", .setting = "Sequence retry count", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87"},
    {.key = "lwm2m_sequence_retry_delay", .object = 33906, .resource = 37, .printed = "33906/./37", .name = "IOWA Communication Sequence Retry Delay", .ops = O::rw, .has_min = true, .min = 1, .has_default = true, .default_int = 86400, .unit = "s", .source = "Table 2; §7.5 Table 9 'Sequence retry delay' 1.. 86400", .setting = "Sequence retry delay", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87"},
    {.key = "network_max_hold_off", .object = 33906, .resource = 38, .printed = "33906/./38", .name = "Network Connection Maximum Hold-off", .ops = O::rw, .has_min = true, .min = 0, .has_default = true, .default_int = 21600, .unit = "s", .source = "Table 2 'Delay in seconds'; §7.5 Table 10 'Brown out delay' 0-… 21600", .setting = "Brown out delay", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87", .implementation_defined = true},
    {.key = "network_search_period", .object = 33906, .resource = 39, .printed = "33906/./39", .name = "Network Search Period", .ops = O::rw, .has_min = true, .min = 0, .has_default = true, .default_int = 21600, .unit = "s", .source = "Table 2 'Period in seconds'; §7.5 Table 10 'Search period' 0… 21600", .setting = "Search period", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87"},
    {.key = "modem_restart_backoff", .object = 33906, .resource = 40, .printed = "33906/./40", .name = "Modem Restart Back-off Intervals", .type = T::string, .ops = O::rw, .format = F::backoff_intervals, .has_default = true, .default_str = kBackoff6, .unit = "min", .source = "Table 2 'min0-max0,min1-max1,... in minutes'; §7.5 Table 11 'Restart backoff'", .setting = "Restart backoff", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-91", .implementation_defined = true},
    {.key = "mdm_reconnect_backoff", .object = 33906, .resource = 41, .printed = "33906/./41", .name = "MDM Re-connect Back-off Intervals", .type = T::string, .ops = O::rw, .format = F::backoff_intervals, .has_default = true, .default_str = kBackoff6, .unit = "min", .source = "Table 2; §7.5 Table 12 'Reconnect backoff'", .setting = "Reconnect backoff", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-91", .implementation_defined = true},
    {.key = "lwm2m_resume_backoff", .object = 33906, .resource = 42, .printed = "33906/./42", .name = "LwM2M Resume Back-off Intervals", .type = T::string, .ops = O::rw, .format = F::backoff_intervals, .has_default = true, .default_str = "0-5,60-120,1300-1600,1300-1600,1300-1600,1300-1600", .unit = "min", .source = "Table 2; §7.5 Table 9 'Sequence backoff'", .setting = "Sequence backoff", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87", .implementation_defined = true},
    {.key = "meter_max_retry_count", .object = 33906, .resource = 43, .printed = "33906/./43", .name = "Meter Max Retry Count", .ops = O::rw, .has_min = true, .has_max = true, .min = 0, .max = 255, .has_default = true, .default_int = 255, .source = "Table 2; §7.5 Table 8 'Max meter retries' 0-255 255", .setting = "Max meter retries", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87"},
    {.key = "auto_upload_max_age", .object = 33906, .resource = 44, .printed = "33906/./44", .name = "Auto Upload Age Limit", .ops = O::rw, .has_min = true, .min = 1, .has_default = true, .default_int = 10080, .unit = "min", .source = "Table 2 'Max age in minutes'; §7.5 Table 11 'Auto-upload max. age' 1.. 10080", .setting = "Auto-upload max. age", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87", .implementation_defined = true},
    {.key = "auto_upload_order", .object = 33906, .resource = 45, .printed = "33906/./45", .name = "Auto Upload Order", .ops = O::rw, .enumeration = kUploadOrder, .has_default = true, .default_int = 1, .source = "Table 2 '0 = FIFO, 1 = LIFO'; §7.5 Table 11 'Auto-upload order' default Latest first (LiFo)", .setting = "Auto-upload order", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87"},
    {.key = "time_sync_source", .object = 33906, .resource = 46, .printed = "33906/./46", .name = "Time Sync Source", .ops = O::rw, .enumeration = kTimeSyncSource, .has_default = true, .default_int = 1, .source = "Table 2 '0 = Manual, 1 = Network'; §7.5 Table 10 'Time sync source' default Network", .setting = "Time sync source", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87"},
    {.key = "mdm_communication_failures", .object = 33906, .resource = 47, .printed = "33906/./47", .name = "MDM Communication Failures", .ops = O::rw, .source = "Table 2"},
    {.key = "upload_protocol", .object = 33906, .resource = 48, .printed = "33906/./48", .name = "Upload Protocol", .ops = O::rw, .has_min = true, .has_max = true, .min = 0, .max = 1, .enumeration = kUploadProtocol, .source = "Table 2 '0..1 0 = MQTT-SN 1 = LwM2M'"},
    {.key = "power_saving_mode", .object = 33906, .resource = 49, .printed = "33906/./49", .name = "Use PSM", .ops = O::rw, .has_min = true, .has_max = true, .min = 0, .max = 3, .enumeration = kPowerSaving, .has_default = true, .default_int = 3, .source = "Table 2 '0..3'; §7.5 Table 10 'Power saving mode' default eDRX+PSM", .setting = "Power saving mode", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87"},
    {.key = "edrx_mode", .object = 33906, .resource = 50, .printed = "33906/./50", .name = "eDRX Mode", .ops = O::rw, .has_min = true, .has_max = true, .min = 0, .max = 1, .enumeration = kEdrxMode, .has_default = true, .default_int = 1, .source = "Table 2 '0..1 0 = Automatic, 1 = Manual'; §7.5 Table 10 'eDRX mode' default Manual", .setting = "eDRX mode", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87"},
    {.key = "enable_rai", .object = 33906, .resource = 51, .printed = "33906/./51", .name = "Enable RAI", .ops = O::rw, .has_min = true, .has_max = true, .min = 0, .max = 1, .enumeration = kRai, .source = "Table 2 '0..1'"},
    {.key = "power_source", .object = 33906, .resource = 52, .printed = "33906/./52", .name = "Power Source", .ops = O::rw, .has_min = true, .has_max = true, .min = 0, .max = 1, .enumeration = kPowerSource, .source = "Table 2 '0..1 0 = Battery, 1 = PSU'"},
    {.key = "radio_bands", .object = 33906, .resource = 53, .printed = "33906/./53", .name = "NB-IoT Radio Bands", .type = T::string, .ops = O::rw, .format = F::radio_bands, .has_default = true, .default_str = "0", .source = "Table 2 'band0,band1,...'; §7.5 Table 10 'Radio frequency band' 0,3,8,20 default 0", .setting = "Radio frequency band", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-91", .implementation_defined = true},
    {.key = "meter_id_source", .object = 33906, .resource = 54, .printed = "33906/./54", .name = "Meter Identification source", .ops = O::rw, .has_min = true, .has_max = true, .min = 0, .max = 1, .enumeration = kMeterIdSource, .source = "Table 2 '0..1 0 = Fabrication nbr, 1 = Customer nbr'"},
    // Elvaco MDM Server
    {.key = "mdm_uri", .object = 33905, .resource = 0, .printed = "33905/./0", .name = "URI", .type = T::string, .ops = O::rw, .source = "Table 2 'URI to the meter data server'"},
    {.key = "mdm_protocol", .object = 33905, .resource = 1, .printed = "33905/./1", .name = "Protocol", .ops = O::rw, .has_min = true, .min = 0, .enumeration = kMdmProtocol, .source = "Table 2 '0.. 0 = MQTT-SN'", .erratum = "E-91", .implementation_defined = true},
    {.key = "mdm_security_mode", .object = 33905, .resource = 2, .printed = "33905/./2", .name = "Transport Security Mode", .ops = O::rw, .has_min = true, .has_max = true, .min = 0, .max = 4, .source = "Table 2 '0..4 0 = PSK mode 3 = No security'"},
    {.key = "mdm_secret_key", .object = 33905, .resource = 5, .printed = "33905/./5", .name = "Transport Secret Key", .type = T::opaque, .ops = O::w, .source = "Table 2 'Key to use with the selected security mode'", .secret = true},
    {.key = "mdm_connection_config", .object = 33905, .resource = 10, .printed = "33905/./10", .name = "Connection config", .ops = O::rw, .has_min = true, .has_max = true, .min = 0, .max = 1, .enumeration = kConnectionConfig, .has_default = true, .default_int = 0, .source = "Table 2 '0..1 0 = Optimized 1 = Compliant'; §7.5 Table 11 'MQTT/SN Connection' default Optimized", .setting = "MQTT/SN Connection", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87"},
    {.key = "mdm_topic", .object = 33905, .resource = 11, .printed = "33905/./11", .name = "Topic", .type = T::string, .ops = O::rw, .source = "Table 2 'MQTT-SN topic'; §7.5 Table 11 'MQTT/SN Topic' (no default)", .setting = "MQTT/SN Topic", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-87"},
    // Elvaco Meter Data
    {.key = "meter_data_message_type", .object = 33911, .resource = 0, .printed = "33911/./0", .name = "Message Type", .ops = O::r, .source = "Table 2"},
    {.key = "meter_data_message_encoding", .object = 33911, .resource = 1, .printed = "33911/./1", .name = "Message Encoding", .ops = O::r, .source = "Table 2"},
    {.key = "meter_data_message", .object = 33911, .resource = 2, .printed = "33911/./2", .name = "Message Data", .type = T::opaque, .ops = O::r, .source = "Table 2"},
    // Elvaco Meter Info
    {.key = "meter_model", .object = 33908, .resource = 0, .printed = "33908/./0", .name = "Meter Model", .type = T::string, .ops = O::r, .source = "Table 2 'User-friendly string'"},
    {.key = "meter_id", .object = 33908, .resource = 1, .printed = "33908/./1", .name = "Meter ID", .ops = O::r, .source = "Table 2; §7.5 Table 8 'Meter ID' N/A, readable with and without PAK", .setting = "Meter ID", .nfc_open = N::readable, .nfc_no_pak = N::readable, .erratum = "E-87"},
    {.key = "meter_communication_status", .object = 33908, .resource = 2, .printed = "33908/./2", .name = "Communication status", .ops = O::r, .has_min = true, .has_max = true, .min = 0, .max = 2, .enumeration = kMeterCommStatus, .source = "Table 2 '0..2 0 = OK 1 = No meter detected 2 = Error'"},
    {.key = "meter_error_flags", .object = 33908, .resource = 3, .printed = "33908/./3", .name = "Error flags", .type = T::opaque, .ops = O::r, .source = "Table 2 (UH50 error flags, §6.3.1)"},
    // Elvaco NB-IoT info
    {.key = "imsi", .object = 33909, .resource = 0, .printed = "33909/./0", .name = "IMSI", .ops = O::r, .source = "Table 2"},
    {.key = "iccid", .object = 33909, .resource = 1, .printed = "33909/./1", .name = "ICCID", .type = T::string, .ops = O::r, .source = "Table 2"},
    {.key = "registrations", .object = 33909, .resource = 2, .printed = "33909/./2", .name = "Registrations", .ops = O::r, .source = "Table 2"},
    {.key = "last_registration_duration", .object = 33909, .resource = 3, .printed = "33909/./3", .name = "Last registration duration", .ops = O::r, .unit = "s", .source = "Table 2"},
    {.key = "modem_model", .object = 33909, .resource = 4, .printed = "33909/./4", .name = "Modem model", .type = T::string, .ops = O::r, .source = "Table 2"},
    {.key = "modem_firmware", .object = 33909, .resource = 5, .printed = "33909/./5", .name = "Modem firmware", .type = T::string, .ops = O::r, .source = "Table 2"},
    {.key = "registration_uptime", .object = 33909, .resource = 6, .printed = "33909/./6", .name = "Registration uptime", .ops = O::r, .unit = "s", .source = "Table 2"},
    {.key = "modem_firmware_update", .object = 33909, .resource = 7, .printed = "33909/./7", .name = "Modem firmware update", .type = T::none, .ops = O::e, .source = "Table 2 'Trigger modem FOTA. Parameter 0='<url>''", .action = A::modem_firmware_update},
    {.key = "modem_firmware_update_result", .object = 33909, .resource = 8, .printed = "33909/./8", .name = "Modem firmware update result", .ops = O::r, .has_min = true, .has_max = true, .min = 0, .max = 3, .enumeration = kModemFotaResult, .has_default = true, .default_int = 0, .source = "Table 2 '0..3 0: Initial value'"},
    // Elvaco NB-IoT status
    {.key = "uptime", .object = 33907, .resource = 0, .printed = "33907/./0", .name = "Uptime", .ops = O::r, .unit = "s", .source = "Table 2"},
    {.key = "average_current", .object = 33907, .resource = 1, .printed = "33907/./1", .name = "Average current consumption", .ops = O::r, .unit = "uA", .source = "Table 2 'Consumption in uA'"},
    {.key = "network_classification", .object = 33907, .resource = 2, .printed = "33907/./2", .name = "Network classification", .ops = O::r, .enumeration = kNetworkClass, .source = "Table 2 '0 = Excellent 1 = Good 2 = Fair 3 = Poor'"},
    {.key = "ecl", .object = 33907, .resource = 3, .printed = "33907/./3", .name = "ECL", .ops = O::r, .has_min = true, .has_max = true, .min = 0, .max = 2, .source = "Table 2 '0..2'"},
    {.key = "rssi", .object = 33907, .resource = 4, .printed = "33907/./4", .name = "RSSI", .ops = O::r, .unit = "0.1 dBm", .source = "Table 2 'In tenths of dBm'"},
    {.key = "snr", .object = 33907, .resource = 5, .printed = "33907/./5", .name = "SNR", .ops = O::r, .unit = "0.1 dB", .source = "Table 2 'In tenths of dB'"},
    {.key = "mdm_connection_status", .object = 33907, .resource = 10, .printed = "33907/./10", .name = "MDM connection status", .ops = O::r, .has_min = true, .has_max = true, .min = 0, .max = 7, .enumeration = kMdmConnStatus, .source = "Table 2 '0..7'"},
    {.key = "current_radio_band", .object = 33907, .resource = 11, .printed = "33907/./11", .name = "Current radio band", .ops = O::r, .has_min = true, .has_max = true, .min = 0, .max = 85, .source = "Table 2 '0..85'"},
    // Elvaco Transaction statistics
    {.key = "reset_statistics", .object = 33910, .resource = 0, .printed = "33910/./0", .name = "Reset statistics", .type = T::none, .ops = O::e, .source = "Table 2 'Resets statistics for what this object instance is tracking.'", .action = A::reset_statistics},
    {.key = "transactions", .object = 33910, .resource = 1, .printed = "33910/./1", .name = "Transactions", .ops = O::r, .source = "Table 2"},
    {.key = "retransmissions", .object = 33910, .resource = 2, .printed = "33910/./2", .name = "Retransmissions", .ops = O::r, .source = "Table 2"},
    {.key = "lost_transactions", .object = 33910, .resource = 3, .printed = "33910/./3", .name = "Lost transactions", .ops = O::r, .source = "Table 2"},
    {.key = "average_response_time", .object = 33910, .resource = 4, .printed = "33910/./4", .name = "Average response time", .ops = O::r, .source = "Table 2 (no unit)"},
    {.key = "minimum_response_time", .object = 33910, .resource = 5, .printed = "33910/./5", .name = "Minimum response time", .ops = O::r, .source = "Table 2 (no unit)"},
    {.key = "maximum_response_time", .object = 33910, .resource = 6, .printed = "33910/./6", .name = "Maximum response time", .ops = O::r, .source = "Table 2 (no unit)"},

    // ===== §7.5 settings no LwM2M resource holds (NFC / OTC App only) =========================
    {.key = "power_mode", .printed = "-", .name = "Power mode", .ops = O::none, .enumeration = kPowerMode, .has_default = true, .default_int = 0, .source = "§7.5 Table 8 'Passive, Active' default Passive", .setting = "Power mode", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-88", .implementation_defined = true},
    {.key = "configuration_lock", .printed = "-", .name = "Configuration Lock", .ops = O::none, .enumeration = kLock, .has_default = true, .default_int = 0, .source = "§7.5 Table 8 'Open, Locked' default Open; §7.2", .setting = "Configuration Lock", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-89"},
    {.key = "synchronize_meter_time", .printed = "-", .name = "Synchronize meter time", .type = T::time, .ops = O::none, .unit = "s", .source = "§7.5 Table 8 'Used via App' N/A; Writeable / Readable", .setting = "Synchronize meter time", .nfc_open = N::writable, .nfc_no_pak = N::readable, .action = A::synchronise_time, .erratum = "E-89", .implementation_defined = true},
    {.key = "utc_offset", .printed = "-", .name = "UTC offset", .ops = O::none, .has_min = true, .has_max = true, .min = -720, .max = 720, .has_default = true, .default_int = 0, .unit = "min", .source = "§7.5 Table 8 'UTC offset of the meter (in minutes)' -720 - 720 0", .setting = "UTC offset", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-90"},
    {.key = "factory_reset", .printed = "-", .name = "Factory reset", .type = T::boolean, .ops = O::none, .source = "§7.5 Table 8 N/A N/A; Writeable / N/A", .setting = "Factory reset", .nfc_open = N::writable, .nfc_no_pak = N::not_applicable, .action = A::factory_reset, .erratum = "E-88", .implementation_defined = true},
    {.key = "bootstrap_ip", .printed = "-", .name = "Bootstrap IP", .type = T::string, .ops = O::none, .has_default = true, .default_str = "84.19.147.226", .source = "§7.5 Table 9 default '84.19.147.226 (Elvaco Bootstrap server)'", .setting = "Bootstrap IP", .nfc_open = N::read_write, .nfc_no_pak = N::readable},
    {.key = "bootstrap_port", .printed = "-", .name = "Bootstrap port", .ops = O::none, .has_min = true, .has_max = true, .min = 0, .max = 65535, .has_default = true, .default_int = 5694, .source = "§7.5 Table 9 default 5694 (range N/A: a UDP port)", .setting = "Bootstrap port", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-91"},
    {.key = "edrx_value", .printed = "-", .name = "eDRX value", .ops = O::none, .has_min = true, .min = 0, .has_default = true, .default_int = 19, .source = "§7.5 Table 10 'eDRX value' 0-… 19", .setting = "eDRX value", .nfc_open = N::read_write, .nfc_no_pak = N::readable, .erratum = "E-91", .implementation_defined = true},
};
// clang-format on

bool covers(const ResourceSpec& s, std::uint16_t object, std::uint16_t instance) noexcept {
    return s.object == object && instance >= s.first_instance && instance <= s.last_instance;
}

bool readable(Operations o) noexcept { return o == O::r || o == O::rw || o == O::r_bootstrap_w; }
bool writable(Operations o, Origin origin) noexcept {
    if (o == O::rw || o == O::w) return true;
    return origin == Origin::bootstrap && (o == O::r_bootstrap_w || o == O::bootstrap_w);
}
bool nfc_can_read(N a) noexcept { return a == N::readable || a == N::read_write; }
bool nfc_can_write(N a) noexcept { return a == N::writable || a == N::read_write; }

bool parse_int(std::string_view s, std::int64_t& out) noexcept {
    if (s.empty()) return false;
    const auto* end = s.data() + s.size();
    const auto r = std::from_chars(s.data(), end, out);
    return r.ec == std::errc{} && r.ptr == end;
}

// "min0-max0,min1-max1,…" (minutes), each pair min ≤ max
bool valid_backoff(std::string_view s) noexcept {
    if (s.empty()) return false;
    while (true) {
        const auto comma = s.find(',');
        const auto pair = s.substr(0, comma);
        const auto dash = pair.find('-');
        std::int64_t lo = 0, hi = 0;
        if (dash == std::string_view::npos || !parse_int(pair.substr(0, dash), lo) || !parse_int(pair.substr(dash + 1), hi) ||
            lo < 0 || hi < lo)
            return false;
        if (comma == std::string_view::npos) return true;
        s.remove_prefix(comma + 1);
    }
}

// "band0,band1,…", each one of §7.5 Table 10's 0, 3, 8, 20
bool valid_bands(std::string_view s) noexcept {
    if (s.empty()) return false;
    while (true) {
        const auto comma = s.find(',');
        std::int64_t b = 0;
        if (!parse_int(s.substr(0, comma), b) || (b != 0 && b != 3 && b != 8 && b != 20)) return false;
        if (comma == std::string_view::npos) return true;
        s.remove_prefix(comma + 1);
    }
}

}  // namespace

// ISO 8601 UTC offset → minutes: "Z", "±HH", "±HHMM", "±HH:MM", each optionally after "UTC"
static std::optional<int> parse_utc_offset(std::string_view s) noexcept {
    if (s.starts_with("UTC")) s.remove_prefix(3);
    if (s == "Z") return 0;
    if (s.size() < 3 || (s[0] != '+' && s[0] != '-')) return std::nullopt;
    const int sign = s[0] == '-' ? -1 : 1;
    s.remove_prefix(1);
    auto two = [](std::string_view d, int& out) {
        if (d.size() != 2 || d[0] < '0' || d[0] > '9' || d[1] < '0' || d[1] > '9') return false;
        out = (d[0] - '0') * 10 + (d[1] - '0');
        return true;
    };
    int h = 0, m = 0;
    if (!two(s.substr(0, 2), h)) return std::nullopt;
    s.remove_prefix(2);
    if (!s.empty() && s[0] == ':') {
        s.remove_prefix(1);
        if (s.size() != 2) return std::nullopt;
    }
    if (!s.empty() && !two(s, m)) return std::nullopt;
    if (m > 59) return std::nullopt;
    const int total = sign * (h * 60 + m);
    if (total < -720 || total > 720) return std::nullopt;  // §7.5 Table 8: -720 - 720
    return total;
}

static std::string format_utc_offset(std::int64_t minutes) {
    const char sign = minutes < 0 ? '-' : '+';
    const auto a = minutes < 0 ? -minutes : minutes;
    std::string out(1, sign);
    const auto h = a / 60, m = a % 60;
    out += static_cast<char>('0' + h / 10);
    out += static_cast<char>('0' + h % 10);
    out += ':';
    out += static_cast<char>('0' + m / 10);
    out += static_cast<char>('0' + m % 10);
    return out;
}

std::string_view action_name(Action a) noexcept {
    switch (a) {
        case A::none: return "none";
        case A::bootstrap_request: return "bootstrap_request";
        case A::registration_update: return "registration_update";
        case A::reboot: return "reboot";
        case A::firmware_update: return "firmware_update";
        case A::readout_now: return "readout_now";
        case A::resend_history: return "resend_history";
        case A::apply_apn_staging: return "apply_apn_staging";
        case A::modem_firmware_update: return "modem_firmware_update";
        case A::reset_statistics: return "reset_statistics";
        case A::factory_reset: return "factory_reset";
        case A::synchronise_time: return "synchronise_time";
    }
    return "?";
}

std::string_view type_name(Lwm2mType t) noexcept {
    switch (t) {
        case T::string: return "String";
        case T::integer: return "Integer";
        case T::unsigned_integer: return "Unsigned Integer";
        case T::float_: return "Float";
        case T::boolean: return "Boolean";
        case T::opaque: return "Opaque";
        case T::time: return "Time";
        case T::objlnk: return "Objlnk";
        case T::none: return "none";
    }
    return "?";
}

std::string_view operations_name(Operations o) noexcept {
    switch (o) {
        case O::none: return "-";
        case O::r: return "R";
        case O::w: return "W";
        case O::rw: return "RW";
        case O::r_bootstrap_w: return "R(W)";
        case O::bootstrap_w: return "(W)";
        case O::e: return "E";
    }
    return "?";
}

std::string_view coap_code(Outcome o) noexcept {
    switch (o) {
        case Outcome::content: return "2.05";
        case Outcome::changed: return "2.04";
        case Outcome::bad_request: return "4.00";
        case Outcome::not_found: return "4.04";
        case Outcome::method_not_allowed: return "4.05";
        case Outcome::locked: return "locked";
    }
    return "?";
}

std::span<const ResourceSpec> object_table() noexcept { return kTable; }

const ResourceSpec* find_resource(std::uint16_t object, std::uint16_t instance, std::uint16_t resource) noexcept {
    if (object == kNoObject) return nullptr;
    for (const auto& s : kTable)
        if (covers(s, object, instance) && s.resource == resource) return &s;
    return nullptr;
}

const ResourceSpec* find_setting(std::string_view key) noexcept {
    for (const auto& s : kTable)
        if (!s.setting.empty() && s.key == key) return &s;
    return nullptr;
}

std::string object_table_json() {
    auto j = nlohmann::json::array();
    for (const auto& s : kTable) {
        nlohmann::json r;
        r["key"] = s.key;
        if (s.object != kNoObject) {
            r["object"] = s.object;
            r["instances"] = {s.first_instance, s.last_instance};
            r["resource"] = s.resource;
            r["multiple"] = s.multiple;
        }
        r["printed"] = s.printed;
        r["name"] = s.name;
        r["type"] = type_name(s.type);
        r["operations"] = operations_name(s.ops);
        if (s.has_min) r["min"] = s.min;
        if (s.has_max) r["max"] = s.max;
        if (!s.enumeration.empty()) {
            auto e = nlohmann::json::object();
            for (const auto& v : s.enumeration) e[std::to_string(v.value)] = v.name;
            r["enumeration"] = e;
        }
        if (s.has_default) {
            if (s.type == T::string) r["default"] = s.default_str;
            else if (s.type == T::boolean) r["default"] = s.default_int != 0;
            else r["default"] = s.default_int;
        }
        if (!s.unit.empty()) r["unit"] = s.unit;
        r["source"] = s.source;
        if (!s.setting.empty()) {
            r["setting"] = s.setting;
            auto nfc = [](N a) -> std::string_view {
                switch (a) {
                    case N::not_applicable: return "N/A";
                    case N::readable: return "Readable";
                    case N::writable: return "Writeable";
                    case N::read_write: return "Readable/Writeable";
                }
                return "?";
            };
            r["nfc_open_or_pak"] = nfc(s.nfc_open);
            r["nfc_no_pak"] = nfc(s.nfc_no_pak);
        }
        if (s.action != A::none) r["action"] = action_name(s.action);
        if (s.secret) r["secret"] = true;
        if (!s.erratum.empty()) r["erratum"] = s.erratum;
        r["implementation_defined"] = s.implementation_defined;
        j.push_back(std::move(r));
    }
    return j.dump(1);
}

std::optional<Path> parse_path(std::string_view text) noexcept {
    if (text.starts_with('/')) text.remove_prefix(1);
    std::uint16_t parts[4] = {};
    int n = 0;
    while (true) {
        if (n == 4) return std::nullopt;
        const auto slash = text.find('/');
        const auto part = text.substr(0, slash);
        unsigned v = 0;
        const auto* end = part.data() + part.size();
        const auto r = std::from_chars(part.data(), end, v);
        if (part.empty() || r.ec != std::errc{} || r.ptr != end || v > 65535) return std::nullopt;
        parts[n++] = static_cast<std::uint16_t>(v);
        if (slash == std::string_view::npos) break;
        text.remove_prefix(slash + 1);
    }
    if (n < 3) return std::nullopt;
    Path p{parts[0], parts[1], parts[2], std::nullopt};
    if (n == 4) p.resource_instance = parts[3];
    return p;
}

std::string to_string(const Path& p) {
    if (p.resource_instance) return fmt::format("/{}/{}/{}/{}", p.object, p.instance, p.resource, *p.resource_instance);
    return fmt::format("/{}/{}/{}", p.object, p.instance, p.resource);
}

Outcome check_value(const ResourceSpec& s, const Value& v) {
    switch (s.type) {
        case T::integer:
        case T::unsigned_integer:
        case T::time: {
            const auto* i = std::get_if<std::int64_t>(&v);
            if (!i) return Outcome::bad_request;
            if (s.type == T::unsigned_integer && *i < 0) return Outcome::bad_request;
            if ((s.has_min && *i < s.min) || (s.has_max && *i > s.max)) return Outcome::bad_request;
            if (!s.enumeration.empty() &&
                std::none_of(s.enumeration.begin(), s.enumeration.end(), [&](const Enumerator& e) { return e.value == *i; }))
                return Outcome::bad_request;
            return Outcome::changed;
        }
        case T::boolean: return std::holds_alternative<bool>(v) ? Outcome::changed : Outcome::bad_request;
        case T::float_: return std::holds_alternative<double>(v) ? Outcome::changed : Outcome::bad_request;
        case T::objlnk: return std::holds_alternative<ObjectLink>(v) ? Outcome::changed : Outcome::bad_request;
        case T::string: {
            const auto* str = std::get_if<std::string>(&v);
            if (!str) return Outcome::bad_request;
            const auto n = static_cast<std::int64_t>(str->size());
            if ((s.has_min && n < s.min) || (s.has_max && n > s.max)) return Outcome::bad_request;
            switch (s.format) {
                case F::any: return Outcome::changed;
                case F::backoff_intervals: return valid_backoff(*str) ? Outcome::changed : Outcome::bad_request;
                case F::radio_bands: return valid_bands(*str) ? Outcome::changed : Outcome::bad_request;
                case F::utc_offset: return parse_utc_offset(*str) ? Outcome::changed : Outcome::bad_request;
            }
            return Outcome::bad_request;
        }
        case T::opaque: {
            const auto* b = std::get_if<Bytes>(&v);
            if (!b) return Outcome::bad_request;
            const auto n = static_cast<std::int64_t>(b->size());
            if ((s.has_min && n < s.min) || (s.has_max && n > s.max)) return Outcome::bad_request;
            return Outcome::changed;
        }
        case T::none: return Outcome::bad_request;
    }
    return Outcome::bad_request;
}

// ---------------------------------------------------------------- the model
namespace {
const ResourceSpec& spec_of(std::string_view key) {
    for (const auto& s : kTable)
        if (s.key == key) return s;
    throw std::out_of_range("no CMi6110 object row '" + std::string(key) + "'");
}
}  // namespace

DeviceConfig::DeviceConfig(FactoryData factory) : factory_(std::move(factory)) { load_defaults(); }

void DeviceConfig::load_defaults() {
    values_.clear();
    for (const auto& s : kTable) {
        for (unsigned i = s.first_instance; i <= s.last_instance; ++i) {
            if (!s.has_default || s.key == "utc_offset_iso") continue;  // 3/0/14 is read from utc_offset
            const auto inst = static_cast<std::uint16_t>(i);
            if (s.type == T::string) values_[{&s, inst}] = std::string(s.default_str);
            else if (s.type == T::boolean) values_[{&s, inst}] = s.default_int != 0;
            else values_[{&s, inst}] = s.default_int;
        }
    }
    // what production gives (Table 1: "DevEUI", firmware and hardware versions)
    const Bytes eui(factory_.dev_eui.begin(), factory_.dev_eui.end());
    values_[{&spec_of("serial_number"), 0}] = factory_.dev_eui;
    values_[{&spec_of("bootstrap_psk_identity"), 0}] = eui;
    values_[{&spec_of("dm_psk_identity"), 1}] = eui;
    if (!factory_.firmware_version.empty()) values_[{&spec_of("firmware_version"), 0}] = factory_.firmware_version;
    if (!factory_.hardware_version.empty()) values_[{&spec_of("hardware_version"), 0}] = factory_.hardware_version;
    apn_staged_ = false;
}

const Value* DeviceConfig::find_value(const ResourceSpec* s, std::uint16_t instance) const {
    const auto it = values_.find({s, instance});
    return it == values_.end() ? nullptr : &it->second;
}
Value* DeviceConfig::find_value(const ResourceSpec* s, std::uint16_t instance) {
    const auto it = values_.find({s, instance});
    return it == values_.end() ? nullptr : &it->second;
}

bool DeviceConfig::locked() const { return integer("configuration_lock") == 1; }

std::int64_t DeviceConfig::integer(std::string_view key) const {
    const auto& s = spec_of(key);
    const auto* v = find_value(&s, s.first_instance);
    if (!v) throw std::out_of_range("CMi6110 '" + std::string(key) + "' has no value");
    if (const auto* i = std::get_if<std::int64_t>(v)) return *i;
    if (const auto* b = std::get_if<bool>(v)) return *b ? 1 : 0;
    throw std::invalid_argument("CMi6110 '" + std::string(key) + "' is not an integer");
}

std::string DeviceConfig::string(std::string_view key) const {
    const auto& s = spec_of(key);
    const auto* v = find_value(&s, s.first_instance);
    if (!v) throw std::out_of_range("CMi6110 '" + std::string(key) + "' has no value");
    if (const auto* str = std::get_if<std::string>(v)) return *str;
    throw std::invalid_argument("CMi6110 '" + std::string(key) + "' is not a string");
}

Outcome DeviceConfig::store(const ResourceSpec& s, std::uint16_t instance, const Value& v) {
    const auto ok = check_value(s, v);
    if (ok != Outcome::changed) return ok;
    if (s.key == "utc_offset_iso") {  // 3/0/14 and §7.5 Table 8 are one value (E-90)
        values_[{&spec_of("utc_offset"), 0}] = std::int64_t{*parse_utc_offset(std::get<std::string>(v))};
        return Outcome::changed;
    }
    if (s.action == A::factory_reset) {
        if (!std::get<bool>(v)) return Outcome::bad_request;
        factory_reset();
        return Outcome::changed;
    }
    values_[{&s, instance}] = v;
    return Outcome::changed;
}

ReadResult DeviceConfig::read(const Path& p, Origin) const {
    const auto* s = find_resource(p.object, p.instance, p.resource);
    if (!s) return {Outcome::not_found, {}};
    if (p.resource_instance && (!s->multiple || *p.resource_instance != 0)) return {Outcome::not_found, {}};
    if (!readable(s->ops) || s->secret) return {Outcome::method_not_allowed, {}};
    if (s->key == "nfc_config_locked") return {Outcome::content, locked()};
    if (s->key == "utc_offset_iso") return {Outcome::content, format_utc_offset(integer("utc_offset"))};
    const auto* v = find_value(s, p.instance);
    if (!v) return {Outcome::not_found, {}};  // no factory value and nothing set it (E-92)
    return {Outcome::content, *v};
}

Outcome DeviceConfig::write(const Path& p, const Value& v, Origin origin) {
    const auto outcome = [&] {
        const auto* s = find_resource(p.object, p.instance, p.resource);
        if (!s) return Outcome::not_found;
        if (p.resource_instance && (!s->multiple || *p.resource_instance != 0)) return Outcome::not_found;
        if (!writable(s->ops, origin)) return Outcome::method_not_allowed;
        return store(*s, p.instance, v);
    }();
    // the Bootstrap interface's Write answers 2.04, 4.00 or 4.15 only (E-92)
    if (origin == Origin::bootstrap && (outcome == Outcome::not_found || outcome == Outcome::method_not_allowed))
        return Outcome::bad_request;
    return outcome;
}

ExecuteResult DeviceConfig::execute(const Path& p, Origin origin) {
    const auto* s = find_resource(p.object, p.instance, p.resource);
    if (!s || p.resource_instance) return {Outcome::not_found, A::none};
    // the Bootstrap interface has no Execute (E-92)
    if (s->ops != O::e || origin == Origin::bootstrap) return {Outcome::method_not_allowed, A::none};
    if (s->action == A::reset_statistics) {
        for (const auto* k : {"transactions", "retransmissions", "lost_transactions", "average_response_time",
                              "minimum_response_time", "maximum_response_time"})
            values_[{&spec_of(k), p.instance}] = std::int64_t{0};
    } else if (s->action == A::apply_apn_staging) {
        // §6.4: the device resets and uses the staging profile's APN
        apn_staged_ = true;
        if (const auto* apn = find_value(&spec_of("apn"), 1)) values_[{&spec_of("apn_in_use"), 0}] = *apn;
        else values_.erase({&spec_of("apn_in_use"), 0});
    }
    return {Outcome::changed, s->action};
}

void DeviceConfig::apn_bootstrap_result(bool success) {
    if (!apn_staged_) return;
    apn_staged_ = false;
    const auto& staging_apn = spec_of("apn");
    const auto& active_apn = spec_of("apn_active");
    const auto& staging_mode = spec_of("apn_mode");
    const auto& active_mode = spec_of("apn_auto_select_active");
    auto copy = [&](const ResourceSpec& from, std::uint16_t fi, const ResourceSpec& to, std::uint16_t ti) {
        if (const auto* v = find_value(&from, fi)) values_[{&to, ti}] = *v;
        else values_.erase({&to, ti});
    };
    if (success) {  // "the new APN will be saved as the default"
        copy(staging_apn, 1, active_apn, 0);
        copy(staging_mode, 1, active_mode, 0);
    } else {  // "the device will roll back to the old APN and reset again"
        copy(active_apn, 0, staging_apn, 1);
        copy(active_mode, 0, staging_mode, 1);
    }
    copy(active_apn, 0, spec_of("apn_in_use"), 0);
}

ReadResult DeviceConfig::nfc_read(std::string_view key) const {
    const auto* s = find_setting(key);
    if (!s) return {Outcome::not_found, {}};
    // reading needs no PAK: the "No PAK" column says what anyone may read
    if (!nfc_can_read(s->nfc_no_pak) || s->secret) return {Outcome::method_not_allowed, {}};
    if (s->object != kNoObject) return read(Path{s->object, s->first_instance, s->resource, std::nullopt});
    const auto* v = find_value(s, 0);
    if (!v) return {Outcome::not_found, {}};
    return {Outcome::content, *v};
}

Outcome DeviceConfig::nfc_write(std::string_view key, const Value& v, std::string_view pak) {
    const auto* s = find_setting(key);
    if (!s) return Outcome::not_found;
    const bool pak_ok = [&] {  // the PAK compared without an early exit on the first difference
        if (factory_.pak.empty() || pak.size() != factory_.pak.size()) return false;
        unsigned char diff = 0;
        for (std::size_t i = 0; i < pak.size(); ++i) diff |= static_cast<unsigned char>(pak[i] ^ factory_.pak[i]);
        return diff == 0;
    }();
    const bool full_access = !locked() || pak_ok;  // "Locked device & correct PAK or open device"
    if (!nfc_can_write(full_access ? s->nfc_open : s->nfc_no_pak))
        return (!full_access && nfc_can_write(s->nfc_open)) ? Outcome::locked : Outcome::method_not_allowed;
    return store(*s, s->first_instance, v);
}

bool DeviceConfig::set_status(const Path& p, const Value& v) {
    const auto* s = find_resource(p.object, p.instance, p.resource);
    if (!s || s->type == T::none || s->key == "nfc_config_locked" || check_value(*s, v) != Outcome::changed) return false;
    return store(*s, p.instance, v) == Outcome::changed;
}

void DeviceConfig::factory_reset() {
    load_defaults();
    // §7.5 Table 8 Factory reset: "(default setting for power mode is Active)" (E-88)
    values_[{&spec_of("power_mode"), 0}] = std::int64_t{1};
}

std::string DeviceConfig::to_json() const {
    auto j = nlohmann::json::object();
    for (const auto& [slot, v] : values_) {
        const auto* s = slot.first;
        if (s->secret) continue;
        const auto name = s->object == kNoObject ? "nfc:" + std::string(s->key) : to_string(Path{s->object, slot.second, s->resource, std::nullopt});
        std::visit(
            [&](const auto& x) {
                using X = std::decay_t<decltype(x)>;
                if constexpr (std::is_same_v<X, ObjectLink>) j[name] = std::to_string(x.object) + ":" + std::to_string(x.instance);
                else if constexpr (std::is_same_v<X, Bytes>) {
                    static constexpr char kHex[] = "0123456789ABCDEF";
                    std::string h;
                    for (auto b : x) {
                        h += kHex[b >> 4];
                        h += kHex[b & 15];
                    }
                    j[name] = h;
                } else j[name] = x;
            },
            v);
    }
    // the two values read from another one
    j["/3/0/14"] = format_utc_offset(integer("utc_offset"));
    j["/33906/0/5"] = locked();
    return j.dump();
}

// ---------------------------------------------------------------- mappings
ScheduleConfig schedule_config(const DeviceConfig& c) {
    ScheduleConfig out;
    out.readout_interval = std::chrono::minutes{c.integer("readout_interval")};
    out.transmit_interval = std::chrono::minutes{c.integer("transmit_interval")};
    out.transmit_offset = std::chrono::minutes{c.integer("transmit_offset")};  // minutes: E-60
    out.transmit_delay = std::chrono::minutes{c.integer("transmit_delay")};
    out.utc_offset = std::chrono::minutes{c.integer("utc_offset")};
    return out;
}

BacklogConfig backlog_config(const DeviceConfig& c) {
    BacklogConfig out;
    switch (c.integer("message_encoding")) {
        case 0: out.encoding = MessageEncoding::senml; break;
        case 1: out.encoding = MessageEncoding::json; break;
        default: out.encoding = MessageEncoding::mbus; break;
    }
    out.format = c.integer("message_format") == 43 ? MessageFormat::extended : MessageFormat::standard;
    out.order = c.integer("auto_upload_order") == 0 ? UploadOrder::fifo : UploadOrder::lifo;
    out.max_age = std::chrono::minutes{c.integer("auto_upload_max_age")};
    out.max_uploads = static_cast<unsigned>(c.integer("max_uploads_per_tx"));
    out.readouts_per_telegram = out.encoding == MessageEncoding::senml
                                    ? readouts_per_pack(std::chrono::minutes{c.integer("readout_interval")},
                                                        std::chrono::minutes{c.integer("transmit_interval")})
                                    : 1;
    return out;
}

}  // namespace metercert::devices::cmi6110
