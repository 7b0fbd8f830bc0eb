// Carries node-coap's UDP through one DTLS 1.2 PSK session of node-dtls-client (npm, MIT: AlCalzone's
// pure-JS DTLS client), so that coap-node (CoAP through node-coap, which has no DTLS) talks coaps.
// The DTLS is node-dtls-client's: this file only routes datagrams. node-coap opens a dgram socket per
// request (its Agent) and one for the requests the LwM2M server sends the client (its Server); over
// DTLS all of them must share the one session with the server (LwM2M Transport TS 1.1 §5.2: the
// server knows the client by its DTLS session), so `install()` replaces dgram.createSocket with
// sockets that send into that session and receive what belongs to them:
//   - a request (CoAP code 0.01-0.31, RFC 7252 §3 and §12.1) goes to the socket that listens
//     (node-coap's Server, the one bound with a port);
//   - an ACK or RST, and a piggybacked response, go to the socket that sent the CON or NON with that
//     Message ID; a separate response goes to the socket that sent the request with its token.
// Keys never leave this file: nothing here prints the PSK or its identity.
'use strict';

const dgram = require('dgram');
const { EventEmitter } = require('events');

// the CoAP header fields the routing needs (RFC 7252 §3): null when it is not a CoAP message
function coapHeader(buf) {
    if (buf.length < 4 || (buf[0] >> 6) !== 1) return null;
    const tkl = buf[0] & 0x0f;
    if (tkl > 8 || buf.length < 4 + tkl) return null;
    return { type: (buf[0] >> 4) & 0x03, code: buf[1], mid: buf.readUInt16BE(2),
             token: buf.subarray(4, 4 + tkl).toString('hex') };
}

const CON = 0, NON = 1, ACK = 2;

class Router {
    constructor(session, peer, local) {
        this.session = session;   // the node-dtls-client socket, connected
        this.peer = peer;         // { address, port } of the server
        this.local = local;       // { address, port } shown as the sockets' own address
        this.sockets = new Set();
        this.byMid = new Map();   // Message ID of a CON/NON we sent -> socket
        this.byToken = new Map(); // token of a request we sent -> socket
        session.on('message', (msg) => this.receive(msg));
    }

    sent(sock, buf) {
        const h = coapHeader(buf);
        if (!h) return;
        if (h.type === CON || h.type === NON) this.byMid.set(h.mid, sock);
        if (h.code >= 1 && h.code <= 31 && h.token) this.byToken.set(h.token, sock);
    }

    receive(msg) {
        const h = coapHeader(msg);
        if (!h) return;  // not CoAP: nothing of node-coap's
        let to;
        if (h.code >= 1 && h.code <= 31) {
            to = [...this.sockets].reverse().find((s) => s.bound);
        } else if (h.type === ACK || h.code === 0) {
            to = this.byMid.get(h.mid);
        } else {
            to = this.byToken.get(h.token) || this.byMid.get(h.mid);
        }
        if (!to && h.code === 0 && h.type === CON) to = [...this.sockets].reverse().find((s) => s.bound);  // a CoAP ping
        if (!to || !this.sockets.has(to)) return;  // its socket is closed: node-coap gave up on it
        to.emit('message', msg, { address: this.peer.address, family: 'IPv4', port: this.peer.port, size: msg.length });
    }

    forget(sock) {
        this.sockets.delete(sock);
        for (const m of [this.byMid, this.byToken])
            for (const [k, s] of m) if (s === sock) m.delete(k);
    }
}

// what node-coap uses of a dgram.Socket
class SessionSocket extends EventEmitter {
    constructor(router, listener) {
        super();
        this.router = router;
        this.bound = false;
        if (listener) this.on('message', listener);
        router.sockets.add(this);
    }

    bind(port, address, callback) {
        if (typeof port === 'function') callback = port;
        else if (typeof address === 'function') callback = address;
        this.bound = true;
        setImmediate(() => {
            this.emit('listening');
            if (callback) callback();
        });
        return this;
    }

    address() {
        return { address: this.router.local.address, family: 'IPv4', port: this.router.local.port };
    }

    send(buf, offset, length, port, address, callback) {
        // node-coap calls send(buf, offset, length, port, address[, callback]); the peer is the session's
        if (typeof offset !== 'number') { callback = [...arguments].find((a) => typeof a === 'function'); offset = 0; length = buf.length; }
        const data = Buffer.from(buf.subarray(offset, offset + length));
        this.router.sent(this, data);
        try {
            this.router.session.send(data, () => { if (callback) callback(null, data.length); });
        } catch (e) {
            if (callback) setImmediate(() => callback(e));
            else setImmediate(() => this.emit('error', e));
        }
    }

    close(callback) {
        this.router.forget(this);
        setImmediate(() => { this.emit('close'); if (callback) callback(); });
    }

    setMulticastLoopback() {}
    addMembership() {}
    ref() { return this; }
    unref() { return this; }
}

// Opens the DTLS 1.2 PSK session (node-dtls-client) to host:port with the identity and the key (a
// Buffer), and from then on every dgram socket this process creates goes through it. Resolves with
// the session (events 'error' and 'close' as node-dtls-client emits them) once the handshake is done
// (ciphers: the suites offered, node-dtls-client's names; all of its PSK suites when undefined);
// rejects with node-dtls-client's error (a failed handshake) otherwise.
async function install({ host, port, identity, key, ciphers, timeoutMs = 3000, listenPort }) {
    const { dtls } = await import('node-dtls-client');
    const session = dtls.createSocket({
        type: 'udp4', address: host, port, psk: { [identity]: key }, timeout: timeoutMs, listenPort, ciphers,
    });
    await new Promise((resolve, reject) => {
        session.once('connected', resolve);
        session.once('error', reject);
        session.once('close', () => reject(new Error('the DTLS session closed during the handshake')));
    });
    const local = session.udp && session.udp.address ? session.udp.address() : { address: '127.0.0.1', port: 0 };
    const router = new Router(session, { address: host, port }, { address: local.address, port: local.port });
    dgram.createSocket = function (type, listener) {
        return new SessionSocket(router, typeof type === 'function' ? type : listener);
    };
    return session;
}

module.exports = { install, coapHeader };
