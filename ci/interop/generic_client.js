#!/usr/bin/env node
// A generic LwM2M 1.0 client that is not a CMi6110: coap-node (npm, MIT; CoAP through node-coap,
// NoSec only) with its own Device object (3/0: another manufacturer and model) and Connectivity
// Monitoring (4/0), none of the Elvaco objects 33905-33911. It registers with an LwM2M DM server,
// answers its Reads (text/plain, TLV, coap-node's JSON), refuses Writes to read-only resources
// (4.05), sends Updates before its lifetime ends (coap-node does that by itself) and De-registers
// on SIGTERM / SIGINT or when --run-seconds is over.
//
// Usage (after `npm ci` in ci/interop, which ci/setup does):
//   node ci/interop/generic_client.js --server coap://127.0.0.1:5683 --endpoint NAME
//        [--lifetime 30] [--run-seconds 60] [--manufacturer M] [--model M]
// It prints one line per event on stderr ("registered NAME at /rd/1", "deregistered …").
'use strict';

const path = require('path');

function usage(msg) {
    process.stderr.write(`generic_client: ${msg}\nusage: generic_client.js --server coap://HOST:PORT --endpoint NAME ` +
                         '[--lifetime S] [--run-seconds S] [--manufacturer M] [--model M]\n');
    process.exit(2);
}

const opts = {lifetime: 30, runSeconds: 60, manufacturer: 'Example Metering Ltd', model: 'generic-lwm2m-1.0'};
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
    else usage(`unknown option ${k}`);
}
const m = /^coap:\/\/([^/:]+|\[[^\]]+\]):(\d+)\/?$/.exec(opts.server || '');
if (!m) usage(`--server '${opts.server || ''}' is not coap://HOST:PORT (NoSec: coap-node has no DTLS)`);
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

node.register(m[1].replace(/^\[|\]$/g, ''), Number(m[2]), (err, rsp) => {
    if (err || !rsp || (rsp.status !== '2.01' && rsp.status !== '2.04')) {
        process.stderr.write(`register refused: ${err ? err.message : rsp && rsp.status}\n`);
        process.exit(1);
    }
    process.stderr.write(`registered ${opts.endpoint} at ${node.locationPath}\n`);
});
process.on('SIGTERM', () => end(0));
process.on('SIGINT', () => end(0));
setTimeout(() => end(0), opts.runSeconds * 1000);
