#!/usr/bin/env node
// A third-party LwM2M server: Telefonica's lwm2m-node-lib (npm, AGPL-3.0; CoAP through node-coap,
// NoSec only, in-memory device registry). It listens on 127.0.0.1:PORT, accepts Registers, and
// for each registered endpoint Reads the given paths (default /3/0/0 Manufacturer and /3/0/1
// Model Number) with Accept text/plain. One JSON object per line on stdout:
//   {"event": "listening", "port": P}
//   {"event": "registered", "endpoint": E, "lifetime": "…", "lwm2m": "…", "binding": "…", "links": "…"}
//   {"event": "read", "endpoint": E, "path": "/3/0/0", "value": "…"}   (or "error": "…")
//   {"event": "updated", …} {"event": "deregistered", …}
// It ends after --reads-then-exit (default) once every path was read, or after --run-seconds.
//
// Usage (after `npm ci` in ci/interop, which ci/setup does):
//   node ci/interop/lwm2m_server.js --port PORT [--read /3/0/0,/3/0/1] [--run-seconds 30]
'use strict';

const path = require('path');

function usage(msg) {
    process.stderr.write(`lwm2m_server: ${msg}\nusage: lwm2m_server.js --port PORT [--read /3/0/0,/3/0/1] [--run-seconds S]\n`);
    process.exit(2);
}

const opts = {port: 0, read: ['/3/0/0', '/3/0/1'], runSeconds: 30};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i], v = argv[i + 1];
    if (v === undefined) usage(`${k} needs a value`);
    if (k === '--port') opts.port = Number(v);
    else if (k === '--read') opts.read = v.split(',').filter((p) => p);
    else if (k === '--run-seconds') opts.runSeconds = Number(v);
    else usage(`unknown option ${k}`);
}
if (!(opts.port > 0 && opts.port < 65536)) usage('--port takes a UDP port (1-65535)');
for (const p of opts.read) if (!/^\/\d+\/\d+\/\d+$/.test(p)) usage(`--read '${p}' is not /object/instance/resource`);

const lib = require(path.join(__dirname, 'node_modules', 'lwm2m-node-lib'));
const server = lib.server;

function emit(o) {
    process.stdout.write(JSON.stringify(o) + '\n');
}

const config = {
    port: opts.port,
    udpWindow: 100,
    defaultType: 'Device',
    types: [],
    logLevel: 'FATAL',
    ipProtocol: 'udp4',
    serverProtocol: 'udp4',
    deviceRegistry: {type: 'memory'},
    lifetimeCheckInterval: 1000,
    // the library's own formats table (its config.js); Reads ask for text/plain
    formats: [
        {name: 'application-vnd-oma-lwm2m/text', value: 1541},
        {name: 'application-vnd-oma-lwm2m/tlv', value: 1542},
        {name: 'application-vnd-oma-lwm2m/json', value: 1543},
        {name: 'application-vnd-oma-lwm2m/opaque', value: 1544},
    ],
    writeFormat: 'application-vnd-oma-lwm2m/text',
    defaultAcceptFormat: 'text/plain',
};

function readAll(endpoint) {
    server.getDevice(endpoint, (err, device) => {
        if (err) return emit({event: 'read', endpoint, error: `not in the registry: ${err.message || err.name}`});
        let left = opts.read.length;
        for (const p of opts.read) {
            const [, o, i, r] = p.split('/');
            server.read(device.id, o, i, r, (e, value) => {
                emit(e ? {event: 'read', endpoint, path: p, error: e.name + (e.code ? ` ${e.code}` : '')}
                       : {event: 'read', endpoint, path: p, value});
                if (--left === 0) finish();
            });
        }
    });
}

let stopping = false;
function finish() {
    if (stopping) return;
    stopping = true;
    server.stop(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000);
}

server.start(config, (err, serverInfo) => {
    if (err) {
        process.stderr.write(`lwm2m_server: cannot start: ${err.message || err}\n`);
        process.exit(1);
    }
    server.setHandler(serverInfo, 'registration', (endpoint, lifetime, version, binding, payload, callback) => {
        emit({event: 'registered', endpoint, lifetime, lwm2m: version, binding, links: payload});
        callback();
        setTimeout(() => readAll(endpoint), 200);  // after the 2.01 has left
    });
    server.setHandler(serverInfo, 'updateRegistration', (object, callback) => {
        emit({event: 'updated', endpoint: object && object.name});
        callback();
    });
    server.setHandler(serverInfo, 'unregistration', (device, callback) => {
        emit({event: 'deregistered', endpoint: device && device.name});
        callback();
    });
    emit({event: 'listening', port: opts.port});
});
setTimeout(finish, opts.runSeconds * 1000);
