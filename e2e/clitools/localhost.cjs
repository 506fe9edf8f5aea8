// localhost.cjs makes Node.js resolve every *.localhost name (and localhost
// itself) to the loopback address, as browsers and curl do (RFC 6761 §6.3),
// so that a tenant's host name such as acme.localhost reaches a server on
// 127.0.0.1 without editing /etc/hosts.
//
// Load it before any other module:
//
//   NODE_OPTIONS="--require /abs/path/e2e/clitools/localhost.cjs" node app.js
//
// It replaces dns.lookup (and dns.promises.lookup), which net, http, https and
// fetch (undici) call for every connection, and handles each calling form:
// lookup(name, cb), lookup(name, family, cb), lookup(name, options, cb), with
// options.family (0, 4, 6, 'IPv4', 'IPv6') and options.all. Every other name
// goes to the original function unchanged.
'use strict';

const dns = require('node:dns');

/** isLocalhost reports whether hostname is localhost or a name under it. */
function isLocalhost(hostname) {
  if (typeof hostname !== 'string') {
    return false;
  }
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/** familyOf returns 4 or 6 from a lookup's family or options argument. */
function familyOf(options) {
  const family = typeof options === 'object' && options !== null ? options.family : options;
  return family === 6 || family === 'IPv6' ? 6 : 4;
}

/** loopback answers a lookup of a localhost name in the shape asked for. */
function loopback(options) {
  const family = familyOf(options);
  const address = family === 6 ? '::1' : '127.0.0.1';
  const all = typeof options === 'object' && options !== null && options.all === true;
  return all ? { all: true, list: [{ address, family }] } : { all: false, address, family };
}

const originalLookup = dns.lookup;

dns.lookup = function lookup(hostname, options, callback) {
  if (typeof options === 'function') {
    callback = options;
    options = {};
  }
  if (!isLocalhost(hostname)) {
    return originalLookup.call(dns, hostname, options, callback);
  }
  const answer = loopback(options);
  process.nextTick(() => {
    if (answer.all) {
      callback(null, answer.list);
    } else {
      callback(null, answer.address, answer.family);
    }
  });
  return {};
};

const originalPromisesLookup = dns.promises.lookup;

dns.promises.lookup = async function lookup(hostname, options) {
  if (!isLocalhost(hostname)) {
    return originalPromisesLookup.call(dns.promises, hostname, options);
  }
  const answer = loopback(options);
  return answer.all ? answer.list : { address: answer.address, family: answer.family };
};
