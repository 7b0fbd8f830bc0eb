#!/usr/bin/env node
// A generic LwM2M 1.0 client that is not a CMi6110: coap-node (npm, MIT; CoAP through node-coap,
// which has no DTLS: for coaps:// its datagrams go through node-dtls-client's DTLS 1.2 PSK session,
// dtls_transport.js) with its own Device object (3/0: another manufacturer and model) and Connectivity
// Monitoring (4/0), none of the Elvaco objects 33905-33911. It registers with an LwM2M DM server,
// answers its Reads (text/plain, TLV, coap-node's JSON), refuses Writes to read-only resources
// (4.05), sends Updates before its lifetime ends (coap-node does that by itself) and De-registers
// on SIGTERM / SIGINT or when --run-seconds is over.
//
// Usage (after `npm ci` in ci/interop, which ci/setup does):
//   node ci/interop/generic_client.js --server coap://127.0.0.1:5683 --endpoint NAME
//        [--lifetime 30] [--run-seconds 60] [--manufacturer M] [--model M]
//   node ci/interop/generic_client.js --server coaps://127.0.0.1:5684 --psk-id ID --psk HEX --endpoint NAME …
// It prints one line per event on stderr ("registered NAME at /rd/1", "deregistered …", "dtls: …");
// never the PSK or its identity.
'use strict';

const path = require('path');

function usage(msg) {
    process.stderr.write(`generic_client: ${msg}\nusage: generic_client.js --server coap[s]://HOST:PORT --endpoint NAME ` +
                         '[--psk-id ID --psk HEX [--dtls-ciphers A,B] (coaps)] [--lifetime S] [--run-seconds S] [--manufacturer M] [--model M]\n');
    process.exit(2);
}

// the PSK cipher suites an LwM2M client supports (LwM2M TS 1.0 §7.1, Transport TS 1.1 §5.2, PSK mode:
// TLS_PSK_WITH_AES_128_CCM_8, RFC 6655, and TLS_PSK_WITH_AES_128_CBC_SHA256, RFC 5487); node-dtls-client
// offers these alone in its ClientHello (--dtls-ciphers: others of its list)
const opts = {ciphers: ['TLS_PSK_WITH_AES_128_CCM_8', 'TLS_PSK_WITH_AES_128_CBC_SHA256'], lifetime: 30, runSeconds: 60, manufacturer: 'Example Metering Ltd', model: 'generic-lwm2m-1.0'};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i], v = argv[i + 1];
    if (v === undefined) usage(`${k} needs a value`);
    if (k === '--server') opts.server = v;
    else if (k === '--endpoint') opts.endpoint = v;
    else if (k === '--lifetime') opts.lifetime = Number(v);
    else if (k === '--run-seconds') opts.runSeconds = Number(v);
    else if (k === '--manufacturer') opts.manufacturer = v;
    else if (k === '--model') opts.model = v;
    else if (k === '--psk-id') opts.pskId = v;
    else if (k === '--psk') opts.psk = v;
    else if (k === '--dtls-ciphers') opts.ciphers = v.split(',');
    else usage(`unknown option ${k}`);
}
const m = /^coap(s?):\/\/([^/:]+|\[[^\]]+\]):(\d+)\/?$/.exec(opts.server || '');
if (!m) usage(`--server '${opts.server || ''}' is not coap://HOST:PORT (NoSec) or coaps://HOST:PORT (DTLS-PSK)`);
const secure = m[1] === 's';
const host = m[2].replace(/^\[|\]$/g, ''), port = Number(m[3]);
if (secure && (!opts.pskId || opts.psk === undefined)) usage('coaps:// needs --psk-id and --psk');
if (!secure && (opts.pskId || opts.psk !== undefined)) usage('--psk-id and --psk are for coaps:// only');
// the key in hex (as `metercert simulate cmi6110 --psk` takes it); its value is never shown
if (secure && !/^([0-9a-fA-F]{2}){1,64}$/.test(opts.psk)) usage('--psk is not 1 to 64 bytes in hex (value not shown)');
if (!opts.endpoint) usage('--endpoint is required');
if (!(opts.lifetime >= 1) || !(opts.runSeconds > 0)) usage('--lifetime and --run-seconds take positive numbers');

// the packages come from ci/interop/node_modules wherever the script is started from
const modules = path.join(__dirname, 'node_modules');
const CoapNode = require(path.join(modules, 'coap-node'));
const SmartObject = require(path.join(modules, 'smartobject'));

const so = new SmartObject();
// version '1.0': coap-node's default lwm2m=1.0.0 is not an LwM2M version string (ERRATA E-141)
const node = new CoapNode(opts.endpoint, so, {
    lifetime: opts.lifetime, version: '1.0',
    manuf: opts.manufacturer, model: opts.model, serial: 'GEN-000042', firmware: '0.2.5',
});
node.on('error', (e) => process.stderr.write(`error: ${e && e.message ? e.message : e}\n`));
node.on('update', () => process.stderr.write('update sent\n'));

let ending = false;
function end(code) {
    if (ending) return;
    ending = true;
    const timer = setTimeout(() => process.exit(code), 5000);  // the server may be gone: do not hang
    node.deregister((err, rsp) => {
        process.stderr.write(`deregistered ${opts.endpoint}: ${err ? err.message : rsp.status}\n`);
        clearTimeout(timer);
        process.exit(code);
    });
}

function register() {
    node.register(host, port, (err, rsp) => {
        if (err || !rsp || (rsp.status !== '2.01' && rsp.status !== '2.04')) {
            process.stderr.write(`register refused: ${err ? err.message : rsp && rsp.status}\n`);
            process.exit(1);
        }
        process.stderr.write(`registered ${opts.endpoint} at ${node.locationPath}\n`);
    });
}

process.on('SIGTERM', () => end(0));
process.on('SIGINT', () => end(0));
setTimeout(() => end(0), opts.runSeconds * 1000);
if (!secure) {
    register();
} else {
    const key = Buffer.from(opts.psk, 'hex');
    opts.psk = undefined;
    require('./dtls_transport').install({ host, port, identity: opts.pskId, key, ciphers: opts.ciphers }).then((session) => {
        process.stderr.write(`dtls: DTLS 1.2 PSK session with ${host}:${port} established (node-dtls-client)\n`);
        session.on('error', (e) => process.stderr.write(`dtls: error: ${e && e.message ? e.message : e}\n`));
        session.on('close', () => process.stderr.write('dtls: session closed\n'));
        register();
    }, (e) => {
        process.stderr.write(`dtls: handshake with ${host}:${port} failed: ${e && e.message ? e.message : e}\n`);
        process.exit(1);
    });
}
